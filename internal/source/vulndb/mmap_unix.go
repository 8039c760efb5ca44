//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package vulndb

import (
	"math"
	"os"
	"syscall"
)

// mapFile maps a data file read-only, so that a lookup reads its records without a
// system call each; nil (and the file is read with ReadAt) when it cannot be mapped.
// A generation's files are never written once it is in use (an import builds a new
// one), so the mapping does not change under a reader; a file damaged meanwhile is
// caught by the records' checksums, and one truncated by a fault becomes an error
// (readRecords).
func mapFile(f *os.File, size int64) (data []byte, unmap func() error) {
	if size <= 0 || size > math.MaxInt {
		return nil, nil
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil
	}
	return b, func() error { return syscall.Munmap(b) }
}
