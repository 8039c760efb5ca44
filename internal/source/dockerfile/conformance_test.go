package dockerfile

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// corpus is the docker-library Dockerfiles of the shared conformance data (read-only,
// next to the checkout).
const corpus = "../../../../shared/conformance/dockerfile/docker-library"

// corpusFiles lists the Dockerfiles of the corpus.
func corpusFiles(tb testing.TB) []string {
	tb.Helper()
	if _, err := os.Stat(corpus); err != nil {
		tb.Skipf("no conformance corpus at %s", corpus)
	}
	var files []string
	err := filepath.WalkDir(corpus, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && IsDockerfileName(d.Name()) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// TestConformanceDockerLibrary parses every Dockerfile of the docker-library corpus:
// BuildKit accepts them all, so must kharden, and every instruction's lines must map
// back to the text BuildKit joined, so command positions are exact.
func TestConformanceDockerLibrary(t *testing.T) {
	files := corpusFiles(t)
	if len(files) < 290 {
		t.Fatalf("found %d Dockerfiles in the corpus, want the 296 it holds", len(files))
	}
	var commands, fallbacks int
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Parse(p, data)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if f.Final == nil || len(f.RunningStages()) == 0 {
			t.Errorf("%s: no final stage", p)
		}
		for _, in := range f.Instructions {
			joined, _, last := joinLines(f.Lines, in.Line, f.Escape)
			if joined != in.Original {
				t.Errorf("%s:%d: joined lines differ from BuildKit's:\n got %q\nwant %q", p, in.Line, joined, in.Original)
			}
			if len(in.Heredocs) == 0 && last != in.EndLine {
				t.Errorf("%s:%d: joined up to line %d, BuildKit to %d", p, in.Line, last, in.EndLine)
			}
			for _, c := range in.Commands {
				commands++
				if c.Line < in.Line || c.Line > in.EndLine || (c.Col == 0 && in.Kind == "RUN" && !in.JSON) {
					t.Errorf("%s:%d: command %q placed at %d:%d, outside its instruction", p, in.Line, c.Name, c.Line, c.Col)
				}
				if c.split {
					fallbacks++
					if fallbacks < 5 {
						t.Logf("%s:%d: fallback for %q", p, c.Line, c.Raw)
					}
				}
			}
		}
	}
	t.Logf("parsed %d Dockerfiles, %d commands", len(files), commands)
	if fallbacks > 0 {
		t.Errorf("%d commands came from the whitespace fallback: the shell parser rejected real scripts", fallbacks)
	}
}
