package dockerfile

import (
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// NoCd is DF-0013.
var NoCd = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0013",
		Slug:      "no-cd",
		Title:     "RUN must not change directory with cd; use WORKDIR",
		Severity:  rule.Low,
		Practices: []string{"B13"},
		Rationale: "A cd lasts only until the end of its RUN, so the directory the next instructions use is not " +
			"the one a reader sees; long chains of cd make the steps hard to review and easy to break. WORKDIR " +
			"states the directory once, for every later instruction.",
		Remediation: "Set the directory with WORKDIR before the RUN. Inside a script that must change " +
			"directory, prefer the tool's own option (make -C DIR, git -C DIR, tar -C DIR).",
		References: []string{
			"https://docs.docker.com/build/building/best-practices/#workdir",
			"hadolint DL3003: Use WORKDIR to switch to a directory",
			"trivy-checks DS-0013 (DS013): 'RUN cd ...' to change directory",
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		return eachCommand(f, func(c *dockerfile.Command) []rule.Finding {
			// $(cd "$(dirname "$0")" && pwd) computes a path; it changes nothing.
			if c.Subst || !c.Is("cd", "pushd") {
				return nil
			}
			return one(atCommand(c, "RUN changes directory with %q", strings.TrimSpace(c.Raw)))
		})
	},
}
