package k8s

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/workload"
)

// ImageDigest is KM-0026.
var ImageDigest = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0026",
		Slug:      "image-digest",
		Title:     "Container images should be pinned by digest",
		Severity:  rule.Low,
		Practices: []string{"C22"},
		Rationale: "A tag is a mutable pointer: whoever can push to the repository (or compromise it) can move it, and " +
			"the cluster pulls the new content without any change to the manifest. A sha256 digest names the exact " +
			"content that was built, scanned and signed, and the runtime verifies it on pull.",
		Remediation: "Reference images as name@sha256:<digest> (keeping the tag for readability is fine: " +
			"name:1.4.2@sha256:<digest>); have CI write the digest of the image it built and scanned.",
		References: []string{
			"https://kubernetes.io/docs/concepts/containers/images/#image-names",
		},
		Standards: rule.Standards{
			NSA: []string{"Kubernetes Pod security: building secure container images"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(in *Input) []rule.Finding {
		return eachContainer(in, func(c workload.Container) []rule.Finding {
			if c.Image == "" {
				return nil
			}
			r := parseImage(c.Image)
			switch {
			case r.Pinned():
				return nil
			case r.Digest != "":
				return []rule.Finding{finding(c.Field("image"), "container %q uses image %q with a malformed digest %q",
					c.Name, c.Image, r.Digest)}
			}
			return []rule.Finding{finding(c.Field("image"), "container %q uses image %q, which is not pinned by digest", c.Name, c.Image)}
		})
	},
}
