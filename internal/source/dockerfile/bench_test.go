package dockerfile

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// readCorpus reads the docker-library Dockerfiles into memory, so the benchmarks
// measure parsing, not the disk.
func readCorpus(b *testing.B) (names []string, data [][]byte) {
	for _, p := range corpusFiles(b) {
		d, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		names, data = append(names, p), append(data, d)
	}
	return names, data
}

func perSecond(b *testing.B, n int) {
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "dockerfiles/s")
}

// BenchmarkParseFloor parses the corpus with BuildKit's parser alone: the floor no
// Dockerfile scan can go below.
func BenchmarkParseFloor(b *testing.B) {
	_, data := readCorpus(b)
	for b.Loop() {
		for _, d := range data {
			if _, err := parser.Parse(bytes.NewReader(d)); err != nil {
				b.Fatal(err)
			}
		}
	}
	perSecond(b, len(data))
}

// BenchmarkParse builds kharden's model of the corpus: BuildKit's parser and typed
// instructions, stages, ARG expansion and the shell parse of every RUN.
func BenchmarkParse(b *testing.B) {
	names, data := readCorpus(b)
	for b.Loop() {
		for i, d := range data {
			if _, err := Parse(names[i], d); err != nil {
				b.Fatal(err)
			}
		}
	}
	perSecond(b, len(data))
}

// manyRuns is a Dockerfile of one FROM and n one-command RUN lines.
func manyRuns(n int) []byte {
	var b bytes.Buffer
	b.WriteString("FROM debian:12\n")
	for i := range n {
		fmt.Fprintf(&b, "RUN echo %d\n", i)
	}
	return b.Bytes()
}

// BenchmarkParseManyRuns parses a hostile file of 160,000 RUN lines: the cost per
// instruction must stay flat however many there are.
func BenchmarkParseManyRuns(b *testing.B) {
	data := manyRuns(160_000)
	for b.Loop() {
		if _, err := Parse("Dockerfile", data); err != nil {
			b.Fatal(err)
		}
	}
}
