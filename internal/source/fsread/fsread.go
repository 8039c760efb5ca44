// Package fsread reads the files of trees kharden does not trust. It opens only regular
// files: a FIFO blocks a reader for ever and a device such as /dev/zero never ends. It
// reads no more than a size limit and reports a larger file with its real size. And a
// file found in a directory tree is read only when it resolves inside that tree, so
// that a committed symbolic link cannot make kharden read (and quote in an error) a
// file of the machine it runs on, such as /proc/self/environ.
package fsread

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// TooLargeError is a file larger than the limit it was read with.
type TooLargeError struct {
	// Size is the file's size, or 0 when the file does not tell (files of /proc
	// report 0): the message then says "more than".
	Size, Limit int64
}

func (e *TooLargeError) Error() string {
	if e.Size > e.Limit {
		return fmt.Sprintf("file is %d bytes, more than the %d byte limit", e.Size, e.Limit)
	}
	return fmt.Sprintf("file is more than the %d byte limit", e.Limit)
}

// NotRegularError is a file that is not a regular file, left unopened (a FIFO, a
// device, a socket) or unread (a directory).
type NotRegularError struct{ Mode fs.FileMode }

func (e *NotRegularError) Error() string {
	return "not a regular file (" + kind(e.Mode) + "): not read"
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "mode " + m.String()
}

// LinkError is a symbolic link that was not followed because it leaves the directory
// being read, is absolute, or loops.
type LinkError struct {
	// Target is what the link points to (its text, not its content).
	Target string
	Why    string
}

func (e *LinkError) Error() string {
	return fmt.Sprintf("symbolic link %s (-> %s): not read", e.Why, quote(e.Target))
}

// quote shows a link's target on one line: control characters escaped, and cut short.
func quote(s string) string {
	const max = 200
	cut := ""
	if len(s) > max {
		cut = fmt.Sprintf("... (%d bytes more)", len(s)-max)
		s = s[:max]
	}
	q := fmt.Sprintf("%q", s)
	return q[1:len(q)-1] + cut
}

// Root is a directory whose files are read without leaving it: symbolic links are
// followed only while they stay inside (through os.Root, so that a link swapped in
// between a check and the open cannot escape either).
type Root struct {
	r *os.Root
	// fd is the same directory for openat2 (Linux), or -1. mu keeps Close from
	// releasing it during a read, when the number could name another file by then.
	fd int
	mu sync.RWMutex
	// dir names the directory in messages.
	dir string
}

// OpenRoot opens the directory dir. Symbolic links in dir itself are followed: the
// directory is taken as named.
func OpenRoot(dir string) (*Root, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &Root{r: r, fd: beneathRoot(dir), dir: "the scanned directory"}, nil
}

// OpenRootAs is OpenRoot for a directory that messages call desc (a *LinkError says
// the link "leaves" desc) rather than "the scanned directory".
func OpenRootAs(dir, desc string) (*Root, error) {
	r, err := OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	r.dir = desc
	return r, nil
}

// Close releases the directory.
func (r *Root) Close() error {
	r.mu.Lock()
	closeBeneath(r.fd)
	r.fd = -1
	r.mu.Unlock()
	return r.r.Close()
}

// ReadFile reads the regular file name (relative to the root, in the OS's syntax) of
// at most limit bytes. The errors are *LinkError, *NotRegularError, *TooLargeError or
// the OS's (*fs.PathError).
func (r *Root) ReadFile(name string, limit int64) ([]byte, error) {
	return r.read(name, false, limit)
}

// ReadEntry is ReadFile for a name a directory listing has just given with type typ
// (fs.DirEntry.Type): the listing's word that the file is regular stands for the type
// check before the open, one system call fewer per file of a walked tree. The open file
// is checked again all the same.
func (r *Root) ReadEntry(name string, typ fs.FileMode, limit int64) ([]byte, error) {
	return r.read(name, typ.IsRegular(), limit)
}

func (r *Root) read(name string, listedRegular bool, limit int64) ([]byte, error) {
	if b, ok, err := r.readBeneath(name, listedRegular, limit); ok {
		if err != nil {
			return nil, r.explain(name, err)
		}
		return b, nil
	}
	f, err := r.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAll(f, limit)
}

// Entry is a regular file of a Root, open to be read once: a walk opens each file it
// finds, so that it learns the file's size from the open file (whether to read it whole
// or stream it) without a stat of its path, and hands it to the worker that reads it.
type Entry struct {
	name string
	fd   int      // openat2's, or -1
	f    *os.File // os.Root's, where openat2 is not used
	// Size is the file's size when it was opened.
	Size int64
}

