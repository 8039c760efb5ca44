package dockerfile

import (
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// YumPin is DF-0007.
var YumPin = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0007",
		Slug:      "yum-pin",
		Title:     "Packages installed with yum, dnf or microdnf must be pinned to a version",
		Severity:  rule.Low,
		Practices: []string{"B4"},
		Rationale: "yum install NAME (or dnf, microdnf, tdnf) installs whatever version the repositories serve " +
			"when the layer is built. Two builds of the same Dockerfile then contain different software, a " +
			"rebuild can bring in a release nobody reviewed, and the build cache hides which one an image " +
			"really has.",
		Remediation: "Name the version in the package spec: dnf install -y nginx-1.24.0 (or nginx-1.24.0-1.el9, " +
			"or nginx-1.24* to accept rebuilds). kharden counts a spec as pinned when its last dash-separated " +
			"part starts with a digit (name-version or name-version-release, with an optional epoch), so a " +
			"package whose own name ends in a number after a dash (gcc-toolset-12) also counts as pinned. " +
			"Groups (@group), module streams, provides (perl(Foo)), file paths, local .rpm files and " +
			"packages given as variables are not reported.",
		References: []string{
			"https://dnf.readthedocs.io/en/latest/command_ref.html#specifying-packages-label",
			"hadolint DL3033: Specify version with yum install -y <package>-<version>",
			"hadolint DL3041: Specify version with dnf install -y <package>-<version>",
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		return eachPkgCall(f, func(p *pkgCall) []rule.Finding {
			if !p.is(rpmTools, "install", "in") {
				return nil
			}
			var loose []string
			for _, op := range p.operands {
				if isVariable(op) || isPath(op, ".rpm") || strings.HasPrefix(op, "@") || strings.ContainsAny(op, "()/") || op == "" {
					continue
				}
				if i := strings.IndexAny(op, "=<>"); i > 0 && boundedAbove(op[i:]) || hasRPMVersion(op) {
					continue
				}
				loose = append(loose, op)
			}
			if len(loose) == 0 {
				return nil
			}
			return one(atCommand(p.cmd, "%s", unpinnedMessage(p, loose, "write NAME-VERSION")))
		})
	},
}

// hasRPMVersion tells whether a package spec ends with a version or version-release:
// its last dash-separated part starts with a digit (curl-7.61.1, curl-7.61.1-22.el8,
// curl-0:7.61.1, curl-7.61*). Names are never all digits after a dash in practice, except
// a few (gcc-toolset-12), which then count as pinned.
func hasRPMVersion(spec string) bool {
	i := strings.LastIndexByte(spec, '-')
	if i <= 0 || i == len(spec)-1 {
		return false
	}
	c := spec[i+1]
	return c >= '0' && c <= '9'
}
