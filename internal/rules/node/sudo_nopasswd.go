package node

import (
	"errors"
	"io/fs"
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

// SudoNoPasswd is KN-0033.
var SudoNoPasswd = &Rule{
	Meta: rule.Meta{
		ID:        "KN-0033",
		Slug:      "sudo-nopasswd",
		Title:     "sudo must ask for a password before running any command as root",
		Severity:  rule.Medium,
		Practices: []string{"A1"},
		Rationale: "A sudo rule that grants every command without a password makes the account it names root for " +
			"anyone who gets a shell as that account: a stolen SSH key, a process running under it, a session left " +
			"open. Asking for the password again keeps a second secret between the account and root. Cloud images " +
			"often ship such a rule for their default user.",
		Remediation: "Remove the NOPASSWD tag from rules that allow ALL (edit with visudo -f FILE), and remove " +
			"Defaults !authenticate; where a job needs root without a prompt, allow it the exact commands it runs, " +
			"not ALL. Cloud images write their default user's rule to a file under /etc/sudoers.d (such as " +
			"90-cloud-init-users): change the image or its cloud-init configuration, not only the running node.",
		References: []string{"https://www.sudo.ws/docs/man/sudoers.man/"},
		Since:      "0.1.0",
		Default:    true,
	},
	// Reads /etc/sudoers and the files it includes. A rule line that has a NOPASSWD tag
	// and allows the command ALL fails at its line, as does a Defaults line that turns
	// authentication off (!authenticate), unless it is root's own rule. Each file without
	// such a line passes; one that could not be read is an Error (an included file that
	// does not exist is left out: sudo skips it too). Command aliases are not expanded.
	Check: sudoCheck(func(files []node.SudoersFile) []Finding {
		var out []Finding
		for i := range files {
			sf := &files[i]
			switch {
			case sf.Err != nil && errors.Is(sf.Err, fs.ErrNotExist):
				continue
			case sf.Err != nil:
				out = append(out, verdict(rule.Error, "", sf.Path, 0, "cannot read %s: %s", sf.Path, readErr(sf.Path, sf.Err)))
				continue
			case statted(sf) && sf.File.Dir:
				continue
			}
			bad, rules := 0, 0
			for _, l := range sf.Lines {
				switch {
				case l.Kind == node.SudoRule:
					rules++
					if l.NoPasswd && l.AllCommands && l.Who != "root" {
						bad++
						out = append(out, verdict(rule.Fail, "", l.Pos.File, l.Pos.Line, "%s may run every command as root "+
							"without a password: %s", l.Who, l.Text))
					}
				case l.Kind == node.SudoDefaults && strings.Contains(l.Text, "!authenticate"):
					bad++
					out = append(out, verdict(rule.Fail, "", l.Pos.File, l.Pos.Line, "%s turns off sudo's password prompt", l.Text))
				}
			}
			if bad == 0 {
				out = append(out, verdict(rule.Pass, "", sf.Path, 0, "no rule of %s grants every command without a password "+
					"(rules read: %d)", sf.Path, rules))
			}
		}
		return out
	}),
}
