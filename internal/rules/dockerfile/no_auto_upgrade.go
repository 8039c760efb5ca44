package dockerfile

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// NoAutoUpgrade is DF-0003.
var NoAutoUpgrade = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0003",
		Slug:      "no-auto-upgrade",
		Title:     "RUN must not upgrade every package of the base image",
		Severity:  rule.Medium,
		Practices: []string{"B3"},
		Rationale: "A blanket upgrade (apt-get upgrade or dist-upgrade, apk upgrade, yum or dnf update, zypper " +
			"update or dup) installs whatever the mirrors serve on the day of the build: two builds of the same " +
			"Dockerfile differ, a release pushed to a mirror minutes earlier lands in the image unreviewed, and a " +
			"dist-upgrade can move the image to a new distribution release under the base image's tag. The " +
			"base image's maintainers already publish patched images; upgrading inside the build hides which " +
			"versions the image really contains.",
		Remediation: "Drop the upgrade and move to a newer, patched base image tag (or digest) instead, rebuilt " +
			"regularly. When one package needs a fix that the base image does not have yet, install or upgrade " +
			"that package alone, at a pinned version (apt-get install -y openssl=3.0.15-1~deb12u1). Upgrading " +
			"named packages (yum update openssl, apk upgrade openssl) is not reported by this rule.",
		References: []string{
			"https://docs.docker.com/build/building/best-practices/#apt-get",
			"hadolint DL3005: Do not use apt-get dist-upgrade",
			"trivy-checks DS-0024 (DS024): 'apt-get dist-upgrade' used",
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		return eachPkgCall(f, func(p *pkgCall) []rule.Finding {
			if !isBlanketUpgrade(p) {
				return nil
			}
			return one(atCommand(p.cmd, "%s %s upgrades every installed package to whatever the mirrors serve at build time",
				p.tool, p.sub))
		})
	},
}

// upgradeSubs are, per manager, the subcommands that upgrade installed packages.
var upgradeSubs = map[string][]string{
	"apt-get":  {"upgrade", "dist-upgrade", "full-upgrade"},
	"apt":      {"upgrade", "dist-upgrade", "full-upgrade"},
	"apk":      {"upgrade"},
	"yum":      {"update", "upgrade", "update-minimal", "upgrade-minimal", "distro-sync", "distribution-synchronization"},
	"dnf":      {"update", "upgrade", "up", "update-minimal", "upgrade-minimal", "distro-sync", "dsync"},
	"dnf5":     {"update", "upgrade", "up", "upgrade-minimal", "distro-sync", "dsync"},
	"microdnf": {"update", "upgrade", "distro-sync"},
	"tdnf":     {"update", "upgrade", "distro-sync"},
	"zypper":   {"update", "up", "dist-upgrade", "dup", "patch"},
}

// isBlanketUpgrade tells whether a call upgrades all installed packages: an upgrade
// subcommand with no package operand. Naming packages (yum update openssl) or
// advisories (zypper patch --cve=CVE-2024-1234, dnf upgrade --advisory=...) upgrades
// only those, a targeted fix this rule leaves alone.
func isBlanketUpgrade(p *pkgCall) bool {
	for _, s := range upgradeSubs[p.tool] {
		if p.sub == s {
			return len(p.operands) == 0 && !p.has("--cve", "--cves", "--advisory", "--advisories", "--bz", "--bzs", "--bugzilla", "--issues")
		}
	}
	return false
}
