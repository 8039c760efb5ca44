package scan

import (
	"strings"
	"testing"
)

// A kustomization reads nothing outside the path being scanned: an overlay scanned on
// its own cannot reach its base in ../../base, one scanned with its base can.
func TestKustomizationStaysInTheScannedPath(t *testing.T) {
	const testdata = "../source/kustomize/testdata"
	rep := run(t, Options{Paths: []string{testdata + "/overlays/prod"}})
	if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Message, "outside the scanned directory") {
		t.Errorf("overlay alone: errors %+v", rep.Errors)
	}
	rep = run(t, Options{Paths: []string{testdata + "/overlays/../"}})
	found := false
	for _, r := range rep.Results {
		found = found || strings.HasSuffix(r.Location.File, "overlays/prod/kustomization.yaml (built)")
	}
	if !found {
		t.Errorf("overlay scanned with its base: no findings; errors %+v", rep.Errors)
	}
}

func TestScanRoot(t *testing.T) {
	for _, c := range []struct {
		dir   string
		paths []string
		want  string
	}{
		{"a/b", []string{"a"}, "a"},
		{"a/b", []string{"x", "a/b"}, "a/b"},
		{"a/b", []string{"a/b", "."}, "."},
		{"ab/c", []string{"a"}, "ab/c"},
	} {
		if got := scanRoot(c.dir, c.paths); got != c.want {
			t.Errorf("scanRoot(%s, %v) = %s, want %s", c.dir, c.paths, got, c.want)
		}
	}
}
