// Package bundle writes OCI runtime bundles that run a command under a seccomp profile
// and runs them with a container runtime (runc): the proof that a generated profile
// works where it will be used, with the runtime's own syscalls after the profile is
// loaded, and the way kharden measures those (seccomp.Baseline).
package bundle

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Options describe a bundle.
type Options struct {
	// Args is the command line, as inside the container.
	Args []string
	// Rootfs is the root filesystem directory; empty: an empty directory in the
	// bundle, with bin, lib, lib64 and sbin linked into usr as on a merged-/usr system.
	Rootfs string
	// Binds are host directories mounted read-only at the same path (/usr, /etc).
	Binds []string
	// Seccomp is the profile (nil: none).
	Seccomp *specs.LinuxSeccomp
	// NoNewPrivs is process.noNewPrivileges (Kubernetes: allowPrivilegeEscalation: false).
	NoNewPrivs bool
	// HostNetwork keeps the host's network namespace (a fresh one has its loopback down).
	HostNetwork bool
}

// defaultCaps are the capabilities container runtimes give a container by default.
var defaultCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
	"CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// Write writes the bundle (config.json, and rootfs unless given) into dir.
func Write(dir string, o Options) error {
	root := o.Rootfs
	if root == "" {
		root = "rootfs"
		base := filepath.Join(dir, root)
		for _, d := range []string{"usr", "etc", "proc", "dev", "sys", "tmp", "root"} {
			if err := os.MkdirAll(filepath.Join(base, d), 0o755); err != nil {
				return err
			}
		}
		for _, l := range []string{"bin", "lib", "lib64", "sbin"} {
			if err := os.Symlink("usr/"+l, filepath.Join(base, l)); err != nil && !os.IsExist(err) {
				return err
			}
		}
		for _, b := range o.Binds {
			if err := os.MkdirAll(filepath.Join(base, b), 0o755); err != nil {
				return err
			}
		}
	}
	caps := &specs.LinuxCapabilities{Bounding: defaultCaps, Effective: defaultCaps, Permitted: defaultCaps}
	spec := specs.Spec{
		Version: "1.0.2",
		Process: &specs.Process{
			Args: o.Args, Cwd: "/", Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"},
			Capabilities: caps, NoNewPrivileges: o.NoNewPrivs,
			Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
		},
		Root:     &specs.Root{Path: root, Readonly: true},
		Hostname: "kharden-check",
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
			{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "mode=1777"}},
		},
		Linux: &specs.Linux{
			Namespaces:    []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace}, {Type: specs.UTSNamespace}, {Type: specs.MountNamespace}},
			MaskedPaths:   []string{"/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"},
			ReadonlyPaths: []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
			Seccomp:       o.Seccomp,
		},
	}
	if !o.HostNetwork {
		spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace})
	}
	for _, b := range o.Binds {
		spec.Mounts = append(spec.Mounts, specs.Mount{Destination: b, Type: "bind", Source: b, Options: []string{"rbind", "ro", "nosuid", "nodev"}})
	}
	data, err := json.MarshalIndent(&spec, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644)
}

// RuncCommand is the command that runs the bundle in dir as container id with runc,
// its state kept under stateDir (so that nothing is left in /run/runc): the container
// is deleted when it ends.
func RuncCommand(ctx context.Context, runc, stateDir, dir, id string) *exec.Cmd {
	return exec.CommandContext(ctx, runc, "--root", stateDir, "run", "--bundle", dir, id)
}

// Run runs the bundle with runc and returns the container's exit status, its output,
// and an error when runc could not run it at all.
func Run(ctx context.Context, runc, dir, id string) (int, []byte, error) {
	state, err := os.MkdirTemp("", "kharden-runc-")
	if err != nil {
		return 0, nil, err
	}
	defer os.RemoveAll(state)
	cmd := RuncCommand(ctx, runc, state, dir, id)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out, nil
	}
	if err != nil {
		return 0, out, fmt.Errorf("runc: %w", err)
	}
	return 0, out, nil
}
