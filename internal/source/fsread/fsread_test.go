package fsread_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/kharden/kharden/internal/source/fsread"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func link(t *testing.T, target, name string) {
	t.Helper()
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

// Every case holds for each way of reading: ReadFile, ReadEntry with the type a
// directory listing gives, and both through os.Root (a kernel without openat2).
func TestRootReadFile(t *testing.T) {
	for _, through := range []string{"openat2", "os.Root"} {
		t.Run(through, func(t *testing.T) {
			if through == "os.Root" {
				fsread.WithoutBeneath(t)
			} else if runtime.GOOS == "linux" && !fsread.BeneathUsed() {
				t.Skip("openat2 is not available here")
			}
			testRootReadFile(t)
			if through == "openat2" && runtime.GOOS == "linux" && !fsread.BeneathUsed() {
				t.Error("openat2 was given up during the test: the cases ran through os.Root")
			}
		})
	}
}

func testRootReadFile(t *testing.T) {
	outside := t.TempDir()
	write(t, filepath.Join(outside, "secret"), "TOKEN=s3cret\n")
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.yaml"), "a: 1\n")
	write(t, filepath.Join(dir, "sub", "b.yaml"), "b: 2\n")
	link(t, "a.yaml", filepath.Join(dir, "same.yaml"))
	link(t, "../a.yaml", filepath.Join(dir, "sub", "up.yaml"))
	link(t, filepath.Join(outside, "secret"), filepath.Join(dir, "abs.yaml"))
	link(t, "../"+filepath.Base(outside)+"/secret", filepath.Join(dir, "rel.yaml"))
	link(t, "loop2.yaml", filepath.Join(dir, "loop1.yaml"))
	link(t, "loop1.yaml", filepath.Join(dir, "loop2.yaml"))
	link(t, "nothing.yaml", filepath.Join(dir, "dangling.yaml"))
	link(t, "/dev/zero", filepath.Join(dir, "zero.yaml"))
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	link(t, "fifo.yaml", filepath.Join(dir, "tofifo.yaml"))
	link(t, "../"+filepath.Base(outside), filepath.Join(dir, "outdir"))
	link(t, "sub", filepath.Join(dir, "insub"))
	if err := os.Mkdir(filepath.Join(dir, "d.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}

	r, err := fsread.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, tc := range []struct {
		name, want, err string
	}{
		{name: "a.yaml", want: "a: 1\n"},
		{name: "same.yaml", want: "a: 1\n"},
		{name: "sub/up.yaml", want: "a: 1\n"},
		{name: "insub/b.yaml", want: "b: 2\n"},
		{name: "outdir/secret", err: "path escapes from parent"},
		{name: "abs.yaml", err: "symbolic link is absolute (only relative links inside the scanned directory are followed) (-> " + filepath.Join(outside, "secret") + "): not read"},
		{name: "rel.yaml", err: "symbolic link leaves the scanned directory (-> ../" + filepath.Base(outside) + "/secret): not read"},
		{name: "loop1.yaml", err: "symbolic link loops (-> loop2.yaml): not read"},
		{name: "dangling.yaml", err: "symbolic link points to nothing (-> nothing.yaml): not read"},
		{name: "zero.yaml", err: "symbolic link is absolute"},
		{name: "fifo.yaml", err: "not a regular file (a named pipe): not read"},
		{name: "tofifo.yaml", err: "not a regular file (a named pipe): not read"},
		{name: "d.yaml", err: "not a regular file (a directory): not read"},
	} {
		name := filepath.FromSlash(tc.name)
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		readEntry := func(name string, limit int64) ([]byte, error) { return r.ReadEntry(name, fi.Mode().Type(), limit) }
		openEntry := func(name string, limit int64) ([]byte, error) {
			e, err := r.OpenEntry(name, fi.Mode().Type())
			if err != nil {
				return nil, err
			}
			b, err := e.Read(limit)
			if err == nil && e.Size != int64(len(b)) {
				return b, fmt.Errorf("Size %d, read %d bytes", e.Size, len(b))
			}
			return b, err
		}
		for how, read := range map[string]func(string, int64) ([]byte, error){"ReadFile": r.ReadFile, "ReadEntry": readEntry, "OpenEntry": openEntry} {
			got, err := read(name, 1<<20)
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("%s %s: %v", how, tc.name, err)
			case tc.err == "" && string(got) != tc.want:
				t.Errorf("%s %s: got %q, want %q", how, tc.name, got, tc.want)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("%s %s: got %q, %v; want error %q", how, tc.name, got, err, tc.err)
			}
		}
	}
}

func TestReadFileNamed(t *testing.T) {
	outside := t.TempDir()
	write(t, filepath.Join(outside, "secret"), "TOKEN=s3cret\n")
	dir := t.TempDir()
	write(t, filepath.Join(dir, "docker", "Dockerfile.prod"), "FROM a\n")
	link(t, "docker/Dockerfile.prod", filepath.Join(dir, "Dockerfile"))
	link(t, filepath.Join(outside, "secret"), filepath.Join(dir, "app.yaml"))
	if b, err := fsread.ReadFile(filepath.Join(dir, "Dockerfile"), 100); err != nil || string(b) != "FROM a\n" {
		t.Errorf("a link inside the file's directory: got %q, %v", b, err)
	}
	var le *fsread.LinkError
	if b, err := fsread.ReadFile(filepath.Join(dir, "app.yaml"), 100); !errors.As(err, &le) || !strings.Contains(err.Error(), "is absolute (only relative links inside its directory are followed)") {
		t.Errorf("a named link to outside its directory: got %q, %v; want a *LinkError", b, err)
	}
	// A file named through a directory that is a link is read: directories are taken as named.
	link(t, outside, filepath.Join(dir, "out"))
	if b, err := fsread.ReadFile(filepath.Join(dir, "out", "secret"), 100); err != nil || len(b) == 0 {
		t.Errorf("through a named directory link: got %q, %v", b, err)
	}
}

func TestTooLargeTellsTheRealSize(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "big"), strings.Repeat("x", 5000))
	r, err := fsread.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = r.ReadFile("big", 1000)
	var tl *fsread.TooLargeError
	if !errors.As(err, &tl) || err.Error() != "file is 5000 bytes, more than the 1000 byte limit" {
		t.Errorf("got %v", err)
	}
	if b, err := r.ReadFile("big", 5000); err != nil || len(b) != 5000 {
		t.Errorf("at the limit: %d bytes, %v", len(b), err)
	}
}

