package scan

import (
	"os"
	"testing"
)

const corpus = "../../../shared/corpus"

// BenchmarkFloor reads and decodes the corpus with the YAML library alone: the cost no
// scan can go below.
func BenchmarkFloor(b *testing.B) {
	for b.Loop() {
		ParseOnly([]string{corpus}, 0)
	}
}

// BenchmarkScan is the full scan of the corpus with the default rules.
func BenchmarkScan(b *testing.B) {
	if _, err := os.Stat(corpus); err != nil {
		b.Skip("no corpus")
	}
	for b.Loop() {
		rep, err := Run(Options{Paths: []string{corpus}})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(rep.Objects), "objects/op")
	}
}
