//go:build linux

package trace

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kharden/kharden/internal/profile/seccomp"
)

// CheckOptions adjust a check.
type CheckOptions struct {
	// NoNewPrivs sets no_new_privs before loading the filter, as a runtime does for a
	// container with allowPrivilegeEscalation: false (and as a process without
	// CAP_SYS_ADMIN must).
	NoNewPrivs bool
}

// Denial is a syscall the profile did not allow.
type Denial struct {
	Name   string // the kernel's name, or "syscall N" when the table has none
	Nr     int
	Pid    int // the first thread that made it
	Count  int
	Action specs.LinuxSeccompAction
}

// CheckResult is what Check returns.
type CheckResult struct {
	Exit Exit
	// Started is true once the command was executed under the profile; false when the
	// profile denied that execve, or kharden could not load the filter.
	Started bool
	// Denied are the syscalls the profile denied, in the order of their first denial.
	Denied []Denial
}

// Check runs the command with the compiled profile enforced by the kernel and reports
// what it denied.
//
// kharden re-executes itself as a helper (see helperName) that loads the filter on its
// main thread, without TSYNC, and then executes the command in place, so the command
// runs under exactly the filter a container runtime would load. The syscalls the
// profile allows run untouched; every other one stops at kharden, the helper's tracer
// (SECCOMP_RET_TRACE), which records its name and then does what the profile says:
// fails it with the profile's errno (EPERM by default), or kills the process. A program
// therefore sees what it would see in a container, and kharden can name the syscall,
// which a bare SCMP_ACT_ERRNO filter would hide. Until the command is executed, the
// helper's own syscalls are let through, but an execve the profile denies is denied.
func Check(ctx context.Context, c Command, f *seccomp.Filter, o CheckOptions) (*CheckResult, error) {
	path, err := resolve(c.Args)
	if err != nil {
		return nil, err
	}
	native, err := seccomp.Native()
	if err != nil {
		return nil, err
	}
	if f.Arch.Name != native.Name {
		return nil, fmt.Errorf("the filter is for %s, this machine is %s", f.Arch.Name, native.Name)
	}
	if err := canDeny(); err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if _, err := w.Write(f.Program); err != nil { // at most 32 KiB: the pipe holds it
		w.Close()
		return nil, fmt.Errorf("passing the filter: %w", err)
	}
	w.Close()
	nnp := "-"
	if o.NoNewPrivs {
		nnp = "nnp"
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	argv := append([]string{helperName, nnp, path}, c.Args...)
	ch := &checker{f: f, arch: native, index: map[int]int{}, res: &CheckResult{}}
	exit, err := locked(func() (Exit, error) {
		pid, err := start(self, argv, c, []*os.File{r})
		if err != nil {
			return Exit{}, err
		}
		t := &tracer{h: ch, root: pid}
		return t.run(ctx, baseOptions|unix.PTRACE_O_TRACESECCOMP)
	})
	if err != nil {
		return nil, err
	}
	ch.res.Exit = exit
	if ctx.Err() != nil {
		return ch.res, context.Cause(ctx)
	}
	return ch.res, nil
}

type checker struct {
	f     *seccomp.Filter
	arch  seccomp.Arch
	index map[int]int // syscall number -> index in res.Denied
	res   *CheckResult
	buf   [syscallInfoSize]byte
}

func (c *checker) restart(pid, sig int) error { return unix.PtraceCont(pid, sig) }
func (c *checker) syscallStop(int, *proc)     {}

// execStop: the helper has executed the command; from now on the profile rules.
func (c *checker) execStop(int) { c.res.Started = true }

func (c *checker) seccompStop(pid int, _ *proc) {
	in, err := getSyscallInfo(pid, &c.buf)
	if err != nil || in.op != unix.PTRACE_SYSCALL_INFO_SECCOMP {
		return
	}
	name, known := "", false
	if in.arch == c.arch.AuditArch() {
		name, known = c.arch.SyscallName(in.nr)
	}
	if !c.res.Started && !(known && (name == "execve" || name == "execveat")) {
		return // the helper's own work before it executes the command
	}
	if !known {
		name = fmt.Sprintf("syscall %d", in.nr)
		if in.arch != c.arch.AuditArch() {
			name = fmt.Sprintf("syscall %d of AUDIT_ARCH %#x", in.nr, in.arch)
		}
	}
	d := c.f.Deny(in.nr)
	if in.arch != c.arch.AuditArch() {
		d = c.f.Deny(-1)
	}
	if i, ok := c.index[in.nr]; ok && in.arch == c.arch.AuditArch() {
		c.res.Denied[i].Count++
	} else {
		c.index[in.nr] = len(c.res.Denied)
		c.res.Denied = append(c.res.Denied, Denial{Name: name, Nr: in.nr, Pid: pid, Count: 1, Action: d.Action})
	}
	switch d.Action {
	case specs.ActKill, specs.ActKillThread, specs.ActKillProcess:
		unix.Kill(pid, unix.SIGKILL)
	case specs.ActTrap:
		skip(pid, int(unix.ENOSYS))
		unix.Tgkill(pidOf(pid), pid, unix.SIGSYS)
	default:
		skip(pid, int(d.Errno))
	}
}

// pidOf is the process (thread group) of thread tid.
func pidOf(tid int) int {
	tgid, _ := ids(tid)
	return tgid
}

// ids reads a thread's thread group (its process) and its process's parent; tid and
// 0 when they cannot be read.
func ids(tid int) (tgid, ppid int) {
	tgid = tid
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", tid))
	if err != nil {
		return tgid, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "Tgid:"); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				tgid = n
			}
		}
		if v, ok := strings.CutPrefix(line, "PPid:"); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				ppid = n
			}
		}
	}
	return tgid, ppid
}
