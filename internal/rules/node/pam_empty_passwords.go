package node

import (
	"errors"
	"io/fs"
	"path"
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

// PAMEmptyPasswords is KN-0039.
var PAMEmptyPasswords = &Rule{
	Meta: rule.Meta{
		ID:        "KN-0039",
		Slug:      "pam-empty-passwords",
		Title:     "PAM must not accept empty passwords",
		Severity:  rule.Low,
		Practices: []string{"A1"},
		Rationale: "pam_unix's nullok option lets an account whose password field is empty authenticate with no " +
			"password at all: at the console, through su, and over SSH where PAM answers keyboard-interactive " +
			"prompts. An empty password is then one mistaken useradd or passwd -d away. Debian and Ubuntu ship " +
			"nullok in common-auth; the CIS benchmarks of those distributions ask for it to be removed.",
		Remediation: "Remove nullok (and nullok_secure) from the pam_unix.so lines of /etc/pam.d (on Debian and " +
			"Ubuntu, in common-auth and common-password, or through pam-auth-update), and give every account a " +
			"password or lock it (passwd -l).",
		References: []string{"https://man7.org/linux/man-pages/man8/pam_unix.8.html"},
		Since:      "0.1.0",
		Default:    true,
	},
	// Every pam_unix line of /etc/pam.d with nullok or nullok_secure among its arguments
	// fails at its line. Without one, and with every file read, one Pass for /etc/pam.d
	// naming how many pam_unix lines were read. No /etc/pam.d (no PAM on the node):
	// Skipped; the directory or a file in it that cannot be read: Error.
	Check: func(f *node.Facts) []Finding {
		const dir = "/etc/pam.d"
		o := &f.OS
		switch {
		case o.PAMErr != nil && errors.Is(o.PAMErr, fs.ErrNotExist):
			return []Finding{verdict(rule.Skipped, "", dir, 0, "%s does not exist: PAM is not configured on this node", dir)}
		case o.PAMErr != nil:
			return []Finding{verdict(rule.Error, "", dir, 0, "cannot list %s: %s", dir, readErr(dir, o.PAMErr))}
		}
		var out []Finding
		unix, bad, unread := 0, 0, 0
		for _, pf := range o.PAM {
			if pf.Err != nil {
				unread++
				out = append(out, verdict(rule.Error, "", pf.Path, 0, "cannot read %s: %s", pf.Path, readErr(pf.Path, pf.Err)))
				continue
			}
			for _, l := range pf.Lines {
				if path.Base(l.Module) != "pam_unix.so" {
					continue
				}
				unix++
				for _, a := range l.Args {
					if a == "nullok" || a == "nullok_secure" {
						bad++
						out = append(out, verdict(rule.Fail, "", l.Pos.File, l.Pos.Line, "%s %s pam_unix.so %s: accounts with an "+
							"empty password authenticate without one", strings.TrimPrefix(l.Type, "-"), l.Control, a))
						break
					}
				}
			}
		}
		if bad == 0 && unread == 0 {
			out = append(out, verdict(rule.Pass, "", dir, 0, "no pam_unix line of %s accepts empty passwords (pam_unix lines: %d)", dir, unix))
		}
		return out
	},
}
