//go:build linux

// Package trace runs a command under ptrace, following its threads, forks, vforks and
// execs: Record collects the syscalls it makes (and, for AppArmor, the files, sockets
// and capabilities it uses); Check runs it with a seccomp profile enforced and reports
// the syscalls the profile denied.
//
// Both share one tracer loop on a locked OS thread (ptrace requests must come from the
// thread that attached): Wait4(-1, __WALL) for every stop of every traced thread, new
// children attached by the kernel (PTRACE_O_TRACECLONE, TRACEFORK, TRACEVFORK), their
// first SIGSTOP swallowed, other signals passed on. PTRACE_O_EXITKILL kills every traced
// process if kharden dies; a cancelled context, or the end of the command's first
// process, kills the rest (as a container's processes end with its init), and the
// tracer reaps them all before it returns: nothing is left stopped or orphaned.
package trace

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Command is what to run.
type Command struct {
	// Args is the command line; Args[0] is looked up in PATH as a shell would.
	Args []string
	// Env is the environment (nil: kharden's own).
	Env []string
	// Dir is the working directory (empty: kharden's own).
	Dir string
	// Stdin, Stdout and Stderr are the command's standard streams (nil: /dev/null).
	Stdin, Stdout, Stderr *os.File
}

// Exit is how the command's first process ended.
type Exit struct {
	Code   int            // the exit status, when it exited
	Signal syscall.Signal // the signal that killed it, or 0
}

func (e Exit) String() string {
	if e.Signal != 0 {
		return fmt.Sprintf("killed by %s", unix.SignalName(e.Signal))
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

// Success tells whether the command exited with status 0.
func (e Exit) Success() bool { return e.Signal == 0 && e.Code == 0 }

// ErrNotFound is the error of a command that is not an executable file or not in PATH.
var ErrNotFound = errors.New("command not found")

// resolve finds the executable of args[0] as exec does.
func resolve(args []string) (string, error) {
	if len(args) == 0 || args[0] == "" {
		return "", fmt.Errorf("no command given")
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		return "", fmt.Errorf("%s: %w", args[0], ErrNotFound)
	}
	return path, nil
}

// proc is a traced thread.
type proc struct {
	fresh bool // attached by the kernel; its first SIGSTOP is still to come
	// recorder state
	pending func(ret int64) // run at the syscall's exit stop
}

// handler is what a mode does at the stops the loop does not handle itself.
type handler interface {
	// syscallStop is a syscall-entry or -exit stop (PTRACE_O_TRACESYSGOOD).
	syscallStop(pid int, p *proc)
	// seccompStop is a PTRACE_EVENT_SECCOMP stop.
	seccompStop(pid int, p *proc)
	// execStop is a PTRACE_EVENT_EXEC stop: pid runs a new program.
	execStop(pid int)
	// restart resumes a stopped thread with sig.
	restart(pid, sig int) error
}

// tracer follows a process tree.
type tracer struct {
	h     handler
	root  int
	procs map[int]*proc

	mu      sync.Mutex
	live    map[int]bool // every traced thread, for the killer
	killAll bool         // set once: kill every thread seen from now on
}

const baseOptions = unix.PTRACE_O_TRACECLONE | unix.PTRACE_O_TRACEFORK | unix.PTRACE_O_TRACEVFORK |
	unix.PTRACE_O_TRACEEXEC | unix.PTRACE_O_EXITKILL

// start starts the command stopped at its first instruction, traced by the calling
// thread, which must be locked.
func start(path string, argv []string, c Command, extra []*os.File) (int, error) {
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return 0, err
	}
	defer devnull.Close()
	files := []*os.File{c.Stdin, c.Stdout, c.Stderr}
	for i, f := range files {
		if f == nil {
			files[i] = devnull
		}
	}
	env := c.Env
	if env == nil {
		env = os.Environ()
	}
	p, err := os.StartProcess(path, argv, &os.ProcAttr{
		Dir: c.Dir, Env: env, Files: append(files, extra...),
		Sys: &syscall.SysProcAttr{Ptrace: true},
	})
	if err != nil {
		return 0, err
	}
	pid := p.Pid
	p.Release() // the tracer reaps it with wait4
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("waiting for the traced command: %w", err)
		}
		break
	}
	if !ws.Stopped() || ws.StopSignal() != unix.SIGTRAP {
		return 0, fmt.Errorf("the traced command did not stop at its start (%v)", describe(ws))
	}
	return pid, nil
}

func describe(ws unix.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exit status %d", ws.ExitStatus())
	case ws.Signaled():
		return "killed by " + unix.SignalName(ws.Signal())
	case ws.Stopped():
		return "stopped by " + unix.SignalName(ws.StopSignal())
	}
	return fmt.Sprintf("wait status %#x", uint32(ws))
}

