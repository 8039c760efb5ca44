package seccomp

import (
	"encoding/binary"
	"fmt"
	"slices"

	libseccomp "github.com/elastic/go-seccomp-bpf"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
)

// Denial is what a profile does with a syscall it does not allow.
type Denial struct {
	Action specs.LinuxSeccompAction // SCMP_ACT_ERRNO, SCMP_ACT_KILL..., SCMP_ACT_TRAP
	Errno  uint                     // for SCMP_ACT_ERRNO: the error number returned (EPERM unless the profile says)
}

// Filter is a profile compiled for kharden profile check: a BPF program in which the
// syscalls the profile allows pass and every other one stops at the tracer
// (SECCOMP_RET_TRACE), which reports it and then does what the profile says (Deny).
type Filter struct {
	Arch Arch
	// Program is the BPF program as the kernel's struct sock_filter array, in the
	// machine's byte order: 8 bytes per instruction.
	Program []byte
	// denials are the rules that deny with their own action or errno, by number.
	denials map[int]Denial
	deflt   Denial
}

// Deny is what the profile does with syscall nr, which the filter did not allow.
func (f *Filter) Deny(nr int) Denial {
	if d, ok := f.denials[nr]; ok {
		return d
	}
	return f.deflt
}

const eperm = 1

func denial(a specs.LinuxSeccompAction, errno *uint) Denial {
	d := Denial{Action: a}
	if a == specs.ActErrno {
		d.Errno = eperm
		if errno != nil {
			d.Errno = *errno
		}
	}
	return d
}

func allows(a specs.LinuxSeccompAction) bool { return a == specs.ActAllow || a == specs.ActLog }

// Compile turns a profile into the filter kharden profile check loads, for the
// architecture a (the machine's). The BPF comes from github.com/elastic/go-seccomp-bpf,
// behind a check of the architecture that sends any other one (a 32-bit syscall on
// x86_64) to the tracer like a denied syscall. Conditions on arguments are compiled
// when the library can express them exactly (all operators but SCMP_CMP_MASKED_EQ).
// SCMP_ACT_TRACE and SCMP_ACT_NOTIFY rules need a tracer or agent of their own and
// are refused, as are names of syscalls that a has none of (they are reported).
func Compile(p *specs.LinuxSeccomp, a Arch) (*Filter, error) {
	f := &Filter{Arch: a, denials: map[int]Denial{}}
	for _, act := range []specs.LinuxSeccompAction{p.DefaultAction} {
		if act == specs.ActTrace || act == specs.ActNotify {
			return nil, fmt.Errorf("defaultAction %s: kharden profile check cannot enforce it", act)
		}
	}
	allowDefault := allows(p.DefaultAction)
	f.deflt = denial(p.DefaultAction, p.DefaultErrnoRet)

	// The group lists what differs from the default: allowed syscalls in an allow
	// list, denied ones in a deny list.
	group := libseccomp.SyscallGroup{Action: libseccomp.ActionTrace}
	if !allowDefault {
		group.Action = libseccomp.ActionAllow
	}
	plain := map[string]bool{}
	var conds []libseccomp.NameWithConditions
	for i, r := range p.Syscalls {
		if r.Action == specs.ActTrace || r.Action == specs.ActNotify {
			return nil, fmt.Errorf("syscalls[%d]: action %s: kharden profile check cannot enforce it", i, r.Action)
		}
		if allows(r.Action) == allowDefault {
			continue // the same as the default
		}
		var cs libseccomp.ArgumentConditions
		for j, arg := range r.Args {
			op, ok := operatorOf[arg.Op]
			if !ok {
				return nil, fmt.Errorf("syscalls[%d].args[%d]: kharden profile check cannot enforce %s", i, j, arg.Op)
			}
			cs = append(cs, libseccomp.Condition{Argument: uint32(arg.Index), Operation: op, Value: arg.Value})
		}
		for _, n := range r.Names {
			nr, ok := a.SyscallNumber(n)
			if !ok {
				continue // no such syscall here: nothing to filter
			}
			if len(cs) == 0 {
				plain[n] = true
			} else {
				conds = append(conds, libseccomp.NameWithConditions{Name: n, Conditions: cs})
			}
			if !allowDefault && len(cs) == 0 {
				continue
			}
			if allowDefault {
				f.denials[nr] = denial(r.Action, r.ErrnoRet)
			}
		}
	}
	// Rules that deny specific syscalls with their own errno inside an allow list.
	if !allowDefault {
		for _, r := range p.Syscalls {
			if allows(r.Action) || len(r.Args) > 0 {
				continue
			}
			for _, n := range r.Names {
				if nr, ok := a.SyscallNumber(n); ok && !plain[n] {
					f.denials[nr] = denial(r.Action, r.ErrnoRet)
				}
			}
		}
	}
	group.Names = slices.Sorted(func(yield func(string) bool) {
		for n := range plain {
			if !yield(n) {
				return
			}
		}
	})
	for _, c := range conds {
		if !plain[c.Name] { // an unconditional rule already decides
			group.NamesWithCondtions = append(group.NamesWithCondtions, c)
		}
	}
	deflt, other := libseccomp.ActionTrace, libseccomp.ActionTrace
	if allowDefault {
		deflt = libseccomp.ActionAllow
	}

	var prog []bpf.Instruction
	if len(group.Names)+len(group.NamesWithCondtions) == 0 {
		prog = []bpf.Instruction{bpf.RetConstant{Val: uint32(deflt)}}
	} else {
		policy := libseccomp.Policy{DefaultAction: deflt, Syscalls: []libseccomp.SyscallGroup{group}}
		var err error
		if prog, err = policy.Assemble(); err != nil {
			return nil, fmt.Errorf("compiling the profile: %w", err)
		}
	}
	// Another architecture's syscalls go to the tracer: the library's own check of
	// the architecture ends on its last instruction, which allows.
	prologue := []bpf.Instruction{
		bpf.LoadAbsolute{Off: 4, Size: 4}, // seccomp_data.arch
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(a.info.ID), SkipTrue: 1},
		bpf.RetConstant{Val: uint32(other)},
	}
	raw, err := bpf.Assemble(append(prologue, prog...))
	if err != nil {
		return nil, fmt.Errorf("assembling the filter: %w", err)
	}
	if len(raw) > 4096 {
		return nil, fmt.Errorf("the filter has %d instructions, the kernel takes at most 4096", len(raw))
	}
	for _, in := range raw {
		f.Program = binary.NativeEndian.AppendUint16(f.Program, in.Op)
		f.Program = append(f.Program, in.Jt, in.Jf)
		f.Program = binary.NativeEndian.AppendUint32(f.Program, in.K)
	}
	return f, nil
}

var operatorOf = map[specs.LinuxSeccompOperator]libseccomp.Operation{
	specs.OpEqualTo:      libseccomp.Equal,
	specs.OpNotEqual:     libseccomp.NotEqual,
	specs.OpLessThan:     libseccomp.LessThan,
	specs.OpLessEqual:    libseccomp.LessOrEqual,
	specs.OpGreaterThan:  libseccomp.GreaterThan,
	specs.OpGreaterEqual: libseccomp.GreaterOrEqual,
}
