// Package bundle writes OCI runtime bundles that run a command under a seccomp profile
// and runs them with a container runtime (runc, crun): the proof that a generated profile
// works where it will be used, with the runtime's own syscalls after the profile is
// loaded, and the way kharden measures those (seccomp.Baseline).
package bundle

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

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
	// Env is the environment (nil: PATH and HOME as a runtime sets them).
	Env []string
	// Cwd is the working directory (empty: /).
	Cwd string
	// UID and GID are the user the program runs as (0: root).
	UID, GID uint32
	// Writable leaves the root filesystem writable (it is read-only by default: Rootfs
	// may be a directory that is not the bundle's own).
	Writable bool
}

// PassThrough is a seccomp profile that lets everything through but kexec_load, which
// no container needs: it has a rule, so a runtime loads it as it loads any profile,
// at the point where it loads the container's, which is what kharden's recorder
// watches for (trace.Options.AfterSeccomp and Container).
func PassThrough() *specs.LinuxSeccomp {
	p := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86_64},
		Syscalls: []specs.LinuxSyscall{{Names: []string{"kexec_load"}, Action: specs.ActErrno}}}
	if runtime.GOARCH == "arm64" {
		p.Architectures = []specs.Arch{specs.ArchAARCH64}
	}
	return p
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
	env := o.Env
	if env == nil {
		env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"}
	}
	cwd := o.Cwd
	if cwd == "" {
		cwd = "/"
	}
	spec := specs.Spec{
		Version: "1.0.2",
		Process: &specs.Process{
			Args: o.Args, Cwd: cwd, Env: env, User: specs.User{UID: o.UID, GID: o.GID},
			Capabilities: caps, NoNewPrivileges: o.NoNewPrivs,
			Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
		},
		Root:     &specs.Root{Path: root, Readonly: !o.Writable},
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

// RuntimeCommand is the command that runs the bundle in dir as container id with the
// OCI runtime (runc, crun: they share this command line), its state kept under
// stateDir (so that nothing is left in /run): the container is deleted when it ends.
//
// crun (1.8) refuses a host whose cgroups are mixed, v1 controllers with some attached
// to the v2 hierarchy mounted at /sys/fs/cgroup/unified. There it runs in a private
// mount namespace without that mount, and so uses the v1 controllers as runc does;
// nothing changes for the host.
func RuntimeCommand(ctx context.Context, runtime, stateDir, dir, id string) *exec.Cmd {
	args := []string{"--root", stateDir, "run", "--bundle", dir, id}
	if filepath.Base(runtime) == "crun" && hybridWithV2Controllers() {
		return exec.CommandContext(ctx, "unshare", append([]string{"--mount", "--propagation", "private", "--",
			"sh", "-c", `umount /sys/fs/cgroup/unified && exec "$0" "$@"`, runtime}, args...)...)
	}
	return exec.CommandContext(ctx, runtime, args...)
}

// hybridWithV2Controllers tells whether the host's cgroups are in hybrid mode with
// controllers in the v2 hierarchy.
func hybridWithV2Controllers() bool {
	b, err := os.ReadFile("/sys/fs/cgroup/unified/cgroup.controllers")
	return err == nil && len(bytes.TrimSpace(b)) > 0
}

// Run runs the bundle with the runtime and returns the container's exit status, its output,
// and an error when the runtime could not run it at all.
func Run(ctx context.Context, runtime, dir, id string) (int, []byte, error) {
	state, err := os.MkdirTemp("", "kharden-runtime-")
	if err != nil {
		return 0, nil, err
	}
	defer os.RemoveAll(state)
	cmd := RuntimeCommand(ctx, runtime, state, dir, id)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out, nil
	}
	if err != nil {
		return 0, out, fmt.Errorf("%s: %w", filepath.Base(runtime), err)
	}
	return 0, out, nil
}
