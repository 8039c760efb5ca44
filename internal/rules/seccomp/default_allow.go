package seccomp

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/seccomp"
)

// DefaultAllow is SP-0001.
var DefaultAllow = &Rule{
	Meta: rule.Meta{
		ID:        "SP-0001",
		Slug:      "seccomp-default-allow",
		Title:     "A seccomp profile must deny the syscalls it does not list",
		Severity:  rule.High,
		Practices: []string{"C18", "D2"},
		Rationale: "A profile whose defaultAction is SCMP_ACT_ALLOW (or SCMP_ACT_LOG, which allows and logs) is a " +
			"deny list: every syscall it does not name runs, including those added to the kernel after the profile " +
			"was written and those its author did not think of. SCMP_ACT_TRACE hands them to the process's ptrace " +
			"tracer, which lets them run unless it says otherwise. An allow list (SCMP_ACT_ERRNO or a kill action by " +
			"default, the syscalls the program needs allowed) fails closed.",
		Remediation: "Set defaultAction to SCMP_ACT_ERRNO and allow the syscalls the program makes: record them with " +
			"`kharden profile record -- CMD` and prove the profile with `kharden profile check`. Until then, " +
			"RuntimeDefault is a better choice than a profile that allows by default.",
		References: []string{
			"https://github.com/opencontainers/runtime-spec/blob/main/config-linux.md#seccomp",
			"https://kubernetes.io/docs/tutorials/security/seccomp/",
			dockerRef,
		},
		Since:   "0.2.0",
		Default: true,
	},
	Check: func(p *seccomp.Profile) []rule.Finding {
		switch p.DefaultAction {
		case "SCMP_ACT_ALLOW", "SCMP_ACT_LOG":
			return []rule.Finding{finding("defaultAction", "defaultAction %s allows every syscall the profile does not deny", p.DefaultAction)}
		case "SCMP_ACT_TRACE":
			return []rule.Finding{finding("defaultAction", "defaultAction SCMP_ACT_TRACE leaves every syscall the profile does not list to a ptrace tracer, which lets it run unless it decides otherwise")}
		}
		return nil
	},
}
