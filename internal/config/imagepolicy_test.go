package config

import "testing"

func TestImagePoliciesParsedWithLines(t *testing.T) {
	doc := `admission:
  enforce: high
  imagePolicies:
    - name: prod
      images: ["registry.example.com/**"]
      keys: [keys/cosign.pub]
      attestation: {maxAge: 7d, failOn: high}
    - name: base
      namespaces: [shop-*]
      images: [docker.io/library/*]
      keys: ["-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"]
`
	c, err := Parse("c.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	ps := c.Admission.ImagePolicies
	if len(ps) != 2 || ps[0].Name != "prod" || ps[0].Attestation == nil || ps[0].Attestation.MaxAge != "7d" ||
		ps[1].Attestation != nil || ps[1].Namespaces[0] != "shop-*" {
		t.Fatalf("policies = %+v", ps)
	}
	if c.Line(ImagePolicyKey(0)) != 4 || c.Line(ImagePolicyKey(1)) != 8 {
		t.Errorf("lines %d, %d; want 4, 8", c.Line(ImagePolicyKey(0)), c.Line(ImagePolicyKey(1)))
	}
	if got := c.Errorf(ImagePolicyKey(1), "bad").Error(); got != "c.yaml:8: bad" {
		t.Errorf("Errorf = %q", got)
	}
	if _, err := Parse("c.yaml", []byte("admission:\n  imagePolicies:\n    - {name: x, key: [a]}\n")); err == nil {
		t.Error("an unknown field in a policy is no error")
	}
}