// A file that does not tell its size (as those of /proc) is cut at the limit and said
// to be more than it.
func TestTooLargeUnknownSize(t *testing.T) {
	f, err := os.Open("/proc/self/cmdline")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	_, err = fsread.ReadAll(f, 2)
	if err == nil || err.Error() != "file is more than the 2 byte limit" {
		t.Errorf("got %v", err)
	}
}

// ReadRegular reads a regular file whole, and opens no FIFO or device and reads no more
// than its limit.
func TestReadRegular(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok.yaml")
	if err := os.WriteFile(ok, []byte("a: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := fsread.ReadRegular(ok, 5); err != nil || string(got) != "a: 1\n" {
		t.Errorf("regular file: %q, %v", got, err)
	}
	var tl *fsread.TooLargeError
	if _, err := fsread.ReadRegular(ok, 4); !errors.As(err, &tl) || tl.Size != 5 {
		t.Errorf("over the limit: %v", err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	var nr *fsread.NotRegularError
	for _, p := range []string{fifo, "/dev/zero", dir} {
		if _, err := fsread.ReadRegular(p, 1<<20); !errors.As(err, &nr) {
			t.Errorf("%s: %v, want a NotRegularError", p, err)
		}
	}
}

// A closed root reads nothing, by either way.
func TestClosedRoot(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.yaml"), "a: 1\n")
	r, err := fsread.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if b, err := r.ReadEntry("a.yaml", 0, 100); err == nil {
		t.Errorf("read %q from a closed root", b)
	}
}

// A listing's word is not trusted alone: a FIFO or a directory swapped in after the
// listing said "regular" is refused on the open file, without blocking.
func TestReadEntryListedRegular(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "d.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	r, err := fsread.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for name, want := range map[string]string{"fifo.yaml": "a named pipe", "d.yaml": "a directory"} {
		var nr *fsread.NotRegularError
		if b, err := r.ReadEntry(name, 0, 100); !errors.As(err, &nr) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s listed as regular: got %q, %v; want it refused as %s", name, b, err, want)
		}
		if e, err := r.OpenEntry(name, 0); !errors.As(err, &nr) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s listed as regular: OpenEntry gave %v, %v; want it refused as %s", name, e, err, want)
		}
	}
}

// TestEntry: an entry tells its size when opened, is read once up to a limit, and may
// be closed unread, twice.
func TestEntry(t *testing.T) {
	for _, through := range []string{"openat2", "os.Root"} {
		t.Run(through, func(t *testing.T) {
			if through == "os.Root" {
				fsread.WithoutBeneath(t)
			} else if runtime.GOOS == "linux" && !fsread.BeneathUsed() {
				t.Skip("openat2 is not available here")
			}
			defer func() {
				if through == "openat2" && runtime.GOOS == "linux" && !fsread.BeneathUsed() {
					t.Error("openat2 was given up during the test: the entry was read through os.Root")
				}
			}()
			dir := t.TempDir()
			write(t, filepath.Join(dir, "a.yaml"), "a: 1\n")
			r, err := fsread.OpenRoot(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			e, err := r.OpenEntry("a.yaml", 0)
			if err != nil || e.Size != 5 {
				t.Fatalf("OpenEntry: %v, %v", e, err)
			}
			var tl *fsread.TooLargeError
			if b, err := e.Read(4); !errors.As(err, &tl) || tl.Size != 5 {
				t.Errorf("Read(4) of 5 bytes: %q, %v", b, err)
			}
			e.Close() // read already closed it
			e, err = r.OpenEntry("a.yaml", 0)
			if err != nil {
				t.Fatal(err)
			}
			e.Close()
			e.Close()
		})
	}
}
