package dockerfile

import (
	"regexp"
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// AptGetYes is DF-0019.
var AptGetYes = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0019",
		Slug:      "apt-get-yes",
		Title:     "apt-get install must not wait for a confirmation",
		Severity:  rule.Low,
		Practices: []string{"B4"},
		Rationale: "Without -y, apt-get install asks for confirmation as soon as it installs anything beyond the " +
			"packages named, and a build has no one to answer: apt reads end of input and aborts. Whether the " +
			"build fails then depends on the dependencies of the day, so the same Dockerfile builds or not " +
			"depending on the state of the mirror.",
		Remediation: "Add -y (apt-get install -y --no-install-recommends curl), or --yes, --assume-yes, " +
			"-o APT::Get::Assume-Yes=true. An earlier RUN in the stage that sets APT::Get::Assume-Yes in " +
			"/etc/apt/apt.conf.d counts too, and so does input piped in (yes | apt-get install ...).",
		References: []string{
			"https://manpages.debian.org/stable/apt/apt-get.8.en.html",
			"hadolint DL3014: Use the -y switch",
			"trivy-checks DS-0021 (DS021): 'apt-get' missing '-y' to avoid manual input",
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		memo := newConfigMemo()
		return eachPkgCall(f, func(p *pkgCall) []rule.Finding {
			if !p.aptInstall() || p.has("-y", "--yes", "--assume-yes") || quietLevel(p) >= 2 || p.cmd.PipeFrom != nil ||
				setsAssumeYes(p.values("-o", "--option")) || memo.configuredBefore(p.cmd.Instruction, aptAssumeYes, "RUN") {
				return nil
			}
			return one(atCommand(p.cmd, "%s install without -y aborts when it asks for a confirmation", p.tool))
		})
	},
}

// aptAssumeYes matches an apt setting that answers yes, on the command line
// (APT::Get::Assume-Yes=true) or in apt.conf (APT::Get::Assume-Yes "true";).
var aptAssumeYes = regexp.MustCompile(`(?i)APT::Get::Assume-Yes\W{1,3}(true|1|yes|on)\b`)

func setsAssumeYes(opts []string) bool {
	for _, o := range opts {
		if aptAssumeYes.MatchString(o) {
			return true
		}
	}
	return false
}

// quietLevel is apt's quiet level: -q counts one each time, -qq two, -q=N and
// --quiet=N set it. Level 2 implies -y.
func quietLevel(p *pkgCall) int {
	n := 0
	for _, o := range p.opts {
		switch {
		case (o.name == "-q" || o.name == "--quiet") && o.valued:
			if len(o.value) == 1 && o.value[0] >= '0' && o.value[0] <= '9' {
				n = int(o.value[0] - '0')
			}
		case o.name == "-q" || o.name == "--quiet":
			n++
		case o.cluster:
			n += strings.Count(o.name[1:], "q")
		}
	}
	return n
}
