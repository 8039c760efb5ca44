package node

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

// sshdCheck returns the check of an sshd rule: judge runs on sshd_config once it was
// read in full; otherwise the verdict is Skipped or Error (sshdUnjudged).
func sshdCheck(judge func(c *node.SSHDConfig) []Finding) func(*node.Facts) []Finding {
	return func(f *node.Facts) []Finding {
		if v, ok := sshdUnjudged(&f.OS.SSHD); ok {
			return []Finding{v}
		}
		return judge(&f.OS.SSHD)
	}
}

// sshdUnjudged returns the verdict of an sshd rule when sshd_config cannot be judged:
// Skipped when the node has none (no OpenSSH server), Error when it or a file it
// includes could not be read (the missing file may hold the setting that wins). ok is
// false when the configuration was read in full.
func sshdUnjudged(c *node.SSHDConfig) (Finding, bool) {
	path := c.Path
	if path == "" {
		path = "/etc/ssh/sshd_config"
	}
	switch {
	case c.Err != nil && errors.Is(c.Err, fs.ErrNotExist):
		return verdict(rule.Skipped, "", path, 0, "%s does not exist: no OpenSSH server is configured on this node", path), true
	case c.Err != nil:
		return verdict(rule.Error, "", path, 0, "cannot read %s: %s", path, readErr(path, c.Err)), true
	}
	for _, e := range c.Errors {
		// An Include naming a file that does not exist includes nothing, for sshd too.
		if errors.Is(e.Err, fs.ErrNotExist) {
			continue
		}
		return verdict(rule.Error, "", e.Path, 0, "cannot read %s, which %s includes (its settings may be the ones sshd uses): %s",
			e.Path, path, errText(e.Err)), true
	}
	return Finding{}, false
}

// sshdValue is a setting's value as sshd compares it: the first word, unquoted, in
// lower case.
func sshdValue(s node.Setting) string {
	v, _, _ := strings.Cut(strings.TrimSpace(s.Value), " ")
	return strings.ToLower(strings.Trim(v, `"`))
}

// sshdFirst returns the first of settings whose key is one of keys (lower case): the
// one sshd uses, in the global section as in a Match block.
func sshdFirst(settings []node.Setting, keys ...string) (node.Setting, bool) {
	for _, s := range settings {
		for _, k := range keys {
			if s.Key == k {
				return s, true
			}
		}
	}
	return node.Setting{}, false
}

// sshdWhere says where a setting was read, for messages: "" for the global section,
// " for connections matching User alice" for a Match block.
func sshdWhere(m *node.SSHDMatch) string {
	if m == nil {
		return ""
	}
	return fmt.Sprintf(" for connections matching %q (Match at %s)", m.Criteria, m.Pos)
}

// keyRequired tells whether an AuthenticationMethods value makes a public key part of
// every way in: each of its space-separated lists names publickey. Passwords and
// keyboard-interactive prompts are then a second factor, not a way in on their own.
func keyRequired(s node.Setting, ok bool) bool {
	if !ok {
		return false
	}
	lists := strings.Fields(strings.ToLower(s.Value))
	if len(lists) == 0 || lists[0] == "any" {
		return false
	}
	for _, l := range lists {
		found := false
		for _, m := range strings.Split(l, ",") {
			if m == "publickey" {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}
