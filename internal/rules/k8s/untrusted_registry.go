package k8s

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/workload"
)

// UntrustedRegistry is KM-0037.
var UntrustedRegistry = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0037",
		Slug:      "untrusted-registry",
		Title:     "Container images must come from an allowed registry",
		Severity:  rule.High,
		Practices: []string{"D13"},
		Rationale: "An image is code that runs with the pod's identity and access. Images from registries the " +
			"organisation does not control skip its scanning, signing and retention, and a typo or a look-alike " +
			"name (docker.io instead of the internal mirror) silently pulls someone else's code.",
		Remediation: "Mirror the image into an allowed registry and reference it there, or, if the source is trusted, " +
			"add its prefix (\"registry.example.com/\", \"ghcr.io/acme/\") to the allowed registries in the kharden " +
			"configuration. The rule reports nothing until allowed registries are configured.",
		References: []string{
			"https://kubernetes.io/docs/concepts/containers/images/",
			"https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#imagepolicywebhook",
		},
		Standards: rule.Standards{
			CIS: []string{"5.5.1"},
			NSA: []string{"Kubernetes Pod security: building secure container images"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	// Entries are prefixes matched on whole path components after the same normalisation
	// as images: "nginx" is docker.io/library/nginx, index.docker.io is docker.io, and an
	// entry without a registry host ("bitnami/") is a Docker Hub path.
	Check: func(in *Input) []rule.Finding {
		allowed := in.Settings.AllowedRegistries
		if len(allowed) == 0 {
			return nil
		}
		return eachContainer(in, func(c workload.Container) []rule.Finding {
			if c.Image == "" {
				return nil
			}
			r := parseImage(c.Image)
			if allowedImage(r, allowed) {
				return nil
			}
			return []rule.Finding{finding(c.Field("image"), "container %q uses image %q (%s), which is not from an allowed registry",
				c.Name, c.Image, r.Name())}
		})
	},
}
