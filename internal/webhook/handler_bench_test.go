package webhook

import (
	"bytes"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/kharden/kharden/internal/admission"
	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/testkit"
)

// BenchmarkHandlerCorpus is the validating handler alone (no TLS, no sockets) on the
// load benchmark's reviews (testkit.Reviews) at its policy (enforce high, warn
// pss-restricted, audit low): the part of a request's CPU that is kharden's own.
func BenchmarkHandlerCorpus(b *testing.B) {
	reviews := testkit.Reviews(1000, 0.2)
	certs, err := WriteCerts(b.TempDir(), CertOptions{Hosts: []string{"127.0.0.1"}})
	if err != nil {
		b.Fatal(err)
	}
	rev, err := admission.New(admission.Options{Config: &config.Config{Admission: config.Admission{Enforce: "high", Warn: "pss-restricted", Audit: "low"}}})
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(Options{Reviewer: rev, CertFile: certs.Cert, KeyFile: certs.Key})
	if err != nil {
		b.Fatal(err)
	}
	h := s.routes["/validate"]
	var c fasthttp.RequestCtx
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r := reviews[i%len(reviews)]
		c.Request.Reset()
		c.Response.Reset()
		c.Request.Header.SetMethod(fasthttp.MethodPost)
		c.Request.SetBody(r.Body)
		h(&c)
		if c.Response.StatusCode() != fasthttp.StatusOK {
			b.Fatalf("HTTP %d: %s", c.Response.StatusCode(), c.Response.Body())
		}
		if bytes.Contains(c.Response.Body(), []byte(`"allowed":true`)) != r.Allowed {
			b.Fatalf("review %s: want allowed %v, got %s", r.UID, r.Allowed, c.Response.Body())
		}
		i++
	}
}
