//go:build linux && amd64

package trace

import "golang.org/x/sys/unix"

func canDeny() error { return nil }

// skip makes the syscall at pid's seccomp stop not run and return -errno.
func skip(pid, errno int) {
	var regs unix.PtraceRegs
	if unix.PtraceGetRegs(pid, &regs) != nil {
		return
	}
	regs.Orig_rax = ^uint64(0) // -1: no syscall
	regs.Rax = uint64(-int64(errno))
	unix.PtraceSetRegs(pid, &regs)
}
