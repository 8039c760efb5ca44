package seccomp

import (
	"fmt"
	"slices"
	"sort"

	"github.com/elastic/go-seccomp-bpf/arch"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/seccomp"
)

// tables are the syscall tables kharden has (Linux 6.11's), and tabled the architectures
// they cover: a name none knows is judged only in a profile for those architectures.
var (
	tables = []*arch.Info{arch.X86_64, arch.I386, arch.X32, arch.AARCH64, arch.ARM}
	tabled = []string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_NATIVE"}
)

func known(name string) bool {
	return slices.ContainsFunc(tables, func(t *arch.Info) bool { _, ok := t.SyscallNames[name]; return ok })
}

// UnknownSyscall is SP-0004.
var UnknownSyscall = &Rule{
	Meta: rule.Meta{
		ID:        "SP-0004",
		Slug:      "seccomp-unknown-syscall",
		Title:     "A seccomp profile must name syscalls that exist",
		Severity:  rule.Medium,
		Practices: []string{"C18", "D2"},
		Rationale: "Runtimes skip a syscall name their table does not know, without a word. A misspelt name in an " +
			"allow rule allows nothing, and the program fails at run time; in a deny rule of a profile that " +
			"allows by default it denies nothing, and the syscall the author meant to block stays open. kharden " +
			"knows the x86_64, x86, x32, arm64 and arm tables of Linux 6.11; a profile that lists another " +
			"architecture is not judged, since its names may be that architecture's own.",
		Remediation: "Correct the name (the message suggests the nearest known one), or remove it. A syscall newer " +
			"than Linux 6.11 is reported too: if the name is right, lower the rule's severity in .kharden.yaml.",
		References: []string{
			"https://man7.org/linux/man-pages/man2/syscalls.2.html",
			"https://github.com/opencontainers/runtime-spec/blob/main/config-linux.md#seccomp",
		},
		Since:   "0.2.0",
		Default: true,
	},
	Check: func(p *seccomp.Profile) []rule.Finding {
		for _, a := range p.Architectures {
			if !slices.Contains(tabled, a) {
				return nil
			}
		}
		for _, m := range p.ArchMap {
			for _, a := range append([]string{m.Architecture}, m.SubArchitectures...) {
				if !slices.Contains(tabled, a) {
					return nil
				}
			}
		}
		var out []rule.Finding
		for i, s := range p.Syscalls {
			for j, n := range s.Names {
				if known(n) {
					continue
				}
				effect := "so the rule allows nothing"
				if denying(s.Action) {
					effect = "so the rule denies nothing"
				} else if !allowing(s.Action) {
					effect = "so the rule does nothing"
				}
				msg := fmt.Sprintf("no syscall %q in kharden's tables (x86_64, x86, x32, arm64, arm; Linux 6.11): runtimes skip the name, %s", n, effect)
				if s := nearest(n); s != "" {
					msg += fmt.Sprintf("; did you mean %s?", s)
				}
				out = append(out, finding(fmt.Sprintf("syscalls[%d].names[%d]", i, j), "%s", msg))
			}
		}
		return out
	},
}

// nearest is the known syscall name closest to n, at most two edits away, or "".
func nearest(n string) string {
	var names []string
	for _, t := range tables {
		for name := range t.SyscallNames {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	best, bestD := "", 3
	for _, c := range names {
		if d := distance(n, c, bestD); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the edit distance of a and b, or max when it is at least max.
func distance(a, b string, max int) int {
	if d := len(a) - len(b); d >= max || -d >= max {
		return max
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], max)
}
