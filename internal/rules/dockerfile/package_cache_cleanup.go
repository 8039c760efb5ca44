package dockerfile

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// PackageCacheCleanup is DF-0016.
var PackageCacheCleanup = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0016",
		Slug:      "package-cache-cleanup",
		Title:     "Package installs must leave no package cache in the layer",
		Severity:  rule.Low,
		Practices: []string{"B7"},
		Rationale: "Package managers keep the repository indexes and downloaded packages they used: tens of " +
			"megabytes per layer for apt's lists, more for dnf's metadata. Each layer is immutable, so removing " +
			"them in a later RUN does not shrink the image; left in place they also freeze a stale index that a " +
			"later install trusts.",
		Remediation: "Clean up in the same RUN as the install: apt-get update && apt-get install -y ... && " +
			"rm -rf /var/lib/apt/lists/* (or apt-get dist-clean); apk add --no-cache ...; " +
			"dnf install -y ... && dnf clean all (likewise yum and microdnf); zypper install -y ... && " +
			"zypper clean --all. Or keep the caches out of the layer with BuildKit cache mounts: " +
			"RUN --mount=type=cache,target=/var/lib/apt --mount=type=cache,target=/var/cache/apt ... .",
		References: []string{
			"https://docs.docker.com/build/building/best-practices/#apt-get",
			"https://docs.docker.com/build/cache/optimize/#use-cache-mounts",
			"hadolint DL3009: Delete the apt-get lists after installing something",
			"hadolint DL3019: Use the --no-cache switch to avoid the need to use --update and remove /var/cache/apk/*",
			"trivy-checks DS-0015 (DS015): 'yum clean all' missing",
			"trivy-checks DS-0019 (DS019): 'dnf clean all' missing",
			"trivy-checks DS-0020 (DS020): 'zypper clean' missing",
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		// Whether a RUN cleans up after a family of package managers is the same for each of
		// its calls: found once per RUN, as looking through the RUN for every call was
		// quadratic.
		type key struct {
			in     *dockerfile.Instruction
			family string
		}
		known := map[key]bool{}
		cleansUp := func(in *dockerfile.Instruction, family string, check func() bool) bool {
			k := key{in, family}
			v, ok := known[k]
			if !ok {
				v = check()
				known[k] = v
			}
			return v
		}
		return eachPkgCall(f, func(p *pkgCall) []rule.Finding {
			in := p.cmd.Instruction
			switch {
			case p.aptInstall():
				if cleansUp(in, "apt", func() bool {
					return removes(in, "/var/lib/apt/lists") || mountedAt(in, "/var/lib/apt/lists") || cleaned(in, aptTools, "dist-clean")
				}) {
					return nil
				}
				if mountedAt(in, "/var/cache/apt") {
					return one(atCommand(p.cmd, "%s install in a RUN that leaves /var/lib/apt/lists in the layer: "+
						"the cache mount on /var/cache/apt does not cover it", p.tool))
				}
				return one(atCommand(p.cmd, "%s install in a RUN that leaves /var/lib/apt/lists in the layer", p.tool))
			case p.is(apkTools, "add"):
				if p.has("--no-cache", "--no-network") || cleansUp(in, "apk", func() bool {
					return removes(in, "/var/cache/apk") || mountedAt(in, "/var/cache/apk") || mountedAt(in, "/etc/apk/cache")
				}) {
					return nil
				}
				return one(atCommand(p.cmd, "apk add without --no-cache leaves its index in /var/cache/apk"))
			case p.is(rpmTools, "install", "in", "localinstall", "groupinstall", "reinstall"):
				if cleansUp(in, "rpm", func() bool {
					for _, d := range []string{"/var/cache/yum", "/var/cache/dnf", "/var/cache/libdnf5", "/var/cache/tdnf"} {
						if removes(in, d) || mountedAt(in, d) {
							return true
						}
					}
					return cleaned(in, rpmTools, "clean", "all")
				}) {
					return nil
				}
				return one(atCommand(p.cmd, "%s %s in a RUN without %s clean all", p.tool, p.sub, p.tool))
			case p.is(zypTools, "install", "in"):
				if cleansUp(in, "zypper", func() bool {
					return removes(in, "/var/cache/zypp") || mountedAt(in, "/var/cache/zypp") ||
						cleaned(in, zypTools, "clean") || cleaned(in, zypTools, "cc")
				}) {
					return nil
				}
				return one(atCommand(p.cmd, "zypper %s in a RUN without zypper clean", p.sub))
			}
			return nil
		})
	},
}

// cleaned tells whether the instruction runs one of the tools with the subcommand and,
// when given, the operand: dnf clean all, zypper clean, apt-get dist-clean.
func cleaned(in *dockerfile.Instruction, tools []string, sub string, operand ...string) bool {
	for _, c := range pkgCalls(in) {
		if !c.is(tools, sub) {
			continue
		}
		if len(operand) == 0 {
			return true
		}
		for _, op := range c.operands {
			if op == operand[0] {
				return true
			}
		}
	}
	return false
}
