package node

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

// SSHDPasswordAuth is KN-0031.
var SSHDPasswordAuth = &Rule{
	Meta: rule.Meta{
		ID:        "KN-0031",
		Slug:      "sshd-password-auth",
		Title:     "The SSH server must not accept passwords on their own",
		Severity:  rule.High,
		Practices: []string{"A1"},
		Rationale: "A node that takes passwords over SSH can be reached by guessing, by credential stuffing and with " +
			"any password phished or reused elsewhere; keys (or certificates) kept by a privileged access system " +
			"cannot be guessed and can be revoked in one place. sshd accepts passwords by default, and through two " +
			"doors: PasswordAuthentication, and keyboard-interactive authentication, which with UsePAM yes runs the " +
			"PAM stack and so asks for the account's password too. PermitEmptyPasswords yes lets accounts without " +
			"a password in with none.",
		Remediation: "In /etc/ssh/sshd_config (before any Include that could set them first): PasswordAuthentication no, " +
			"KbdInteractiveAuthentication no (ChallengeResponseAuthentication no on OpenSSH before 8.7), " +
			"PermitEmptyPasswords no; remove settings that turn them back on from Match blocks. To keep a PAM " +
			"prompt as a second factor (a one-time code), require a key first instead: " +
			"AuthenticationMethods publickey,keyboard-interactive. Check with sshd -T, then reload sshd.",
		References: []string{
			"https://man.openbsd.org/sshd_config#PasswordAuthentication",
			"https://man.openbsd.org/sshd_config#KbdInteractiveAuthentication",
			"https://man.openbsd.org/sshd_config#AuthenticationMethods",
		},
		Since:   "0.1.0",
		Default: true,
	},
	// Three verdicts for the global section, each at the line sshd uses (the first it
	// reads) or at sshd_config when unset (the default applies):
	//   - PasswordAuthentication (default yes) must be no;
	//   - KbdInteractiveAuthentication, or its old name ChallengeResponseAuthentication
	//     (one option: whichever comes first wins; default yes), must be no when UsePAM
	//     is yes. With UsePAM no (the upstream default) a Linux sshd has no
	//     keyboard-interactive method to offer, so the setting is harmless;
	//   - PermitEmptyPasswords (default no) must not be yes.
	// The first two pass whatever their value when AuthenticationMethods names
	// publickey in each of its lists: a password or PAM prompt is then a second factor
	// after a key, which is how PAM-based multi-factor logins should be set up.
	// Every Match block setting one of these to a value that would fail globally fails
	// at its own line (its AuthenticationMethods, else the global one, applies).
	Check: sshdCheck(func(c *node.SSHDConfig) []Finding {
		usePAM := false
		if s, ok := sshdFirst(c.Settings, "usepam"); ok {
			usePAM = sshdValue(s) == "yes"
		}
		am, amOK := sshdFirst(c.Settings, "authenticationmethods")
		global := passwordAuth{config: c.Path, usePAM: usePAM, key: keyRequired(am, amOK), methods: am}
		out := global.judge(c.Settings, nil, true)
		for i := range c.Match {
			m := &c.Match[i]
			p := global
			if s, ok := sshdFirst(m.Settings, "authenticationmethods"); ok {
				p.key, p.methods = keyRequired(s, true), s
			}
			out = append(out, p.judge(m.Settings, m, false)...)
		}
		return out
	}),
}

// passwordAuth judges the password settings of one section of sshd_config.
type passwordAuth struct {
	config  string
	usePAM  bool
	key     bool         // AuthenticationMethods requires a public key
	methods node.Setting // the AuthenticationMethods setting, when key
}

