package seccomp

import (
	"slices"
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/seccomp"
)

// families are the architectures a kernel runs side by side: a profile for one of them
// lists them all, as Docker's archMap and the profiles Kubernetes documents do.
var families = [][]string{
	{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"},
	{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"},
	{"SCMP_ARCH_S390X", "SCMP_ARCH_S390"},
	{"SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"},
	{"SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"},
}

// Architectures is SP-0003.
var Architectures = &Rule{
	Meta: rule.Meta{
		ID:        "SP-0003",
		Slug:      "seccomp-architectures",
		Title:     "A seccomp profile must list its architectures with their companion ABIs",
		Severity:  rule.Low,
		Practices: []string{"C18", "D2"},
		Rationale: "Syscall names mean different numbers on each architecture, and the filter a runtime builds " +
			"covers the architectures the profile lists plus the node's own. A profile that lists none is applied " +
			"to whatever node it lands on, with a name table its author never checked. An x86_64 kernel also runs " +
			"32-bit x86 and x32 programs, an arm64 kernel 32-bit ARM ones: a profile that leaves a companion ABI out " +
			"gives its syscalls the runtime's bad-architecture action, killing a 32-bit helper the author did not " +
			"know about, and is not the profile Docker's archMap and the Kubernetes documentation show.",
		Remediation: "List the architectures the profile is for with their companions: SCMP_ARCH_X86_64, " +
			"SCMP_ARCH_X86 and SCMP_ARCH_X32; SCMP_ARCH_AARCH64 and SCMP_ARCH_ARM. `kharden profile record` " +
			"writes the architecture it recorded on.",
		References: []string{
			"https://github.com/opencontainers/runtime-spec/blob/main/config-linux.md#seccomp",
			"https://kubernetes.io/docs/tutorials/security/seccomp/",
			dockerRef,
		},
		Since:   "0.2.0",
		Default: true,
	},
	Check: func(p *seccomp.Profile) []rule.Finding {
		listed := slices.Clone(p.Architectures)
		for _, m := range p.ArchMap {
			listed = append(listed, m.Architecture)
			listed = append(listed, m.SubArchitectures...)
		}
		if len(listed) == 0 {
			if p.DefaultAction == "" {
				return nil // a SeccompProfile with only a base profile: the base's architectures apply
			}
			return []rule.Finding{finding("", "the profile lists no architecture: runtimes apply it to the node's own only, whatever that is")}
		}
		where := "architectures"
		if len(p.Architectures) == 0 {
			where = "archMap"
		}
		var out []rule.Finding
		for _, fam := range families {
			var have, missing []string
			for _, a := range fam {
				if slices.Contains(listed, a) {
					have = append(have, a)
				} else {
					missing = append(missing, a)
				}
			}
			if len(have) > 0 && len(missing) > 0 {
				out = append(out, finding(where, "the profile lists %s without %s: a %s kernel runs them all, and gives the syscalls of an ABI left out the runtime's bad-architecture action",
					strings.Join(have, " and "), strings.Join(missing, " and "), strings.TrimPrefix(fam[0], "SCMP_ARCH_")))
			}
		}
		return out
	},
}
