package scan

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/source/manifest"
)

// reportText is everything a report says, for asserting what it never says.
func reportText(t *testing.T, rep *report.Report) string {
	t.Helper()
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// errorsAt maps each errored file (relative to dir) to its message.
func errorsAt(dir string, rep *report.Report) map[string]string {
	m := map[string]string{}
	for _, e := range rep.Errors {
		rel, _ := filepath.Rel(dir, e.File)
		m[filepath.ToSlash(rel)] = e.Message
	}
	return m
}

// runWithin runs a scan that must end: a FIFO opened for reading blocks until a writer
// comes, so a scan that opens one never returns. The wait is generous; it only turns
// a hang into a failure.
func runWithin(t *testing.T, o Options) *report.Report {
	t.Helper()
	done := make(chan *report.Report, 1)
	go func() { done <- run(t, o) }()
	select {
	case rep := <-done:
		return rep
	case <-time.After(60 * time.Second):
		t.Fatal("the scan hangs")
		return nil
	}
}

// A committed symbolic link that leaves the scanned directory is not read: the secret
// it points to appears nowhere in the report, and the link is an error naming its
// target, so that CI notices. Links inside the directory are followed.
func TestSymlinksLeavingTheScannedDirectoryAreNotRead(t *testing.T) {
	const secret = "GITHUB_TOKEN=ghp_s3cr3t"
	outside := t.TempDir()
	write(t, outside, "environ", secret+"\x00HOME=/root\x00")
	write(t, outside, "shadow", "root:"+secret+":19000:0:99999:7:::\n")
	write(t, outside, "passwd.yaml", secret+": [\n")
	dir := t.TempDir()
	write(t, dir, "deploy/pod.yaml", pod(""))
	links := map[string]string{
		"app.Dockerfile":       filepath.Join(outside, "environ"),
		"Dockerfile":           filepath.Join(outside, "shadow"),
		"x.yaml":               filepath.Join(outside, "passwd.yaml"),
		"deploy/up.yaml":       "../../" + filepath.Base(outside) + "/passwd.yaml",
		"inside.yaml":          "deploy/pod.yaml",
		"deploy/Containerfile": "../Dockerfile",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	rep := runWithin(t, Options{Paths: []string{dir}})
	if text := reportText(t, rep); strings.Contains(text, "ghp_s3cr3t") {
		t.Errorf("the report quotes a file outside the scanned directory:\n%s", text)
	}
	got := errorsAt(dir, rep)
	for name, target := range links {
		if name == "inside.yaml" {
			continue
		}
		// deploy/Containerfile leaves through the link it points to: the error names
		// its own target all the same.
		want := "(-> " + target + "): not read"
		if !strings.Contains(got[name], want) {
			t.Errorf("%s: error %q, want one with %q", name, got[name], want)
		}
	}
	if got["inside.yaml"] != "" || rep.Objects != 2 {
		t.Errorf("the link inside the directory: error %q, %d objects (want 2: the pod twice)", got["inside.yaml"], rep.Objects)
	}
}

// A file named on the command line that is a link must stay in its own directory: a
// pull request can turn the file a CI job names into a link to /etc/shadow.
func TestNamedSymlinkLeavingItsDirectoryIsNotRead(t *testing.T) {
	outside := t.TempDir()
	write(t, outside, "shadow", "root:ghp_s3cr3t:19000:0:99999:7:::\n")
	dir := t.TempDir()
	for _, name := range []string{"Dockerfile", "app.yaml"} {
		if err := os.Symlink(filepath.Join(outside, "shadow"), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	rep := runWithin(t, Options{Paths: []string{filepath.Join(dir, "app.yaml"), filepath.Join(dir, "Dockerfile")},
		Dockerfiles: []string{filepath.Join(dir, "Dockerfile")}})
	if text := reportText(t, rep); strings.Contains(text, "ghp_s3cr3t") {
		t.Errorf("the report quotes a file outside the named file's directory:\n%s", text)
	}
	if len(rep.Errors) != 3 {
		t.Errorf("got errors %v, want one for each of the 3 inputs", rep.Errors)
	}
}

// Only regular files are opened: a FIFO (which blocks its reader until a writer comes)
// or a device, found in the tree or through a link, is an error and the scan goes on.
func TestOnlyRegularFilesAreOpened(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "pod.yaml", pod(""))
	for _, name := range []string{"fifo.yaml", "Dockerfile", "sub/a.Dockerfile"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mkfifo(filepath.Join(dir, name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, target := range map[string]string{"tofifo.yaml": "fifo.yaml", "sub/Containerfile": "../Dockerfile"} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	rep := runWithin(t, Options{Paths: []string{dir, filepath.Join(dir, "fifo.yaml")}, Dockerfiles: []string{filepath.Join(dir, "Dockerfile")}})
	got := errorsAt(dir, rep)
	for _, name := range []string{"fifo.yaml", "tofifo.yaml", "Dockerfile", "sub/a.Dockerfile", "sub/Containerfile"} {
		if got[name] != "not a regular file (a named pipe): not read" {
			t.Errorf("%s: error %q", name, got[name])
		}
	}
	if len(rep.Errors) != 7 || rep.Objects != 1 {
		t.Errorf("got %d errors (want 7: 5 in the tree, the named FIFO and --dockerfile), %d objects (want 1)", len(rep.Errors), rep.Objects)
	}
	// A named device: /dev/zero never ends.
	rep = runWithin(t, Options{Paths: []string{"/dev/zero"}})
	if len(rep.Errors) != 1 || rep.Errors[0].Message != "not a regular file (a character device): not read" {
		t.Errorf("/dev/zero: %v", rep.Errors)
	}
}

// A file over the limit is reported with its real size, not the limit plus one byte
// where reading stopped.
func TestTooLargeFileTellsItsSize(t *testing.T) {
	dir := t.TempDir()
	size := manifest.MaxFileSize + 12345
	p := filepath.Join(dir, "big.yaml")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(int64(size)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	rep := run(t, Options{Paths: []string{dir}})
	want := "file is 33566777 bytes, more than the 33554432 byte limit"
	if len(rep.Errors) != 1 || rep.Errors[0].Message != want {
		t.Errorf("got %v, want %q", rep.Errors, want)
	}
}

// A megabyte value quoted in an error is cut to a short excerpt; control characters
// are escaped.
func TestErrorsQuoteOnlyAnExcerpt(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("x", 1<<20)
	write(t, dir, "anchor.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: *"+big+"\n")
	write(t, dir, "replicas.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: p\nspec:\n  replicas: "+big+"\n")
	write(t, dir, "name.json", `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "`+big+`"}, "spec": {"containers": [{"name": "a", "image": "b", "ports": [{"containerPort": "y"}]}]}}`)
	write(t, dir, "a.Dockerfile", "FROM a\nRUN x\nFOO\x1b[31m"+strings.Repeat("y", 1000)+"\n")
	rep := run(t, Options{Paths: []string{dir}})
	if len(rep.Errors) != 4 {
		t.Fatalf("got %d errors, want 4: %.2000v", len(rep.Errors), rep.Errors)
	}
	for _, e := range rep.Errors {
		if len(e.Message) > maxMessage+100 || strings.Count(e.Message, "x") > keepWord || strings.ContainsRune(e.Message, 0x1b) {
			t.Errorf("%s: message of %d bytes: %.300q", e.File, len(e.Message), e.Message)
		}
	}
}

func TestClip(t *testing.T) {
	long := strings.Repeat("a", 300)
	for _, tc := range []struct{ in, want string }{
		{"short message", "short message"},
		{"tab\there \x1b[31m", `tab\there \x1b[31m`},
		{"bad \xff byte", `bad \xff byte`},
		{"unknown anchor '" + long + "' referenced", "unknown anchor '" + long[:keepWord-1] + "... (141 bytes left out)' referenced"},
	} {
		if got := clip(tc.in); got != tc.want {
			t.Errorf("clip(%.40q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	words := strings.Repeat("word ", 1000)
	if got := clip(words); len(got) > maxMessage || !strings.HasSuffix(got, "bytes left out)") {
		t.Errorf("clip of 1000 words: %d bytes: ...%s", len(got), got[len(got)-40:])
	}
}

// When its context ends, Each returns ErrInterrupted after the inputs already read,
// even while one is stuck where no context reaches (a standard input that never ends).
func TestEachStopsWhenInterrupted(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a", "b"} {
		write(t, dir, n+".yaml", pod(""))
	}
	r, w := io.Pipe()
	defer w.Close()
	s, err := New(Options{Paths: []string{dir, "-"}, Stdin: r, Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	cause := errors.New("terminated")
	var files []string
	done := make(chan error, 1)
	go func() {
		done <- s.Each(ctx, func(part *report.Report) error {
			// The results settled once the inputs are read (the pods' token
			// automount, which waits for their ServiceAccount) come last, in a part
			// of their own that names no input.
			if len(part.Scanned) > 0 {
				files = append(files, filepath.Base(part.Scanned[0]))
			}
			return nil
		})
	}()
	// The one worker reads the directory's files first, then standard input: once
	// this write is taken, both files are done.
	if _, err := w.Write([]byte("# more to come\n")); err != nil {
		t.Fatal(err)
	}
	cancel(cause)
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("Each does not return when interrupted")
	}
	if !errors.Is(err, ErrInterrupted) || !errors.Is(err, cause) {
		t.Errorf("got %v, want ErrInterrupted and the cause", err)
	}
	if strings.Join(files, " ") != "a.yaml b.yaml" {
		t.Errorf("emitted %v, want the directory's two files", files)
	}
}

// /dev/stdin named as a path is a link to outside /dev: not read, with the way to read
// standard input.
func TestDevStdinPointsToDash(t *testing.T) {
	if _, err := os.Lstat("/dev/stdin"); err != nil {
		t.Skip(err)
	}
	rep := runWithin(t, Options{Paths: []string{"/dev/stdin"}})
	if len(rep.Errors) != 1 || !strings.HasSuffix(rep.Errors[0].Message, "; give - to read standard input") {
		t.Errorf("got %v", rep.Errors)
	}
}
