package dockerfile

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// UpdateAlone is DF-0018.
var UpdateAlone = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0018",
		Slug:      "update-alone",
		Title:     "Package index updates must run in the same RUN as the install that needs them",
		Severity:  rule.Low,
		Practices: []string{"B4", "B7"},
		Rationale: "A RUN that only refreshes the package index (apt-get update, apk update) is a layer of its " +
			"own, which the build cache keeps. When a later RUN's package list changes, that RUN is rebuilt " +
			"but the update is not: the install works from an index of whenever the cache was made, fails once " +
			"the mirror has dropped those versions, or installs outdated ones. The index also stays in the " +
			"image.",
		Remediation: "Update and install in one RUN, and clean up in the same RUN: " +
			"RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*. " +
			"With apk, use apk add --no-cache, which needs no separate update.",
		References: []string{
			"https://docs.docker.com/build/building/best-practices/#apt-get",
			"trivy-checks DS-0017 (DS017): 'RUN <package-manager> update' instruction alone",
		},
		Standards: rule.Standards{CIS: []string{"4.7"}},
		Since:     "0.1.0",
		Default:   true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		return eachInstruction(f, "RUN", func(in *dockerfile.Instruction) []rule.Finding {
			var out []rule.Finding
			calls := pkgCalls(in)
			for i, p := range calls {
				family, ok := refreshes(p)
				if !ok || usesIndexAfter(calls[i+1:], family) {
					continue
				}
				out = append(out, atCommand(p.cmd, "%s %s runs in a RUN that installs nothing, so later installs use a cached, stale index",
					p.tool, p.sub))
			}
			return out
		})
	},
}

// refreshes tells whether a call only refreshes a package index, and which managers
// use that index.
func refreshes(p *pkgCall) ([]string, bool) {
	switch {
	case p.is(aptTools, "update"):
		return aptTools, true
	case p.is(apkTools, "update"):
		return apkTools, true
	case p.is(rpmTools, "makecache"):
		return rpmTools, true
	case p.is(zypTools, "refresh", "ref"):
		return zypTools, true
	}
	return nil, false
}

// indexUsers are, per manager, the subcommands that install or upgrade from the index.
var indexUsers = map[string][]string{
	"apt-get":  {"install", "reinstall", "upgrade", "dist-upgrade", "full-upgrade", "build-dep", "source", "download", "satisfy"},
	"apt":      {"install", "reinstall", "upgrade", "dist-upgrade", "full-upgrade", "build-dep", "source", "download", "satisfy"},
	"apk":      {"add", "upgrade", "fix", "fetch"},
	"yum":      {"install", "update", "upgrade", "reinstall", "groupinstall", "localinstall", "distro-sync"},
	"dnf":      {"install", "in", "update", "upgrade", "up", "reinstall", "groupinstall", "distro-sync", "download"},
	"dnf5":     {"install", "in", "update", "upgrade", "up", "reinstall", "distro-sync", "download"},
	"microdnf": {"install", "update", "upgrade", "reinstall", "distro-sync", "download"},
	"tdnf":     {"install", "update", "upgrade", "reinstall", "distro-sync"},
	"zypper":   {"install", "in", "update", "up", "dist-upgrade", "dup", "patch", "source-install", "si", "download"},
}

// usesIndexAfter tells whether one of the calls installs or upgrades with a manager of
// the family.
func usesIndexAfter(calls []*pkgCall, family []string) bool {
	for _, c := range calls {
		if c.is(family, indexUsers[c.tool]...) {
			return true
		}
	}
	return false
}