// judge returns the verdicts on a section: every verdict for the global section, only
// the failing settings a Match block sets.
func (p passwordAuth) judge(settings []node.Setting, m *node.SSHDMatch, global bool) []Finding {
	var out []Finding
	where := sshdWhere(m)
	keyFirst := func(s node.Setting, what string) Finding {
		return verdict(rule.Pass, "", s.Pos.File, s.Pos.Line, "%s %s%s, but AuthenticationMethods %s (%s) requires a public key first: "+
			"it is only a second factor", what, sshdValue(s), where, p.methods.Value, p.methods.Pos)
	}

	s, ok := sshdFirst(settings, "passwordauthentication")
	switch {
	case !ok && global && p.key:
		out = append(out, verdict(rule.Pass, "", p.methods.Pos.File, p.methods.Pos.Line, "PasswordAuthentication is not set (default yes), "+
			"but AuthenticationMethods %s requires a public key first", p.methods.Value))
	case !ok && global:
		out = append(out, verdict(rule.Fail, "", p.config, 0, "PasswordAuthentication is not set, so sshd uses its default, yes, "+
			"and accepts passwords; want PasswordAuthentication no"))
	case !ok:
	case sshdValue(s) == "no":
		if global {
			out = append(out, verdict(rule.Pass, "", s.Pos.File, s.Pos.Line, "PasswordAuthentication no: sshd does not accept passwords"))
		}
	case p.key:
		out = append(out, keyFirst(s, "PasswordAuthentication"))
	default:
		out = append(out, verdict(rule.Fail, "", s.Pos.File, s.Pos.Line, "PasswordAuthentication %s%s: sshd accepts passwords; want no",
			sshdValue(s), where))
	}

	s, ok = sshdFirst(settings, "kbdinteractiveauthentication", "challengeresponseauthentication")
	name := "KbdInteractiveAuthentication"
	if ok && s.Key == "challengeresponseauthentication" {
		name = "ChallengeResponseAuthentication"
	}
	switch {
	case ok && sshdValue(s) == "no":
		if global {
			out = append(out, verdict(rule.Pass, "", s.Pos.File, s.Pos.Line, "%s no: sshd offers no keyboard-interactive prompt", name))
		}
	case !p.usePAM:
		if global {
			file, line, value := p.config, 0, "is not set (default yes)"
			if ok {
				file, line, value = s.Pos.File, s.Pos.Line, sshdValue(s)
			}
			out = append(out, verdict(rule.Pass, "", file, line, "%s %s, but UsePAM is not yes: a Linux sshd without PAM "+
				"has no keyboard-interactive method to offer", name, value))
		}
	case !ok && global && p.key:
		out = append(out, verdict(rule.Pass, "", p.methods.Pos.File, p.methods.Pos.Line, "KbdInteractiveAuthentication is not set "+
			"(default yes), but AuthenticationMethods %s requires a public key first", p.methods.Value))
	case !ok && global:
		out = append(out, verdict(rule.Fail, "", p.config, 0, "KbdInteractiveAuthentication is not set, so sshd uses its default, yes, "+
			"and with UsePAM yes the PAM stack asks for the account's password; want KbdInteractiveAuthentication no, "+
			"or AuthenticationMethods requiring publickey first"))
	case !ok:
	case p.key:
		out = append(out, keyFirst(s, name))
	default:
		out = append(out, verdict(rule.Fail, "", s.Pos.File, s.Pos.Line, "%s %s%s: with UsePAM yes the PAM stack asks for the "+
			"account's password; want no, or AuthenticationMethods requiring publickey first", name, sshdValue(s), where))
	}

	s, ok = sshdFirst(settings, "permitemptypasswords")
	switch {
	case ok && sshdValue(s) == "yes":
		out = append(out, verdict(rule.Fail, "", s.Pos.File, s.Pos.Line, "PermitEmptyPasswords yes%s lets accounts without a "+
			"password log in with none; want no", where))
	case ok && global:
		out = append(out, verdict(rule.Pass, "", s.Pos.File, s.Pos.Line, "PermitEmptyPasswords %s: accounts without a password "+
			"cannot log in", sshdValue(s)))
	case global:
		out = append(out, verdict(rule.Pass, "", p.config, 0, "PermitEmptyPasswords is not set: sshd's default, no, applies"))
	}
	return out
}
