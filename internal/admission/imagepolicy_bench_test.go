package admission

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/testkit/registry"
)

// BenchmarkImagePolicy is what image verification adds to a review (docs/benchmarks.md):
// the hardened pod validated without image policies, with a policy and the image's
// verification in the cache (by digest, as mutation pins it, and by tag), and with the
// cache emptied before each review, so that every review verifies against the
// in-process registry (resolve, .sig manifest, signature blob). Each reports the 50th
// and 99th percentile of its reviews besides the mean.
func BenchmarkImagePolicy(b *testing.B) {
	s := newImageSetup(b)
	signer0, _ := registry.Key(b, 0)
	digest := s.reg.Push(b, "team/app:1")
	s.reg.Sign(b, "team/app:1", signer0, nil)
	pod := func(img string) *admissionv1.AdmissionRequest {
		src := strings.Replace(hardenedPod, "registry.example.com/web@sha256:0000000000000000000000000000000000000000000000000000000000000000", img, 1)
		return request(b, admissionv1.Create, src)
	}
	byDigest, byTag := pod(s.reg.Ref("team/app@"+digest)), pod(s.reg.Ref("team/app:1"))
	ns := StaticNamespaces{"shop": {LabelEnforce: "high", LabelWarn: "pss-restricted", LabelAudit: "low"}}
	with := s.config(b, "")
	with.Rules.Disable = []string{"image-digest", "image-pull-policy"}
	without := &config.Config{Rules: with.Rules}
	newReviewer := func(cfg *config.Config) *Reviewer {
		r, err := New(Options{Config: cfg, Namespaces: ns, Images: ImageOptions{Registry: s.reg.Options()}})
		if err != nil {
			b.Fatal(err)
		}
		return r
	}
	for _, c := range []struct {
		name  string
		cfg   *config.Config
		req   *admissionv1.AdmissionRequest
		empty bool // empty the cache before each review
	}{
		{"no-policy-digest", without, byDigest, false},
		{"no-policy-tag", without, byTag, false},
		{"cached-digest", with, byDigest, false},
		{"cached-tag", with, byTag, false},
		{"cold-tag", with, byTag, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := newReviewer(c.cfg)
			ctx := context.Background()
			if d := r.Validate(ctx, c.req); !d.Response.Allowed {
				b.Fatalf("denied: %s", d.Response.Result.Message)
			}
			var times []time.Duration
			b.ReportAllocs()
			for b.Loop() {
				if c.empty {
					r.images.verdicts, r.images.tags = newLRU[imageVerdict](DefaultImageCacheSize), newLRU[string](DefaultImageCacheSize)
				}
				start := time.Now()
				d := r.Validate(ctx, c.req)
				times = append(times, time.Since(start))
				if !d.Response.Allowed {
					b.Fatal(d.Response.Result.Message)
				}
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(times[len(times)*99/100].Nanoseconds()), "p99-ns")
		})
	}
}