// run follows the tree from root, stopped at its start, until every traced thread is
// gone, and returns how root ended. It must run on the thread that started root.
func (t *tracer) run(ctx context.Context, options int) (Exit, error) {
	t.procs = map[int]*proc{t.root: {}}
	t.live = map[int]bool{t.root: true}
	if err := unix.PtraceSetOptions(t.root, options); err != nil {
		unix.Kill(t.root, unix.SIGKILL)
		t.reap()
		return Exit{}, fmt.Errorf("ptrace options: %w", err)
	}
	stop := context.AfterFunc(ctx, t.kill)
	defer stop()
	if err := t.h.restart(t.root, 0); err != nil {
		t.kill()
	}
	var exit Exit
	var ws unix.WaitStatus
	for {
		pid, err := unix.Wait4(-1, &ws, unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		if err == unix.ECHILD {
			break
		}
		if err != nil {
			t.kill()
			t.reap()
			return exit, fmt.Errorf("wait4: %w", err)
		}
		if ws.Exited() || ws.Signaled() {
			delete(t.procs, pid)
			t.forget(pid)
			if pid == t.root {
				exit = Exit{Code: ws.ExitStatus(), Signal: ws.Signal()}
				if !ws.Signaled() {
					exit.Signal = 0
				}
				t.kill() // the rest ends with the first process, as in a container
			}
			continue
		}
		if !ws.Stopped() {
			continue
		}
		p := t.procs[pid]
		if p == nil { // a new child whose stop came before its parent's event
			p = &proc{fresh: true}
			t.procs[pid] = p
			t.track(pid)
		}
		if t.killing() {
			unix.Kill(pid, unix.SIGKILL)
			t.h.restart(pid, 0)
			continue
		}
		sig := ws.StopSignal()
		switch {
		case sig == unix.SIGTRAP|0x80:
			t.h.syscallStop(pid, p)
			t.h.restart(pid, 0)
		case sig == unix.SIGTRAP && ws.TrapCause() > 0:
			switch ws.TrapCause() {
			case unix.PTRACE_EVENT_FORK, unix.PTRACE_EVENT_VFORK, unix.PTRACE_EVENT_CLONE:
				if msg, err := unix.PtraceGetEventMsg(pid); err == nil {
					child := int(msg)
					if t.procs[child] == nil {
						t.procs[child] = &proc{fresh: true}
						t.track(child)
					}
				}
			case unix.PTRACE_EVENT_EXEC:
				// A thread other than the leader that executes takes the leader's ID.
				if msg, err := unix.PtraceGetEventMsg(pid); err == nil && int(msg) != pid {
					delete(t.procs, int(msg))
					t.forget(int(msg))
				}
				p.pending = nil
				t.h.execStop(pid)
			case unix.PTRACE_EVENT_SECCOMP:
				t.h.seccompStop(pid, p)
			}
			t.h.restart(pid, 0)
		case p.fresh && sig == unix.SIGSTOP:
			p.fresh = false
			t.h.restart(pid, 0)
		default:
			// A signal on its way to the thread: deliver it. A stop signal already
			// delivered shows again as a group-stop (no siginfo): the thread goes on,
			// since a traced process cannot be left stopped without a tracer that
			// resumes it.
			if sig == unix.SIGSTOP || sig == unix.SIGTSTP || sig == unix.SIGTTIN || sig == unix.SIGTTOU {
				if !hasSiginfo(pid) {
					sig = 0
				}
			}
			t.h.restart(pid, int(sig))
		}
	}
	return exit, nil
}

func (t *tracer) track(pid int) {
	t.mu.Lock()
	t.live[pid] = true
	t.mu.Unlock()
}

func (t *tracer) forget(pid int) {
	t.mu.Lock()
	delete(t.live, pid)
	t.mu.Unlock()
}

func (t *tracer) killing() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.killAll
}

// kill sends SIGKILL to every traced thread, and makes the loop kill any it meets
// later (a child created meanwhile). It may run on any goroutine.
func (t *tracer) kill() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.killAll = true
	for pid := range t.live {
		unix.Kill(pid, unix.SIGKILL)
	}
}

// reap waits for every child that is left.
func (t *tracer) reap() {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(-1, &ws, unix.WALL, nil)
		if err == unix.ECHILD || err != nil && err != unix.EINTR {
			return
		}
	}
}

// hasSiginfo tells a signal-delivery-stop (the kernel has the signal's siginfo) from a
// group-stop (it has none).
func hasSiginfo(pid int) bool {
	var info [128]byte
	_, _, errno := unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_GETSIGINFO, uintptr(pid), 0, uintptr(unsafe.Pointer(&info[0])), 0, 0)
	return errno == 0
}

// locked runs f on a locked OS thread, as ptrace needs, and returns its results.
func locked[T any](f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		// Not unlocked: the thread was the tracer; it ends with the goroutine.
		v, err := f()
		ch <- result{v, err}
	}()
	r := <-ch
	return r.v, r.err
}
