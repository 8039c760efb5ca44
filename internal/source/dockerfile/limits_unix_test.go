//go:build unix

package dockerfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestIgnoreNotRegular: a .dockerignore that is a FIFO, a device or a directory is an
// error naming it; Load neither blocks on a FIFO nor reads a device without end.
func TestIgnoreNotRegular(t *testing.T) {
	dir, dockerfile := writeDockerfile(t)
	ignore := filepath.Join(dir, ".dockerignore")
	if err := syscall.Mkfifo(ignore, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	_, err := loadSoon(t, dockerfile, dir)
	wantLoadError(t, err, ignore, "not a regular file")

	if err := os.Remove(ignore); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(ignore, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = loadSoon(t, dockerfile, dir)
	wantLoadError(t, err, ignore, "not a regular file")
}

// TestIgnoreLinks: a .dockerignore link that leaves the build context (to /dev/zero,
// which exhausted memory in seconds, or to a file outside) is not followed; one inside
// the context is.
func TestIgnoreLinks(t *testing.T) {
	dir, dockerfile := writeDockerfile(t)
	ignore := filepath.Join(dir, ".dockerignore")
	outside := filepath.Join(t.TempDir(), "patterns")
	if err := os.WriteFile(outside, []byte("secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	up, err := filepath.Rel(dir, outside)
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/dev/zero", outside, up} {
		_ = os.Remove(ignore)
		if err := os.Symlink(target, ignore); err != nil {
			t.Fatal(err)
		}
		_, err := loadSoon(t, dockerfile, dir)
		wantLoadError(t, err, ignore, "outside the build context")
	}
	_ = os.Remove(ignore)
	if err := os.Symlink("missing", ignore); err != nil {
		t.Fatal(err)
	}
	_, err = loadSoon(t, dockerfile, dir)
	wantLoadError(t, err, ignore, "no such file")

	_ = os.Remove(ignore)
	if err := os.WriteFile(filepath.Join(dir, "patterns"), []byte("*.pem\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("patterns", ignore); err != nil {
		t.Fatal(err)
	}
	f, err := loadSoon(t, dockerfile, dir)
	if err != nil || f.Ignore == nil || !f.Ignore.Excludes("a.pem") {
		t.Errorf("a link inside the context: %v, %+v", err, f)
	}
}

// TestDockerfileNotRegular: a Dockerfile that is a FIFO is an error, not a hang.
func TestDockerfileNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "Dockerfile")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	_, err := loadSoon(t, fifo, dir)
	wantLoadError(t, err, fifo, "not a regular file")
}
