package cluster

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"
)

// Process is one running control-plane component. Its command line is exactly Path followed by
// Args, so what /proc/<PID>/cmdline shows can be compared with it.
type Process struct {
	Name    string   // "etcd", "kube-apiserver" or "kube-controller-manager"
	Path    string   // absolute path of the binary
	Args    []string // the flags, "--name=value", sorted by name
	PID     int      // also the process group ID: Stop kills the group
	LogPath string   // standard output and error

	cmd     *exec.Cmd
	log     *os.File
	done    chan struct{} // closed when the process has exited and been reaped
	waitErr error
	stop    sync.Once
}

// Flag returns the value of --name on the process's command line.
func (p *Process) Flag(name string) (string, bool) {
	prefix := "--" + name + "="
	for _, a := range p.Args {
		if v, ok := strings.CutPrefix(a, prefix); ok {
			return v, true
		}
		if a == "--"+name {
			return "", true
		}
	}
	return "", false
}

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// renderFlags turns flags into sorted "--name=value" arguments. An empty value in overrides
// removes the flag.
func renderFlags(defaults, overrides map[string]string) []string {
	merged := make(map[string]string, len(defaults)+len(overrides))
	for k, v := range defaults {
		merged[k] = v
	}
	for k, v := range overrides {
		k = strings.TrimLeft(k, "-")
		if v == "" {
			delete(merged, k)
			continue
		}
		merged[k] = v
	}
	args := make([]string, 0, len(merged))
	for k, v := range merged {
		args = append(args, "--"+k+"="+v)
	}
	sort.Strings(args)
	return args
}

func startProcess(name, path string, args []string, logPath string) (*Process, error) {
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = processEnv()
	cmd.SysProcAttr = sysProcAttr()
	if err := startCmd(cmd); err != nil {
		log.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, Path: path, Args: args, PID: cmd.Process.Pid, LogPath: logPath,
		cmd: cmd, log: log, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		log.Close()
		close(p.done)
	}()
	return p, nil
}

// kill kills the process's group and waits until the process is reaped.
func (p *Process) kill() error {
	var err error
	p.stop.Do(func() {
		if !p.Exited() {
			killGroup(p.cmd)
		}
		deadline := time.After(30 * time.Second)
		select {
		case <-p.done:
		case <-deadline:
			err = fmt.Errorf("%s (pid %d) did not exit after SIGKILL", p.Name, p.PID)
			return
		}
		// The leader is reaped; wait for any child it left in its group.
		for groupAlive(p.PID) {
			select {
			case <-deadline:
				err = fmt.Errorf("process group %d of %s survived SIGKILL", p.PID, p.Name)
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	return err
}

// exitError describes a process that exited while it was expected to run, with its log's tail.
func (p *Process) exitError() error {
	return fmt.Errorf("%s exited: %v\n--- last lines of %s ---\n%s", p.Name, p.waitErr, p.LogPath, p.logTail(40))
}

func (p *Process) logTail(lines int) string {
	data, err := os.ReadFile(p.LogPath)
	if err != nil {
		return err.Error()
	}
	data = bytes.TrimRight(data, "\n")
	all := bytes.Split(data, []byte("\n"))
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return string(bytes.Join(all, []byte("\n")))
}

// processEnv is the environment of the components: the test's, without proxy settings, which
// would send loopback traffic astray.
func processEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch strings.ToLower(name) {
		case "http_proxy", "https_proxy", "no_proxy", "all_proxy":
			continue
		}
		env = append(env, kv)
	}
	return env
}
