//go:build unix

package fsread

import (
	"os"
	"syscall"
)

// openFlags opens without blocking (a FIFO swapped in after the type check) and
// without taking a terminal as the controlling one.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY
