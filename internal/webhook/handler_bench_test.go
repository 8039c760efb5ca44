package webhook

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/kharden/kharden/internal/admission"
	"github.com/kharden/kharden/internal/config"
)

// BenchmarkHandlerCorpus is the validating handler alone (no TLS, no sockets) on the
// load benchmark's reviews, written by `webhook-bench -dump DIR` and named by
// KHARDEN_REVIEWS=DIR, at the bench's policy (enforce high, warn pss-restricted, audit
// low): the part of a request's CPU that is kharden's own.
func BenchmarkHandlerCorpus(b *testing.B) {
	dir := os.Getenv("KHARDEN_REVIEWS")
	if dir == "" {
		b.Skip("KHARDEN_REVIEWS not set")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	var bodies [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		bodies = append(bodies, data)
	}
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
		c.Request.Reset()
		c.Response.Reset()
		c.Request.Header.SetMethod("POST")
		c.Request.SetBody(bodies[i%len(bodies)])
		h(&c)
		if c.Response.StatusCode() != 200 {
			b.Fatal(c.Response.StatusCode())
		}
		i++
	}
}
