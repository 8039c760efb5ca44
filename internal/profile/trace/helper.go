//go:build linux

package trace

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// helperName is the argv[0] kharden gives itself, re-executed, to load a seccomp filter
// and execute the command under check: Go cannot run code between fork and exec, and
// the filter must be loaded in the process that then executes the program, on the
// thread that executes it (a filter loaded without SECCOMP_FILTER_FLAG_TSYNC applies to
// the calling thread, and execve keeps it).
//
// Its arguments: "nnp" or "-" (whether to set no_new_privs), the executable's path, and
// the command line. The filter comes on file descriptor 3, as the kernel's sock_filter
// array. The helper never returns: it executes the command, or exits 127 with a message.
const helperName = "kharden-seccomp-exec"

// The helper runs before main, in any binary that links this package (kharden, and the
// tests' binaries): argv[0] selects it, so the command's environment is left as given.
// Package initialisation runs on the main thread (the runtime locks it there during
// init), which is the thread whose filter the executed program inherits.
func init() {
	if len(os.Args) >= 4 && os.Args[0] == helperName {
		runtime.LockOSThread()
		err := helper(os.Args[1], os.Args[2], os.Args[3:])
		fmt.Fprintf(os.Stderr, "kharden profile check: %v\n", err)
		os.Exit(127)
	}
}

func helper(nnp, path string, argv []string) error {
	f := os.NewFile(3, "seccomp-filter")
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("reading the filter: %w", err)
	}
	if len(data) == 0 || len(data)%8 != 0 {
		return fmt.Errorf("the filter is %d bytes, not a sock_filter array", len(data))
	}
	prog := make([]unix.SockFilter, len(data)/8)
	for i := range prog {
		b := data[8*i:]
		prog[i] = unix.SockFilter{Code: binary.NativeEndian.Uint16(b), Jt: b[2], Jf: b[3], K: binary.NativeEndian.Uint32(b[4:])}
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if nnp == "nnp" {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("setting no_new_privs: %w", err)
		}
	}
	if _, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&fprog))); errno != 0 {
		if errno == unix.EACCES {
			return fmt.Errorf("loading the seccomp filter: %w (without root, use --no-new-privs)", errno)
		}
		return fmt.Errorf("loading the seccomp filter: %w", errno)
	}
	err = syscall.Exec(path, argv, os.Environ())
	return fmt.Errorf("executing %s: %w", path, err)
}
