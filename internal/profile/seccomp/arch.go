// Package seccomp turns recordings into OCI seccomp profiles (the JSON that kubelet's
// Localhost profiles, runc, crun and Docker read) and Security Profiles Operator
// SeccompProfile objects, merges profiles, reads and validates them, and compiles one
// into the BPF filter that kharden profile check loads. Everything here is pure: the
// recorder and the enforcement live in package trace.
package seccomp

import (
	"fmt"
	"runtime"
	"slices"

	"github.com/elastic/go-seccomp-bpf/arch"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Arch is a kernel architecture kharden has a syscall table for.
type Arch struct {
	Name    string     // the kernel's name: "x86_64", "aarch64"
	Seccomp specs.Arch // the profile's name: SCMP_ARCH_X86_64
	info    *arch.Info
}

// arches are the architectures with a full syscall table (Linux 6.11's, from
// github.com/elastic/go-seccomp-bpf/arch).
var arches = []Arch{
	{"aarch64", specs.ArchAARCH64, arch.AARCH64},
	{"x86_64", specs.ArchX86_64, arch.X86_64},
}

// LookupArch finds an architecture by its kernel name ("x86_64"), its profile name
// (SCMP_ARCH_X86_64) or its GOARCH ("amd64").
func LookupArch(name string) (Arch, error) {
	switch name {
	case "amd64":
		name = "x86_64"
	case "arm64":
		name = "aarch64"
	}
	for _, a := range arches {
		if a.Name == name || string(a.Seccomp) == name {
			return a, nil
		}
	}
	return Arch{}, fmt.Errorf("no syscall table for architecture %q (kharden knows x86_64 and aarch64)", name)
}

// Native is the architecture kharden runs on.
func Native() (Arch, error) { return LookupArch(runtime.GOARCH) }

// SyscallName names syscall number nr; false when the table does not know it.
func (a Arch) SyscallName(nr int) (string, bool) {
	n, ok := a.info.SyscallNumbers[nr]
	return n, ok
}

// SyscallNumber is the number of the named syscall; false when the architecture has no
// syscall of that name.
func (a Arch) SyscallNumber(name string) (int, bool) {
	n, ok := a.info.SyscallNames[name]
	return n, ok
}

// Known tells whether any of the architectures has a syscall of that name.
func Known(name string, as []Arch) bool {
	return slices.ContainsFunc(as, func(a Arch) bool { _, ok := a.SyscallNumber(name); return ok })
}

// AuditArch is the architecture's AUDIT_ARCH_* value, which the kernel gives a tracer
// and a seccomp filter.
func (a Arch) AuditArch() uint32 { return uint32(a.info.ID) }

// Arches lists the architectures kharden has syscall tables for.
func Arches() []Arch { return slices.Clone(arches) }
