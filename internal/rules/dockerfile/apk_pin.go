package dockerfile

import (
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// ApkPin is DF-0006.
var ApkPin = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0006",
		Slug:      "apk-pin",
		Title:     "Packages installed with apk must be pinned to a version",
		Severity:  rule.Low,
		Practices: []string{"B4"},
		Rationale: "apk add NAME installs whatever version the Alpine mirror serves when the layer is built. Two " +
			"builds of the same Dockerfile then contain different software, a rebuild can bring in a release " +
			"nobody reviewed, and the build cache hides which one an image really has.",
		Remediation: "Constrain each package: an exact version (apk add curl=8.5.0-r0), or, since Alpine drops old " +
			"revisions from its mirrors, a fuzzy one that accepts fixes of the same release (curl~8.5) or an " +
			"upper bound (curl<8.6). A lower bound alone (curl>=8.5) lets any newer release in. The name given " +
			"to --virtual, local .apk files and packages given as variables are not reported.",
		References: []string{
			"https://wiki.alpinelinux.org/wiki/Alpine_Package_Keeper",
			"hadolint DL3018: Pin versions in apk add",
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		return eachPkgCall(f, func(p *pkgCall) []rule.Finding {
			if !p.is(apkTools, "add") || p.has("-s", "--simulate") {
				return nil
			}
			var loose []string
			for _, op := range p.operands {
				if isVariable(op) || isPath(op, ".apk") || strings.HasPrefix(op, "!") || op == "" {
					continue // a variable, a file, or a conflict (!name)
				}
				if i := strings.IndexAny(op, "=<>~"); i > 0 && boundedAbove(op[i:]) {
					continue
				}
				loose = append(loose, op)
			}
			if len(loose) == 0 {
				return nil
			}
			return one(atCommand(p.cmd, "%s", unpinnedMessage(p, loose, "write NAME=VERSION or NAME~MAJOR.MINOR")))
		})
	},
}
