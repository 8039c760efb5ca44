package k8s

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/workload"
)

// ImageTagLatest is KM-0025.
var ImageTagLatest = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0025",
		Slug:      "image-tag-latest",
		Title:     "Container images must not use the latest tag or no tag",
		Severity:  rule.Medium,
		Practices: []string{"C21"},
		Rationale: "latest (what an image without tag or digest means) moves with every push: two nodes can run " +
			"different code under the same manifest, a rollback redeploys whatever latest is today, and nobody can " +
			"tell from the manifest which build, and which vulnerabilities, are running.",
		Remediation: "Reference a specific, immutable version tag (registry.example.com/app:1.4.2), or better the " +
			"digest of the image that was scanned and signed (app@sha256:...).",
		References: []string{
			"https://kubernetes.io/docs/concepts/containers/images/#image-names",
			"https://kubernetes.io/docs/concepts/configuration/overview/#container-images",
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
				return nil // filled in later by a tool; nothing to judge
			}
			r := parseImage(c.Image)
			switch {
			case r.Digest != "":
				return nil // the digest decides what runs, whatever the tag says
			case r.Tag == "latest":
				return []rule.Finding{finding(c.Field("image"), "container %q uses image %q with the latest tag", c.Name, c.Image)}
			case r.Tag == "":
				return []rule.Finding{finding(c.Field("image"), "container %q uses image %q without a tag, which means latest", c.Name, c.Image)}
			}
			return nil
		})
	},
}
