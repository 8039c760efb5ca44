// Package seccomp holds the seccomp profile rules (IDs SP-xxxx): pure checks over one
// profile that package source/seccomp read, an OCI profile file or a Security Profiles
// Operator SeccompProfile object. Each rule lives in its own file; a finding's path is
// relative to the profile ("syscalls[2].names[0]"), and the engine places it in the file.
package seccomp

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/seccomp"
)

// Rule is a seccomp profile rule: metadata and a pure check over one profile.
type Rule struct {
	rule.Meta
	Check func(p *seccomp.Profile) []rule.Finding
}

// All returns every seccomp profile rule, sorted by ID. Adding a rule means adding it here.
func All() []*Rule { return slices.Clone(all) }

var all = []*Rule{
	DefaultAllow,
	BlockedSyscalls,
	Architectures,
	UnknownSyscall,
}

// Metas returns the metadata of rules.
func Metas(rules []*Rule) []*rule.Meta {
	out := make([]*rule.Meta, len(rules))
	for i, r := range rules {
		out[i] = &r.Meta
	}
	return out
}

// Lookup finds a seccomp profile rule by slug or ID (case-insensitive ID), or returns nil.
func Lookup(name string) *Rule {
	for _, r := range all {
		if r.Slug == name || strings.EqualFold(r.ID, name) {
			return r
		}
	}
	return nil
}

// allowing tells whether an action lets a syscall run: SCMP_ACT_ALLOW, SCMP_ACT_LOG
// (allows, and logs), SCMP_ACT_TRACE (the process's ptrace tracer decides, and lets it
// run by default).
func allowing(action string) bool {
	return action == "SCMP_ACT_ALLOW" || action == "SCMP_ACT_LOG" || action == "SCMP_ACT_TRACE"
}

// denying tells whether an action stops a syscall.
func denying(action string) bool {
	return strings.HasPrefix(action, "SCMP_ACT_KILL") || action == "SCMP_ACT_ERRNO" || action == "SCMP_ACT_TRAP"
}

// dockerRef is Docker's documentation of its default profile, the reference of the
// syscalls it blocks.
const dockerRef = "https://docs.docker.com/engine/security/seccomp/"

func finding(path, format string, a ...any) rule.Finding {
	return rule.Finding{Path: path, Message: fmt.Sprintf(format, a...)}
}