// OpenEntry opens name, which a directory listing has just given with type typ, for
// Read, with the checks and errors of ReadEntry. The caller must Read or Close it.
func (r *Root) OpenEntry(name string, typ fs.FileMode) (*Entry, error) {
	fd, size, ok, err := r.openBeneathRegular(name, typ.IsRegular())
	if ok {
		if err != nil {
			return nil, r.explain(name, err)
		}
		return &Entry{name: name, fd: fd, Size: size}, nil
	}
	f, err := r.Open(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Entry{name: name, fd: -1, f: f, Size: fi.Size()}, nil
}

// Read reads the entry to its end, at most limit bytes (a larger file is a
// *TooLargeError), and closes it.
func (e *Entry) Read(limit int64) ([]byte, error) {
	defer e.Close()
	if e.f != nil {
		return ReadAll(e.f, limit)
	}
	return readFD(e.fd, e.name, e.Size, limit)
}

// Close releases an entry that is not to be read; Read closes it too. Closing twice is
// harmless.
func (e *Entry) Close() {
	if e.f != nil {
		e.f.Close()
		e.f = nil
	} else if e.fd >= 0 {
		closeFD(e.fd)
	}
	e.fd = -1
}

// Open opens the regular file name for reading; see ReadFile for the errors.
func (r *Root) Open(name string) (*os.File, error) {
	f, err := OpenRegular(r.r, name)
	if err != nil {
		return nil, r.explain(name, err)
	}
	return f, nil
}

// explain turns the error of a path that goes through a symbolic link into a
// *LinkError naming the link's target, when the link is why it failed. os.Root's own
// error for a link that leaves it is not exported, so the link is looked at here.
func (r *Root) explain(name string, err error) error {
	var nr *NotRegularError
	if errors.As(err, &nr) || errors.Is(err, fs.ErrPermission) {
		return err
	}
	fi, lerr := r.r.Lstat(name)
	if lerr != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return err
	}
	target, lerr := r.r.Readlink(name)
	if lerr != nil {
		return err
	}
	switch {
	case errors.Is(err, syscall.ELOOP):
		return &LinkError{Target: target, Why: "loops"}
	case errors.Is(err, fs.ErrNotExist):
		return &LinkError{Target: target, Why: "points to nothing"}
	case filepath.IsAbs(target):
		return &LinkError{Target: target, Why: "is absolute (only relative links inside " + r.dir + " are followed)"}
	}
	return &LinkError{Target: target, Why: "leaves " + r.dir}
}

// ReadFile reads the regular file at path, of at most limit bytes, for a file named
// by the user rather than found in a tree: the directories of path are taken as
// named, and when the file itself is a symbolic link it must resolve inside its own
// directory. The file's name is as much the repository's content as the file's bytes
// (a pull request can turn deploy/app.yaml into a link to /etc/shadow), so the same
// rule applies to it as to a file found by walking a directory.
func ReadFile(path string, limit int64) ([]byte, error) {
	r, err := OpenRoot(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	r.dir = "its directory"
	return r.ReadFile(filepath.Base(path), limit)
}

// ReadRegular reads the regular file at path, of at most limit bytes, for a caller that
// has already decided path may be read (its links resolved and checked against a root of
// its own, as the Helm and Kustomize loaders do): what this adds is that no FIFO or
// device is opened and no more than limit bytes are read.
func ReadRegular(path string, limit int64) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &NotRegularError{Mode: fi.Mode()}
	}
	f, err := os.OpenFile(path, openFlags, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &NotRegularError{Mode: fi.Mode()}
	}
	return ReadAll(f, limit)
}

// OpenRegular opens name in root for reading only when it is a regular file. The type
// is checked before the open, so that no device or FIFO is ever opened (opening a
// FIFO blocks until a writer comes), and again on the open file, so that a file
// swapped in meanwhile is refused too (the open itself does not block: O_NONBLOCK).
func OpenRegular(root *os.Root, name string) (*os.File, error) {
	fi, err := root.Stat(name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &NotRegularError{Mode: fi.Mode()}
	}
	f, err := root.OpenFile(name, openFlags, 0)
	if err != nil {
		return nil, err
	}
	if fi, err = f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err != nil {
			return nil, err
		}
		return nil, &NotRegularError{Mode: fi.Mode()}
	}
	return f, nil
}

// ReadAll reads f to its end, at most limit bytes; a larger file is a *TooLargeError
// with the file's real size.
func ReadAll(f *os.File, limit int64) ([]byte, error) {
	var size int64
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
		if size > limit {
			return nil, &TooLargeError{Size: size, Limit: limit}
		}
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		// The file grew, or (in /proc) does not tell its size.
		return nil, &TooLargeError{Size: size, Limit: limit}
	}
	return b, nil
}
