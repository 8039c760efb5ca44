package helm

import "testing"

// BenchmarkRender renders the project's own chart: the cost of the rendering limits
// (instrumented templates, a tick per loop iteration and include) shows here.
func BenchmarkRender(b *testing.B) {
	for b.Loop() {
		r, err := Render("../../../charts/kharden", Options{})
		if err != nil || len(r.Errors) != 0 {
			b.Fatal(err, r.Errors)
		}
	}
}
