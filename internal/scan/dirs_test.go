package scan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A kustomization reads nothing outside the repository it is in, or outside the path
// being scanned when there is no repository: outside one, an overlay scanned on its own
// cannot reach its base in ../../base, one scanned with its base can; inside one, the
// overlay alone builds, and a resource above the repository is still refused.
func TestKustomizationStaysInTheScannedPath(t *testing.T) {
	top := t.TempDir()
	tree := filepath.Join(top, "repo")
	if err := os.CopyFS(tree, os.DirFS("../source/kustomize/testdata")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(tree, "overlays", "broken")); err != nil {
		t.Fatal(err)
	}
	overlay := filepath.Join(tree, "overlays", "prod")
	builtOverlay := func(t *testing.T, paths ...string) {
		t.Helper()
		rep := run(t, Options{Paths: paths})
		found := false
		for _, r := range rep.Results {
			found = found || strings.HasSuffix(r.Location.File, "overlays/prod/kustomization.yaml")
		}
		if !found || len(rep.Errors) != 0 {
			t.Errorf("scan %v: overlay built %v; errors %+v", paths, found, rep.Errors)
		}
	}

	rep := run(t, Options{Paths: []string{overlay}})
	if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Message, "outside the scanned directory") {
		t.Errorf("overlay alone, no repository: errors %+v", rep.Errors)
	}
	builtOverlay(t, filepath.Join(tree, "overlays", ".."))

	if err := os.Mkdir(filepath.Join(tree, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	builtOverlay(t, overlay)

	// Above the repository: a secret beside it is not read, even by an overlay inside.
	if err := os.WriteFile(filepath.Join(top, "secret.yaml"), []byte("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	k := "resources:\n- ../../../secret.yaml\n"
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	rep = run(t, Options{Paths: []string{overlay}})
	if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Message, "outside the scanned directory") {
		t.Errorf("resource above the repository: errors %+v", rep.Errors)
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
