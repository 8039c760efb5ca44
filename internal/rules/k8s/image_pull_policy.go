package k8s

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/workload"
)

// ImagePullPolicy is KM-0038.
var ImagePullPolicy = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0038",
		Slug:      "image-pull-policy",
		Title:     "Images not pinned by digest must be pulled with imagePullPolicy Always",
		Severity:  rule.Low,
		Practices: []string{"D13"},
		Rationale: "With IfNotPresent (the default for any tag but latest) or Never, a node runs whatever image it has " +
			"cached under the tag: a stale build, or one placed there by another workload, and the registry's " +
			"authorisation is not asked again, so a pod can use a private image it has no pull secret for. Always " +
			"makes the kubelet resolve the tag at the registry on every start; a digest makes the cache safe.",
		Remediation: "Pin the image by digest (then IfNotPresent is safe and fast), or set imagePullPolicy: Always.",
		References: []string{
			"https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy",
			"https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#alwayspullimages",
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
			if r.Pinned() {
				return nil
			}
			policy, how := c.ImagePullPolicy, ""
			if policy == "" {
				// The API server's default: Always for latest or no tag, else IfNotPresent.
				policy, how = corev1.PullIfNotPresent, " (the default for a tagged image)"
				if r.ImplicitLatest() {
					policy = corev1.PullAlways
				}
			}
			if policy == corev1.PullAlways {
				return nil
			}
			return []rule.Finding{finding(c.Field("imagePullPolicy"),
				"container %q pulls image %q, not pinned by digest, with imagePullPolicy %s%s: nodes may run a stale cached image",
				c.Name, c.Image, policy, how)}
		})
	},
}
