package node

import (
	"errors"
	"io/fs"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

// sudoCheck returns the check of a sudo rule: judge runs on the files of the policy,
// a Skipped verdict stands for a node without /etc/sudoers.
func sudoCheck(judge func(files []node.SudoersFile) []Finding) func(*node.Facts) []Finding {
	return func(f *node.Facts) []Finding {
		if v, ok := sudoersAbsent(f); ok {
			return []Finding{v}
		}
		return judge(f.OS.Sudoers)
	}
}

// sudoersAbsent returns the Skipped verdict of a sudo rule on a node without
// /etc/sudoers (sudo is not installed); ok is false when the node has one.
func sudoersAbsent(f *node.Facts) (Finding, bool) {
	s := f.OS.Sudoers
	if len(s) == 0 || s[0].Err != nil && errors.Is(s[0].Err, fs.ErrNotExist) {
		return verdict(rule.Skipped, "", "/etc/sudoers", 0, "/etc/sudoers does not exist: sudo is not configured on this node"), true
	}
	return Finding{}, false
}

// statted tells whether the owner and mode of a sudoers file were read (they may be
// when its content could not be).
func statted(sf *node.SudoersFile) bool { return sf.File.Path != "" }
