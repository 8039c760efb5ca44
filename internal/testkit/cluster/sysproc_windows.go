package cluster

import (
	"os/exec"
	"syscall"
)

// The control-plane binaries are Linux programs; these keep the package compiling elsewhere.

func sysProcAttr() *syscall.SysProcAttr { return nil }

func killGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }

func groupAlive(int) bool { return false }

func startCmd(cmd *exec.Cmd) error { return cmd.Start() }
