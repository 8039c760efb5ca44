package admission

import (
	"fmt"
	"strings"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/scan"
)

// ImagePoliciesKey is where image policies are written in the webhook's config.
const ImagePoliciesKey = scan.ImagePoliciesKey

// imagePolicy is one checked entry of the config's admission.imagePolicies, as
// kharden scan --images and audit cluster --images judge images by it.
type imagePolicy = scan.ImagePolicy

// newImagePolicies checks the config's image policies (scan.ParseImagePolicies).
func newImagePolicies(cfg *config.Config) ([]*imagePolicy, error) {
	return scan.ParseImagePolicies(cfg)
}

// AnnotationAuditImages is the audit annotation that lists the images an audit level
// found not verified.
const AnnotationAuditImages = "audit-images"

// imagePolicyHint ends an image denial: what to do, and that the object cannot exempt
// itself.
const imagePolicyHint = "\nSign the image (kharden sign) with a key the policy names, and check it with `kharden verify`; " +
	"annotations on the object exempt nothing: image policies are the cluster admins' (" + ImagePoliciesKey + ")."

// imageDenial names the object and, per image that did not verify, the image, the
// container, the policy and the reason:
//
//	kharden: Deployment shop/web: 1 image not verified by the image policies:
//	- image "registry.example.com/app:1" (container "web", spec.template.spec.containers[0].image) is not verified by image policy "prod": ...
func (r *Reviewer) imageDenial(obj fmt.Stringer, failed []imageCheck) string {
	var b strings.Builder
	n := len(failed)
	fmt.Fprintf(&b, "kharden: %s: %d %s not verified by the image policies:", obj, n, plural(n, "image", "images"))
	for i, c := range failed {
		if i == r.maxListed {
			fmt.Fprintf(&b, "\n- and %d more", n-i)
			break
		}
		fmt.Fprintf(&b, "\n- %s", c)
	}
	b.WriteString(imagePolicyHint)
	return truncate(b.String(), maxDenial)
}

// joinDenials puts an image denial after the rules' denial, within the bound.
func joinDenials(a, b string) string {
	if a == "" {
		return b
	}
	return truncate(a+"\n"+b, maxDenial)
}

// imageAnnotation lists the images not verified, with their policies.
func imageAnnotation(failed []imageCheck) string {
	parts := make([]string, 0, len(failed))
	for _, c := range failed {
		parts = append(parts, fmt.Sprintf("%s %s (%s)", c.path, c.image, c.policy.Name))
	}
	return truncate(strings.Join(parts, "; "), maxAnnotation)
}
