package testkit

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// Golden compares got with the golden file at path, or writes got there when update is
// true (a test's -update flag). A failure shows the new output and the command that
// accepts it.
func Golden(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test with -update in this package to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale, or the output changed: compare the output below with it, and if the change is "+
			"right, run go test with -update in this package\n--- got:\n%s", path, got)
	}
}
