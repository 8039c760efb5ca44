package node

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

// SSHDRootLogin is KN-0030.
var SSHDRootLogin = &Rule{
	Meta: rule.Meta{
		ID:        "KN-0030",
		Slug:      "sshd-root-login",
		Title:     "The SSH server must not let root log in",
		Severity:  rule.High,
		Practices: []string{"A1"},
		Rationale: "A direct root login leaves no trace of which administrator used the node, and turns any stolen " +
			"root key or guessed root password into full control at once. Administrators should log in under " +
			"their own accounts and gain root through sudo, where it is logged and can be limited. sshd's " +
			"default, prohibit-password (formerly without-password), still accepts root's keys, so leaving the " +
			"setting out is not enough.",
		Remediation: "Set PermitRootLogin no in /etc/ssh/sshd_config, before any Include of drop-ins that could set " +
			"it first (sshd keeps the first value it reads), remove PermitRootLogin from Match blocks that allow " +
			"it again, check with sshd -T | grep permitrootlogin, then reload sshd.",
		References: []string{"https://man.openbsd.org/sshd_config#PermitRootLogin"},
		Since:      "0.1.0",
		Default:    true,
	},
	// The global setting sshd uses is the first one it reads (sshd_config and its
	// includes in order); unset means the default, prohibit-password. Only "no" passes:
	// yes, prohibit-password, without-password and forced-commands-only all let root in
	// with a key at least. Every Match block that sets anything but "no" fails too, at
	// its own line: it lets root in for the connections it matches.
	Check: sshdCheck(func(c *node.SSHDConfig) []Finding {
		out := []Finding{rootLogin(c.Settings, c.Path, nil)}
		for i := range c.Match {
			m := &c.Match[i]
			if _, ok := sshdFirst(m.Settings, "permitrootlogin"); ok {
				out = append(out, rootLogin(m.Settings, c.Path, m))
			}
		}
		return out
	}),
}

// rootLogin judges the PermitRootLogin of the global section (m nil) or of a Match block.
func rootLogin(settings []node.Setting, config string, m *node.SSHDMatch) Finding {
	s, ok := sshdFirst(settings, "permitrootlogin")
	if !ok {
		return verdict(rule.Fail, "", config, 0, "PermitRootLogin is not set, so sshd uses its default, prohibit-password, "+
			"which still lets root log in with a key; want PermitRootLogin no")
	}
	where := sshdWhere(m)
	switch v := sshdValue(s); v {
	case "no":
		return verdict(rule.Pass, "", s.Pos.File, s.Pos.Line, "PermitRootLogin no%s: root cannot log in over SSH", where)
	case "prohibit-password", "without-password":
		return verdict(rule.Fail, "", s.Pos.File, s.Pos.Line, "PermitRootLogin %s%s still lets root log in with a key; want no", v, where)
	case "forced-commands-only":
		return verdict(rule.Fail, "", s.Pos.File, s.Pos.Line, "PermitRootLogin forced-commands-only%s lets root log in with any key "+
			"that has a command= option; want no", where)
	case "yes":
		return verdict(rule.Fail, "", s.Pos.File, s.Pos.Line, "PermitRootLogin yes%s lets root log in with a password or a key; want no", where)
	default:
		return verdict(rule.Error, "", s.Pos.File, s.Pos.Line, "PermitRootLogin %q%s is not a value sshd accepts (yes, prohibit-password, "+
			"forced-commands-only, no)", s.Value, where)
	}
}
