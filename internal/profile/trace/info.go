//go:build linux

package trace

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// syscallInfo is the kernel's struct ptrace_syscall_info (PTRACE_GET_SYSCALL_INFO,
// Linux 5.3): which stop this is, the architecture, and the syscall's number and
// arguments (entry, seccomp) or its return value (exit). It reads the same on every
// architecture.
type syscallInfo struct {
	op   uint8
	arch uint32
	nr   int
	args [6]uint64
	ret  int64
}

const syscallInfoSize = 88

func getSyscallInfo(pid int, buf *[syscallInfoSize]byte) (syscallInfo, error) {
	_, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GET_SYSCALL_INFO, uintptr(pid),
		syscallInfoSize, uintptr(unsafe.Pointer(&buf[0])), 0, 0)
	if errno != 0 {
		return syscallInfo{}, fmt.Errorf("PTRACE_GET_SYSCALL_INFO: %w", errno)
	}
	e := binary.NativeEndian
	in := syscallInfo{op: buf[0], arch: e.Uint32(buf[4:])}
	switch in.op {
	case unix.PTRACE_SYSCALL_INFO_ENTRY, unix.PTRACE_SYSCALL_INFO_SECCOMP:
		in.nr = int(int64(e.Uint64(buf[24:])))
		for i := range in.args {
			in.args[i] = e.Uint64(buf[32+8*i:])
		}
	case unix.PTRACE_SYSCALL_INFO_EXIT:
		in.ret = int64(e.Uint64(buf[24:]))
	}
	return in, nil
}

// readString reads a NUL-terminated string of at most max bytes at addr in pid's
// memory, a page at a time (process_vm_readv, falling back to PTRACE_PEEKDATA).
func readString(pid int, addr uint64, max int) (string, error) {
	if addr == 0 {
		return "", fmt.Errorf("null pointer")
	}
	var out []byte
	buf := make([]byte, 256)
	for len(out) < max {
		// Never read across a page boundary in one call: the next page may be unmapped.
		n := 4096 - int(addr%4096)
		if n > len(buf) {
			n = len(buf)
		}
		got, err := readMemory(pid, addr, buf[:n])
		if err != nil {
			return "", err
		}
		for i := 0; i < got; i++ {
			if buf[i] == 0 {
				return string(append(out, buf[:i]...)), nil
			}
		}
		out = append(out, buf[:got]...)
		addr += uint64(got)
	}
	return "", fmt.Errorf("string longer than %d bytes", max)
}

func readMemory(pid int, addr uint64, b []byte) (int, error) {
	local := []unix.Iovec{{Base: &b[0]}}
	local[0].SetLen(len(b))
	remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: len(b)}}
	n, err := unix.ProcessVMReadv(pid, local, remote, 0)
	if err == nil && n > 0 {
		return n, nil
	}
	// process_vm_readv can be refused where ptrace is not (a kernel without it).
	n, err2 := unix.PtracePeekData(pid, uintptr(addr), b)
	if err2 != nil {
		if err == nil {
			err = err2
		}
		return 0, err
	}
	return n, nil
}

// fdPath is the path open file descriptor fd of pid names, as the kernel resolved it
// (symbolic links followed, as AppArmor sees it), and whether it is a directory.
func fdPath(pid int, fd int) (string, bool, error) {
	link := "/proc/" + strconv.Itoa(pid) + "/fd/" + strconv.Itoa(fd)
	p, err := os.Readlink(link)
	if err != nil {
		return "", false, err
	}
	fi, err := os.Stat(link)
	return p, err == nil && fi.IsDir(), nil
}
