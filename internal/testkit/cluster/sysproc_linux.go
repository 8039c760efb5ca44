package cluster

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// sysProcAttr puts each component in its own process group, so Stop can kill it with all its
// children, and has the kernel kill it when the test binary dies without calling Stop (a test
// timeout, a panic, a signal).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// The parent-death signal fires when the *thread* that forked the child exits, and the Go runtime
// ends a thread when a goroutine locked to it returns (tests that apply seccomp filters do that).
// So every component is forked from one goroutine locked to a thread that never ends.
var spawner struct {
	once sync.Once
	reqs chan func()
}

func startCmd(cmd *exec.Cmd) error {
	spawner.once.Do(func() {
		spawner.reqs = make(chan func())
		go func() {
			runtime.LockOSThread() // never unlocked: the thread lives as long as the process
			for f := range spawner.reqs {
				f()
			}
		}()
	})
	errc := make(chan error, 1)
	spawner.reqs <- func() { errc <- cmd.Start() }
	return <-errc
}
