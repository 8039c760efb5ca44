package dockerfile

import (
	"regexp"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// NoInstallRecommends is DF-0015.
var NoInstallRecommends = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0015",
		Slug:      "no-install-recommends",
		Title:     "apt-get install must not install recommended packages",
		Severity:  rule.Low,
		Practices: []string{"B7"},
		Rationale: "By default apt installs each package's Recommends as well: documentation, helpers, compilers, " +
			"sometimes a mail server or daemons nobody asked for. They make the image larger and every extra " +
			"binary is more for scanners to report and for an attacker to use.",
		Remediation: "Add --no-install-recommends (apt-get install -y --no-install-recommends curl), or " +
			"-o APT::Install-Recommends=false, and name the recommended packages the image really needs. An " +
			"earlier RUN in the stage that sets APT::Install-Recommends to false in /etc/apt/apt.conf.d " +
			"counts too.",
		References: []string{
			"https://docs.docker.com/build/building/best-practices/#apt-get",
			"hadolint DL3015: Avoid additional packages by specifying --no-install-recommends",
			"trivy-checks DS-0029 (DS029): 'apt-get' missing '--no-install-recommends'",
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		memo := newConfigMemo()
		return eachPkgCall(f, func(p *pkgCall) []rule.Finding {
			if !p.aptInstall() || p.has("--no-install-recommends") || setsNoRecommends(p.values("-o", "--option")) ||
				memo.configuredBefore(p.cmd.Instruction, aptNoRecommends, "RUN") {
				return nil
			}
			return one(atCommand(p.cmd, "%s install without --no-install-recommends also installs recommended packages", p.tool))
		})
	},
}

// aptNoRecommends matches an apt setting that turns recommended packages off, on the
// command line (APT::Install-Recommends=false) or in apt.conf (APT::Install-Recommends "0";).
var aptNoRecommends = regexp.MustCompile(`(?i)APT::Install-Recommends\W{1,3}(false|0|no|off)\b`)

func setsNoRecommends(opts []string) bool {
	for _, o := range opts {
		if aptNoRecommends.MatchString(o) {
			return true
		}
	}
	return false
}
