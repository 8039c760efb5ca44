//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package vulndb

import (
	"os"
	"path/filepath"
)

// lockDir checks that the directory is writable. There is no lock on these systems:
// of two imports at once, one may fail (the other removes its build directory as
// stale), but the database in use is always a complete one.
func lockDir(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	return func() { f.Close() }, nil
}
