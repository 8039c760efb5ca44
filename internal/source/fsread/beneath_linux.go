package fsread

import (
	"errors"
	"io/fs"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// The fast path of Root: the kernel resolves the whole name beneath the root in one
// openat2(RESOLVE_BENEATH) call, where os.Root opens and closes every directory on the
// way (and the type check before the open did it all a second time). A scan reads tens of
// thousands of small files, and those syscalls were a fifth of its CPU. The rules are
// the same: a relative symbolic link is followed while it stays inside, an absolute one
// or one that leaves is refused, and so are /proc's magic links.

// noBeneath is set once openat2 turns out to be missing (Linux before 5.6) or filtered
// (a seccomp profile that predates it): os.Root is used from then on.
var noBeneath atomic.Bool

// errEscapes is os.Root's message for a name that resolves outside it.
var errEscapes = errors.New("path escapes from parent")

// beneathRoot opens dir for resolving names beneath it: an O_PATH descriptor, which
// reads nothing.
func beneathRoot(dir string) int {
	if noBeneath.Load() {
		return -1
	}
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	return fd
}

func closeBeneath(fd int) {
	if fd >= 0 {
		unix.Close(fd)
	}
}

// openBeneath opens name beneath the directory rootfd with flags. ok is false when
// openat2 cannot be used here, and the caller goes through os.Root instead. op names
// the operation in errors as os.Root does ("statat" for the look before the open).
func openBeneath(rootfd int, name string, flags int, op string) (fd int, ok bool, err error) {
	how := unix.OpenHow{
		Flags:   uint64(flags | unix.O_CLOEXEC),
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS,
	}
	for range 8 {
		fd, err = unix.Openat2(rootfd, name, &how)
		if err != unix.EINTR && err != unix.EAGAIN {
			break // EAGAIN: a rename raced the resolution; the kernel asks to retry
		}
	}
	switch {
	case err == nil:
		return fd, true, nil
	case err == unix.ENOSYS || err == unix.EPERM:
		noBeneath.Store(true)
		return -1, false, nil
	case err == unix.EAGAIN:
		return -1, false, nil
	case err == unix.EXDEV:
		return -1, true, &fs.PathError{Op: op, Path: name, Err: errEscapes}
	}
	return -1, true, &fs.PathError{Op: op, Path: name, Err: err}
}

// readBeneath is Root.ReadFile through openat2; listedRegular says a directory
// listing has just given name as a regular file, which stands for the type check
// before the open (both are a look before the open; the check on the open file stays).
// ok is false when the caller must use os.Root.
func (r *Root) readBeneath(name string, listedRegular bool, limit int64) (b []byte, ok bool, err error) {
	fd, size, ok, err := r.openBeneathRegular(name, listedRegular)
	if !ok || err != nil {
		return nil, ok, err
	}
	defer unix.Close(fd)
	b, err = readFD(fd, name, size, limit)
	return b, true, err
}

// openBeneathRegular opens name through openat2 when it is a regular file, and returns
// the descriptor and the file's size; see readBeneath for listedRegular and ok.
func (r *Root) openBeneathRegular(name string, listedRegular bool) (fd int, size int64, ok bool, err error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.fd < 0 || noBeneath.Load() {
		return -1, 0, false, nil // closed (os.Root says so) or no openat2
	}
	var st unix.Stat_t
	if !listedRegular {
		// O_PATH opens nothing: no FIFO waits, no device acts.
		fd, ok, err := openBeneath(r.fd, name, unix.O_PATH, "statat")
		if !ok || err != nil {
			return -1, 0, ok, err
		}
		err = unix.Fstat(fd, &st)
		unix.Close(fd)
		if err != nil {
			return -1, 0, true, &fs.PathError{Op: "statat", Path: name, Err: err}
		}
		if m := modeOf(st.Mode); !m.IsRegular() {
			return -1, 0, true, &NotRegularError{Mode: m}
		}
	}
	fd, ok, err = openBeneath(r.fd, name, openFlags, "openat")
	if !ok || err != nil {
		return -1, 0, ok, err
	}
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, 0, true, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	if m := modeOf(st.Mode); !m.IsRegular() {
		unix.Close(fd)
		return -1, 0, true, &NotRegularError{Mode: m}
	}
	return fd, st.Size, true, nil
}

// readFD reads the open regular file fd of size bytes (as fstat told) to its end, at
// most limit bytes.
func readFD(fd int, name string, size, limit int64) ([]byte, error) {
	if size > limit {
		return nil, &TooLargeError{Size: size, Limit: limit}
	}
	// One read for the file and one to see its end, when its size is told.
	b := make([]byte, 0, min(size, limit)+1)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := unix.Read(fd, b[len(b):cap(b)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: name, Err: err}
		}
		if n == 0 {
			break
		}
		b = b[:len(b)+n]
		if int64(len(b)) > limit {
			// The file grew, or does not tell its size.
			return nil, &TooLargeError{Size: size, Limit: limit}
		}
	}
	return b, nil
}

func closeFD(fd int) { unix.Close(fd) }

// modeOf is the fs.FileMode type bits of a stat mode, as os.Stat sets them.
func modeOf(m uint32) fs.FileMode {
	switch m & unix.S_IFMT {
	case unix.S_IFREG:
		return 0
	case unix.S_IFDIR:
		return fs.ModeDir
	case unix.S_IFIFO:
		return fs.ModeNamedPipe
	case unix.S_IFSOCK:
		return fs.ModeSocket
	case unix.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		return fs.ModeDevice
	case unix.S_IFLNK:
		return fs.ModeSymlink
	}
	return fs.ModeIrregular
}
