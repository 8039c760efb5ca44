package rootpath

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "usr/bin"), 0o755)
	os.WriteFile(filepath.Join(dir, "usr/bin/dash"), nil, 0o755)
	os.Symlink("usr/bin", filepath.Join(dir, "bin"))
	os.Symlink("dash", filepath.Join(dir, "usr/bin/sh"))
	os.Symlink("/", filepath.Join(dir, "abs"))
	os.Symlink("../../../../..", filepath.Join(dir, "usr/up"))
	os.Symlink("loop2", filepath.Join(dir, "loop1"))
	os.Symlink("loop1", filepath.Join(dir, "loop2"))
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	for _, c := range []struct {
		in, want  string
		missingOK bool
		err       string
	}{
		{in: "/bin/sh", want: "/usr/bin/dash"},
		{in: "/abs/abs/bin/sh", want: "/usr/bin/dash"},
		{in: "/usr/up/bin/sh", want: "/usr/bin/dash"}, // ".." stops at the root
		{in: "/usr/../../bin", want: "/usr/bin"},
		{in: "/bin/new/file", want: "/usr/bin/new/file", missingOK: true},
		{in: "/bin/new/file", err: "no such file"},
		{in: "/loop1/x", err: "more than 40 symbolic links"},
	} {
		got, err := Resolve(root, c.in, c.missingOK)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Resolve(%s): %q %v, want error %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("Resolve(%s) = %q %v, want %q", c.in, got, err, c.want)
		}
	}
}
