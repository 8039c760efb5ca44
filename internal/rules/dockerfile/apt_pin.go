package dockerfile

import (
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// AptPin is DF-0004.
var AptPin = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0004",
		Slug:      "apt-pin",
		Title:     "Packages installed with apt-get or apt must be pinned to a version",
		Severity:  rule.Low,
		Practices: []string{"B4"},
		Rationale: "apt-get install NAME installs whatever version the mirror serves when the layer is built. Two " +
			"builds of the same Dockerfile then contain different software, a rebuild can bring in a release " +
			"nobody reviewed, and the build cache hides which one an image really has.",
		Remediation: "Name the version of each package: apt-get install -y curl=7.88.1-10+deb12u8, or a prefix " +
			"with a wildcard (curl=7.88.*) to accept patch releases. A version held in a variable " +
			"(curl=\"$CURL_VERSION\") counts as pinned. Local .deb files and packages given as variables are " +
			"not reported.",
		References: []string{
			"https://docs.docker.com/build/building/best-practices/#apt-get",
			"hadolint DL3008: Pin versions in apt-get install",
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		return eachPkgCall(f, func(p *pkgCall) []rule.Finding {
			if !p.aptInstall() {
				return nil
			}
			var loose []string
			for _, op := range p.operands {
				// pkg- asks apt to remove pkg
				if isVariable(op) || isPath(op, ".deb") || strings.HasSuffix(op, "-") || strings.Contains(op, "=") || op == "" {
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
