package dockerfile

import (
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// ZypperPin is DF-0008.
var ZypperPin = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0008",
		Slug:      "zypper-pin",
		Title:     "Packages installed with zypper must be pinned to a version",
		Severity:  rule.Low,
		Practices: []string{"B4"},
		Rationale: "zypper install NAME installs whatever version the repositories serve when the layer is built. " +
			"Two builds of the same Dockerfile then contain different software, a rebuild can bring in a " +
			"release nobody reviewed, and the build cache hides which one an image really has.",
		Remediation: "Constrain each package with a version: zypper install -y 'nginx=1.21.5' or an upper bound " +
			"('nginx<1.22'); a lower bound alone ('nginx>=1.21') lets any newer release in. Patterns, patches " +
			"and products (-t pattern, pattern:NAME), local .rpm files and packages given as variables are " +
			"not reported.",
		References: []string{
			"https://doc.opensuse.org/documentation/leap/reference/html/book-reference/cha-sw-cl.html",
			"hadolint DL3037: Specify version with zypper install -y <package>=<version>",
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		return eachPkgCall(f, func(p *pkgCall) []rule.Finding {
			if !p.is(zypTools, "install", "in") {
				return nil
			}
			for _, t := range p.values("-t", "--type") {
				if t != "package" {
					return nil // patterns, patches, products: no version to pin
				}
			}
			var loose []string
			for _, op := range p.operands {
				if isVariable(op) || isPath(op, ".rpm") || strings.ContainsAny(op, "():/") || op == "" ||
					strings.HasPrefix(op, "-") || strings.HasPrefix(op, "!") || strings.HasPrefix(op, "~") {
					continue // a variable, a file, a capability, a pattern:NAME, or a removal (-name, !name)
				}
				if i := strings.IndexAny(op, "=<>"); i > 0 && boundedAbove(op[i:]) || hasRPMVersion(op) {
					continue
				}
				loose = append(loose, op)
			}
			if len(loose) == 0 {
				return nil
			}
			return one(atCommand(p.cmd, "%s", unpinnedMessage(p, loose, "write NAME=VERSION")))
		})
	},
}
