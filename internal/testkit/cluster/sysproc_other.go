//go:build unix && !linux

package cluster

import (
	"os/exec"
	"syscall"
)

// sysProcAttr puts each component in its own process group, so Stop can kill it with all its
// children.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

func startCmd(cmd *exec.Cmd) error { return cmd.Start() }
