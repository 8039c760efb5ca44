package node

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"

	"github.com/kharden/kharden/internal/source/image"
)

// Inventory is what a node has installed, for matching against vulnerability
// advisories (practice A3): the OS release and the packages of its package databases,
// and the modules of the Go programs of its Kubernetes components and container
// runtime.
type Inventory struct {
	OS       *image.OSRelease
	Packages []image.Package
	// Programs are the Go programs read, by path on the node.
	Programs []string
	// Problems are the databases and programs that could not be read, and lines of a
	// database that could not be parsed.
	Problems []image.Problem
}

// Programs are the Kubernetes and container runtime programs whose Go modules the
// inventory reads, wherever ProgramDirs has them; those running are read where their
// process says too.
var Programs = []string{
	"kubelet", "kube-proxy", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubeadm", "kubectl",
	"etcd", "etcdctl", "containerd", "containerd-shim", "containerd-shim-runc-v1", "containerd-shim-runc-v2", "ctr",
	"runc", "crun", "crictl", "crio", "dockerd", "docker", "docker-proxy", "cri-dockerd", "k3s", "rke2", "kine",
}

// ProgramDirs are where installers put the Programs, and the CNI plugins (every file of
// /opt/cni/bin is read).
var ProgramDirs = []string{"/usr/bin", "/usr/local/bin", "/usr/sbin", "/usr/local/sbin", "/bin", "/sbin", "/opt/bin", "/home/kubernetes/bin"}

// cniPlugins holds the CNI plugins, Go programs.
const cniPlugins = "/opt/cni/bin"

// maxProgram is the largest program read for its build information; only the parts
// that hold it are read.
const maxProgram = 1 << 30

// CollectInventory reads the node's inventory: the package databases (dpkg, apk, rpm)
// with the image inventory's parsers, and the Go programs among Programs in
// ProgramDirs, in /opt/cni/bin and named by the running processes' command lines. A
// program that is not a Go program is passed over; one that cannot be read is a
// problem. Programs in containers (a static pod's kube-apiserver) are not on the
// node's filesystem: their images are judged by kharden scan --images.
func CollectInventory(h *Host) *Inventory {
	inv := &Inventory{}
	inv.OS, inv.Packages, inv.Problems = image.HostInventory(hostFS{h})
	var cands []string
	if procs, err := h.Processes(); err == nil {
		for _, p := range procs {
			if len(p.Argv) > 0 && path.IsAbs(p.Argv[0]) && slices.Contains(Programs, path.Base(p.Argv[0])) {
				cands = append(cands, path.Clean(p.Argv[0]))
			}
		}
	}
	for _, d := range ProgramDirs {
		for _, n := range Programs {
			cands = append(cands, path.Join(d, n))
		}
	}
	if es, err := h.ReadDir(cniPlugins); err == nil {
		for _, e := range es {
			cands = append(cands, path.Join(cniPlugins, e.Name()))
		}
	}
	seen := map[string]bool{}
	for _, p := range cands {
		rel, err := h.resolve(p)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				inv.Problems = append(inv.Problems, image.Problem{Path: p, Layer: -1, Message: err.Error()})
			}
			continue
		}
		if seen[rel] {
			continue
		}
		seen[rel] = true
		pkgs, err := h.goProgram(p)
		switch {
		case errors.Is(err, errNotGo), errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			inv.Problems = append(inv.Problems, image.Problem{Path: p, Layer: -1, Message: err.Error()})
			continue
		}
		inv.Programs = append(inv.Programs, p)
		inv.Packages = append(inv.Packages, pkgs...)
	}
	return inv
}

var errNotGo = errors.New("not a Go program")

// goProgram reads the build information of the program at p.
func (h *Host) goProgram(p string) ([]image.Package, error) {
	f, err := h.open(p)
	if err != nil {
		var fe FileError
		if errors.As(err, &fe) && errors.Is(fe.Err, fs.ErrNotExist) {
			return nil, fs.ErrNotExist
		}
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Mode()&0o111 == 0 {
		return nil, errNotGo
	}
	if fi.Size() > maxProgram {
		return nil, fmt.Errorf("%s: %d bytes, more than %d MiB", p, fi.Size(), maxProgram>>20)
	}
	pkgs, err := image.GoBinaryPackages(p, f)
	if err != nil {
		return nil, errNotGo
	}
	return pkgs, nil
}

// hostFS is a Host as the image inventory's parsers read a root filesystem.
type hostFS struct{ h *Host }

func (f hostFS) ReadFile(p string, limit int64) ([]byte, error) {
	b, err := f.h.readFile(p, limit)
	if err != nil && !exists(err) {
		return nil, fs.ErrNotExist
	}
	return b, err
}

func (f hostFS) ReadDir(p string) ([]fs.DirEntry, error) { return f.h.ReadDir(p) }
