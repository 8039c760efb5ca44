//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package vulndb

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

// lockDir takes the database directory's write lock: an advisory lock on its lock
// file, which the system releases when the process ends however it ends, so that an
// interrupted import never leaves the directory locked.
func lockDir(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &busyError{dir}
		}
		return nil, err
	}
	return func() { f.Close() }, nil
}
