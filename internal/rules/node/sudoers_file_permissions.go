package node

import (
	"errors"
	"io/fs"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

// SudoersFilePermissions is KN-0034.
var SudoersFilePermissions = &Rule{
	Meta: rule.Meta{
		ID:        "KN-0034",
		Slug:      "sudoers-file-permissions",
		Title:     "The sudo policy files must be owned by root and writable by root only",
		Severity:  rule.High,
		Practices: []string{"A1"},
		Rationale: "Whoever can write a sudoers file, or a directory it includes, can grant themselves every command " +
			"as root. A file owned by another account, or writable by a group or by everyone, is root for whoever " +
			"holds that account, group or any shell on the node.",
		Remediation: "chown root:root and chmod 0440 /etc/sudoers and every file it includes (/etc/sudoers.d/*); " +
			"chown root:root and chmod 0750 (or 0755) the directories an @includedir names. Then look at the " +
			"files' content for rules you did not write (visudo -c lists the files it parses).",
		References: []string{"https://www.sudo.ws/docs/man/sudoers.man/"},
		Since:      "0.1.0",
		Default:    true,
	},
	// Each file of the policy (/etc/sudoers and what it includes, and the directories of
	// @includedir when the collector records them) gets a verdict: Fail when its owner
	// is not UID 0 or its mode lets the group or others write, Pass otherwise. A file
	// whose owner and mode could not be read is an Error; an included file that does not
	// exist is left out.
	Check: sudoCheck(func(files []node.SudoersFile) []Finding {
		var out []Finding
		for i := range files {
			sf := &files[i]
			if !statted(sf) {
				if sf.Err != nil && !errors.Is(sf.Err, fs.ErrNotExist) {
					out = append(out, verdict(rule.Error, "", sf.Path, 0, "cannot examine %s: %s", sf.Path, readErr(sf.Path, sf.Err)))
				}
				continue
			}
			file := sf.File
			what := "file"
			if file.Dir {
				what = "directory"
			}
			switch writable := file.Perm() & 0o022; {
			case file.UID != 0:
				out = append(out, verdict(rule.Fail, "", sf.Path, 0, "sudoers %s %s is owned by %s, who can grant any command as root; "+
					"want root", what, sf.Path, file.Owner()))
			case writable != 0:
				out = append(out, verdict(rule.Fail, "", sf.Path, 0, "sudoers %s %s has mode %04o, which allows %s; want 0440 "+
					"for files, 0750 or 0755 for directories", what, sf.Path, uint32(file.Perm()), describeBits(writable)))
			default:
				out = append(out, verdict(rule.Pass, "", sf.Path, 0, "sudoers %s %s is %04o %s", what, sf.Path,
					uint32(file.Perm()), file.Owner()))
			}
		}
		return out
	}),
}
