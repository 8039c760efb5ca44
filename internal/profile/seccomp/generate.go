package seccomp

import (
	"fmt"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/kharden/kharden/internal/profile"
)

// Options adjust a generated profile.
type Options struct {
	// Baseline are the syscalls a container runtime needs between loading the profile
	// and executing the program (see Baselines); nil for a profile kharden profile check
	// loads, which needs none.
	Baseline *Baseline
}

// Generate writes the profile that allows what the recording did and denies the rest
// with EPERM (SCMP_ACT_ERRNO): one allow rule, its names sorted, for the recording's
// architectures, plus Always, GoRuntime when a Go program ran, and the runtime
// baseline. Syscall numbers no table names cannot be written by name and are left out
// (the recording keeps them). Generate is pure: the same recording and options give
// the same profile.
func Generate(rec *profile.Recording, o Options) (*specs.LinuxSeccomp, error) {
	var as []Arch
	for _, n := range rec.Arches {
		a, err := LookupArch(n)
		if err != nil {
			return nil, err
		}
		as = append(as, a)
	}
	if len(as) == 0 {
		return nil, fmt.Errorf("the recording names no architecture")
	}
	names := rec.SyscallNames()
	for _, e := range Always {
		names = append(names, e.Name)
	}
	if rec.GoRuntime {
		for _, e := range GoRuntime {
			names = append(names, e.Name)
		}
	}
	if o.Baseline != nil {
		names = append(names, o.Baseline.Syscalls...)
	}
	var keep []string
	for _, n := range names {
		if Known(n, as) {
			keep = append(keep, n)
		}
	}
	p := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno}
	for _, a := range as {
		p.Architectures = append(p.Architectures, a.Seccomp)
	}
	p.Syscalls = []specs.LinuxSyscall{{Names: keep, Action: specs.ActAllow}}
	Normalize(p)
	return p, nil
}

// AllowedNames returns the names a profile allows unconditionally (rules with
// SCMP_ACT_ALLOW or SCMP_ACT_LOG and no argument conditions), sorted.
func AllowedNames(p *specs.LinuxSeccomp) []string {
	var out []string
	for _, r := range p.Syscalls {
		if (r.Action == specs.ActAllow || r.Action == specs.ActLog) && len(r.Args) == 0 {
			out = append(out, r.Names...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
