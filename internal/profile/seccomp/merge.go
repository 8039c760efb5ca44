package seccomp

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Merge returns a profile that allows what any of the profiles allows. Each must be an
// allow list (a denying default action, rules that allow): the union of two deny lists,
// or of rules with argument conditions, is not what a reader would expect from
// "merge", so those are refused. The default action must agree.
func Merge(ps ...*specs.LinuxSeccomp) (*specs.LinuxSeccomp, error) {
	if len(ps) == 0 {
		return nil, fmt.Errorf("nothing to merge")
	}
	out := &specs.LinuxSeccomp{DefaultAction: ps[0].DefaultAction, DefaultErrnoRet: ps[0].DefaultErrnoRet}
	var names []string
	for i, p := range ps {
		if p.DefaultAction == specs.ActAllow || p.DefaultAction == specs.ActLog {
			return nil, fmt.Errorf("profile %d: defaultAction %s: only allow lists merge", i+1, p.DefaultAction)
		}
		if p.DefaultAction != out.DefaultAction || !equalUint(p.DefaultErrnoRet, out.DefaultErrnoRet) {
			return nil, fmt.Errorf("profile %d: defaultAction %s differs from the first profile's %s", i+1, p.DefaultAction, out.DefaultAction)
		}
		out.Architectures = append(out.Architectures, p.Architectures...)
		for j, r := range p.Syscalls {
			if r.Action != specs.ActAllow || len(r.Args) > 0 {
				return nil, fmt.Errorf("profile %d: syscalls[%d]: only rules that allow without argument conditions merge (%s, %d conditions)", i+1, j, r.Action, len(r.Args))
			}
			names = append(names, r.Names...)
		}
	}
	out.Syscalls = []specs.LinuxSyscall{{Names: names, Action: specs.ActAllow}}
	Normalize(out)
	if len(out.Architectures) == 0 {
		out.Architectures = nil
	}
	return out, nil
}

func equalUint(a, b *uint) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}
