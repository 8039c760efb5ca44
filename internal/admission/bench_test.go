package admission

import (
	"context"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/testkit"
)

// BenchmarkValidate is the cost of judging one request (decoding the object, running the
// rules of an enforce, a warn and an audit level), without HTTP.
func BenchmarkValidate(b *testing.B) {
	dep, _, _ := testkit.WrapPod([]byte(hardenedPod), "Deployment")
	for _, c := range []struct{ name, src string }{
		{"hardened-pod", hardenedPod},
		{"privileged-pod", privilegedPod},
		{"hardened-deployment", string(dep)},
		{"violating-deployment", violatingDeployment},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := reviewer(b, &config.Config{}, StaticNamespaces{"shop": {LabelEnforce: "high", LabelWarn: "pss-restricted", LabelAudit: "low"}})
			req := request(b, admissionv1.Create, c.src)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				r.Validate(ctx, req)
			}
		})
	}
}

// BenchmarkDecodeReview is the cost of reading an AdmissionReview body.
func BenchmarkDecodeReview(b *testing.B) {
	body := []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","kind":{"group":"","version":"v1","kind":"Pod"},"namespace":"shop","operation":"CREATE","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x","securityContext":{"privileged":true}}]}}}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeReview(body); err != nil {
			b.Fatal(err)
		}
	}
}
