package testkit

import (
	"path/filepath"
	"testing"
)

func TestGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "out.golden")
	Golden(t, path, []byte("a\n"), true)
	Golden(t, path, []byte("a\n"), false)
	var rec recorder
	Golden(&rec, path, []byte("b\n"), false)
	if !rec.failed {
		t.Error("a changed output passes")
	}
	rec.failed = false
	Golden(&rec, filepath.Join(t.TempDir(), "missing.golden"), []byte("a\n"), false)
	if !rec.failed {
		t.Error("a missing golden file passes")
	}
}

// recorder is a testing.TB that notes failures instead of failing.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }
