package node

import (
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

// SSHDAllowedUsers is KN-0032.
var SSHDAllowedUsers = &Rule{
	Meta: rule.Meta{
		ID:        "KN-0032",
		Slug:      "sshd-allowed-users",
		Title:     "The SSH server must let in only the accounts or groups it names",
		Severity:  rule.Low,
		Practices: []string{"A1"},
		Rationale: "Without AllowUsers or AllowGroups every account of the node with a shell may log in over SSH: " +
			"service and application accounts, and any account a package or an attacker adds. Naming the " +
			"administrators' group keeps SSH to the people the privileged access process manages.",
		Remediation: "Add AllowGroups with the administrators' group (or AllowUsers with their accounts) to " +
			"/etc/ssh/sshd_config, outside any Match block, then reload sshd. Keep a session open while testing, " +
			"so a mistake does not lock everyone out.",
		References: []string{"https://man.openbsd.org/sshd_config#AllowGroups"},
		Since:      "0.1.0",
		Default:    true,
	},
	// Passes when the global section sets AllowUsers or AllowGroups (sshd then refuses
	// every account not listed), at the first such line. The lists are not judged: any
	// list is an explicit decision. Settings inside Match blocks do not count, since they
	// restrict only the connections they match.
	Check: sshdCheck(func(c *node.SSHDConfig) []Finding {
		if s, ok := sshdFirst(c.Settings, "allowusers", "allowgroups"); ok {
			name, who := "AllowUsers", "the accounts listed"
			if s.Key == "allowgroups" {
				name, who = "AllowGroups", "members of the groups listed"
			}
			return []Finding{verdict(rule.Pass, "", s.Pos.File, s.Pos.Line, "%s %s: only %s may log in",
				name, strings.TrimSpace(s.Value), who)}
		}
		return []Finding{verdict(rule.Fail, "", c.Path, 0, "neither AllowUsers nor AllowGroups is set: every account with a shell "+
			"may log in over SSH; want AllowGroups with the administrators' group")}
	}),
}
