package node

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

// fileCheck is a CIS item about the mode or the owner of the files of some roles.
type fileCheck struct {
	cis   string
	roles []node.Role
	// what names the files in messages ("the API server's static pod manifest").
	what string
	// perm, when set, is the loosest mode allowed: a mode passes when it sets no bit
	// outside it (0600 allows 0400 and 0000, not 0640). It applies to regular files
	// only, unless dirs is set.
	perm fs.FileMode
	dirs bool
	// owner, when set, is the "user:group" wanted.
	owner string
	// listedIn is the role of the directory whose listing gives the files, when they are
	// found by listing one: a directory that cannot be listed is an Error for the files
	// in it, not their absence.
	listedIn node.Role
}

func modeCheck(cis, what string, perm fs.FileMode, roles ...node.Role) fileCheck {
	return fileCheck{cis: cis, roles: roles, what: what, perm: perm}
}

func ownerCheck(cis, what, owner string, roles ...node.Role) fileCheck {
	return fileCheck{cis: cis, roles: roles, what: what, owner: owner}
}

// fileChecks returns the check of a rule made of file checks. Every file of the roles
// gets a verdict; a file that is not there is Skipped (the component does not run here,
// or is laid out otherwise), one that cannot be examined is an Error.
func fileChecks(checks ...fileCheck) func(*node.Facts) []Finding {
	return func(f *node.Facts) []Finding {
		var out []Finding
		for _, c := range checks {
			out = append(out, c.run(f)...)
		}
		return out
	}
}

func (c fileCheck) run(f *node.Facts) []Finding {
	var out []Finding
	for _, role := range c.roles {
		for _, ff := range f.FilesFor(role) {
			if v, ok := c.judge(&ff); ok {
				out = append(out, v)
			}
		}
	}
	if len(out) == 0 && c.listedIn != "" {
		for _, ff := range f.FilesFor(c.listedIn) {
			if ff.Err != nil && !errors.Is(ff.Err, fs.ErrNotExist) {
				out = append(out, verdict(rule.Error, c.cis, ff.Path, 0, "%s: cannot list %s: %s (CIS %s)", c.what, ff.Path, errText(ff.Err), c.cis))
			}
		}
	}
	if len(out) == 0 {
		out = append(out, verdict(rule.Skipped, c.cis, "", 0, "%s: not on this node (CIS %s)", c.what, c.cis))
	}
	return out
}

// in returns the check for files found by listing a directory of the given role.
func (c fileCheck) in(dir node.Role) fileCheck {
	c.listedIn = dir
	return c
}

// judge gives the verdict on one file; false when the check does not apply to it (a
// directory for a mode check on files).
func (c fileCheck) judge(ff *node.FileFact) (Finding, bool) {
	from := ""
	if ff.From != nil {
		from = ", named by " + ff.From.String()
	}
	switch {
	case ff.Err != nil && errors.Is(ff.Err, fs.ErrNotExist):
		return verdict(rule.Skipped, c.cis, ff.Path, 0, "%s %s does not exist%s (CIS %s)", c.what, ff.Path, from, c.cis), true
	case ff.Err != nil:
		return verdict(rule.Error, c.cis, ff.Path, 0, "%s %s: cannot examine it: %s (CIS %s)", c.what, ff.Path, errText(ff.Err), c.cis), true
	}
	file := ff.File
	if c.perm != 0 {
		if file.Dir && !c.dirs {
			return Finding{}, false
		}
		got := file.Perm()
		if extra := got &^ c.perm; extra != 0 {
			return verdict(rule.Fail, c.cis, ff.Path, 0, "%s %s has mode %04o, which allows %s; want %04o or stricter (CIS %s)",
				c.what, ff.Path, uint32(got), describeBits(extra), uint32(c.perm), c.cis), true
		}
		return verdict(rule.Pass, c.cis, ff.Path, 0, "%s %s has mode %04o (CIS %s)", c.what, ff.Path, uint32(got), c.cis), true
	}
	got := file.Owner()
	if !ownedBy(file, c.owner) {
		return verdict(rule.Fail, c.cis, ff.Path, 0, "%s %s is owned by %s; want %s (CIS %s)", c.what, ff.Path, got, c.owner, c.cis), true
	}
	if got != c.owner {
		got += ", which is " + c.owner // IDs without names on this host
	}
	return verdict(rule.Pass, c.cis, ff.Path, 0, "%s %s is owned by %s (CIS %s)", c.what, ff.Path, got, c.cis), true
}

// ownedBy tells whether a file belongs to want ("user:group"). Root is ID 0 whatever the
// host's name database says (a root without /etc/passwd, or an entry that names another
// ID "root"); other owners are compared by name, as the benchmark names them.
func ownedBy(f node.File, want string) bool {
	u, g, _ := strings.Cut(want, ":")
	return idMatches(f.UID, f.User, u) && idMatches(f.GID, f.Group, g)
}

func idMatches(id int, name, want string) bool {
	if want == "root" && id >= 0 {
		return id == 0
	}
	return name == want
}

// describeBits says in words what permission bits grant: "group read, others read".
func describeBits(m fs.FileMode) string {
	var parts []string
	for _, who := range []struct {
		name  string
		shift uint
	}{{"owner", 6}, {"group", 3}, {"others", 0}} {
		bits := (m >> who.shift) & 7
		var can []string
		if bits&4 != 0 {
			can = append(can, "read")
		}
		if bits&2 != 0 {
			can = append(can, "write")
		}
		if bits&1 != 0 {
			can = append(can, "execute")
		}
		if len(can) > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", who.name, strings.Join(can, "/")))
		}
	}
	return strings.Join(parts, ", ")
}
