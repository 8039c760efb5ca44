package image

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/image"
)

// SignatureVerified is IM-0014. Its verdict is not a function of the image's content:
// kharden scan --images and kharden audit cluster --images verify each image an image
// policy covers with the verification the admission webhook runs (sign.Verify, as
// `kharden verify` does) and report the images that do not verify under it.
var SignatureVerified = &Rule{
	Meta: rule.Meta{
		ID:        "IM-0014",
		Slug:      "image-signature-verified",
		Title:     "An image an image policy covers should be signed by one of the policy's keys",
		Severity:  rule.High,
		Practices: []string{"B18"},
		Rationale: "An image policy (admission.imagePolicies in the config) says which repositories may only run when a " +
			"trusted key signed the image's digest, and when asked, when a recent scan of it passed. The webhook denies " +
			"the others at admission; this rule finds them earlier, in the manifests of a pull request (kharden scan " +
			"--images) and on a running cluster (kharden audit cluster --images), with the same verdict and reason: no " +
			"signature, a signature no key of the policy verifies, a signature copied from another repository or made " +
			"for another digest, a missing, failing or stale scan attestation. It runs only when the config has image " +
			"policies, and judges only the images a policy covers in the object's namespace (an object without a " +
			"namespace can be applied in any, so every policy judges it).",
		Remediation: "Scan and sign the image in CI with a key the policy names (kharden sign --key cosign.key IMAGE, which " +
			"attaches the scan result), check it with kharden verify --key cosign.pub IMAGE, and deploy it by digest. " +
			"If the image is trusted but signed with another key, add that key to the policy.",
		References: []string{
			"https://docs.sigstore.dev/cosign/signing/signing_with_containers/",
			"https://github.com/secure-systems-lab/dsse",
		},
		Since:   "0.2.0",
		Default: true,
	},
	Signature: true,
	Check:     func(*image.Image) []Finding { return nil },
}
