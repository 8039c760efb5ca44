package scan

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestNothingToScan: a path under which nothing is scanned (no manifest, Dockerfile,
// chart or kustomization; a mistyped directory in CI) is an error naming it, and the
// other paths are scanned as usual; --allow-empty makes it a note.
func TestNothingToScan(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "app/pod.yaml", pod(""))
	write(t, dir, "docs/README.md", "# not a manifest\n")
	write(t, dir, "docs/deep/notes.txt", "nor this\n")
	empty, app := filepath.Join(dir, "docs"), filepath.Join(dir, "app")

	rep := run(t, Options{Paths: []string{empty, app}})
	if len(rep.Errors) != 1 || rep.Errors[0].File != empty || !strings.HasPrefix(rep.Errors[0].Message, "nothing to scan") {
		t.Errorf("errors %+v, want one naming %s", rep.Errors, empty)
	}
	if rep.Files != 1 || ids(rep.Results)["KM-0004"] == 0 {
		t.Errorf("the other path: %d files, results %v", rep.Files, ids(rep.Results))
	}

	rep = run(t, Options{Paths: []string{empty}, AllowEmpty: true})
	if len(rep.Errors) != 0 || len(rep.Notes) != 1 || rep.Notes[0].File != empty {
		t.Errorf("with AllowEmpty: errors %+v, notes %+v", rep.Errors, rep.Notes)
	}

	// A path with an input in it is not empty, whatever the input holds; nor is one
	// whose only input could not be read.
	write(t, dir, "blank/empty.yaml", "")
	write(t, dir, "bad/bad.yaml", "a: [\n")
	for _, p := range []string{"blank", "bad"} {
		rep = run(t, Options{Paths: []string{filepath.Join(dir, p)}})
		for _, e := range append(rep.Errors, rep.Notes...) {
			if strings.Contains(e.Message, "nothing to scan") {
				t.Errorf("%s: %+v", p, e)
			}
		}
	}
}
