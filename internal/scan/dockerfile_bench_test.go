package scan

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/kharden/kharden/internal/source/dockerfile"
)

const dockerLibrary = "../../../shared/conformance/dockerfile/docker-library"

// BenchmarkDockerfileScan is the full scan of the docker-library Dockerfiles with the
// default rules: reading, parsing, .dockerignore lookup, every rule, the report. Compare
// it with BenchmarkParseFloor in internal/source/dockerfile (BuildKit's parser alone).
func BenchmarkDockerfileScan(b *testing.B) {
	if _, err := os.Stat(dockerLibrary); err != nil {
		b.Skip("no docker-library corpus")
	}
	var files []string
	_ = filepath.WalkDir(dockerLibrary, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && dockerfile.IsDockerfileName(d.Name()) {
			files = append(files, p)
		}
		return nil
	})
	for b.Loop() {
		rep, err := Run(Options{Dockerfiles: files})
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Errors) > 0 {
			b.Fatalf("%d errors, first %+v", len(rep.Errors), rep.Errors[0])
		}
	}
	b.ReportMetric(float64(len(files)*b.N)/b.Elapsed().Seconds(), "dockerfiles/s")
}
