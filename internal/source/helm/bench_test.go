package helm

import "testing"

// BenchmarkRender renders the project's own chart: the cost of the rendering limits
// (instrumented templates, a tick per loop iteration and include) shows here. Most of
// its time goes to the chart's genCA and genSignedCert (RSA keys), which vary widely.
func BenchmarkRender(b *testing.B) {
	for b.Loop() {
		r, err := Render("../../../charts/kharden", Options{})
		if err != nil || len(r.Errors) != 0 {
			b.Fatal(err, r.Errors)
		}
	}
}

// BenchmarkRenderTraced renders a chart of helpers, loops, toYaml and a subchart, without
// key generation: the cost of tracing the output to template lines (trace.go) shows here.
func BenchmarkRenderTraced(b *testing.B) {
	for b.Loop() {
		if _, err := Render("testdata/mapped", Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
