package scan

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

const corpus = "../../../shared/corpus"

// BenchmarkFloor reads and decodes the corpus with the YAML library alone: the cost no
// scan can go below.
func BenchmarkFloor(b *testing.B) {
	for b.Loop() {
		_ = filepath.WalkDir(corpus, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !manifestExts[filepath.Ext(p)] {
				return nil
			}
			data, _ := os.ReadFile(p)
			dec := yaml.NewDecoder(bytes.NewReader(data))
			for {
				var n yaml.Node
				if err := dec.Decode(&n); err != nil {
					break // io.EOF, or a syntax error the scan reports
				}
			}
			return nil
		})
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
