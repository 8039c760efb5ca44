package dockerfile

import (
	"slices"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// ConsecutiveRuns is DF-0026.
var ConsecutiveRuns = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0026",
		Slug:      "consecutive-runs",
		Title:     "Consecutive RUN instructions should be one layer",
		Severity:  rule.Info,
		Practices: []string{"B11"},
		Rationale: "Each RUN makes a layer. Files a RUN creates and a later RUN deletes still ship in the earlier " +
			"layer, and many small layers make the image bigger and slower to pull. The rule reports two adjacent " +
			"RUNs (with the same mounts and shell) when joining them is clearly better: the second only cleans up " +
			"or uninstalls, both do nothing but install packages with the same package manager, or both are one- or two-command " +
			"steps. A large build step followed by a separate smoke test or setup step is left alone: keeping " +
			"those apart is a reasonable choice for the build cache.",
		Remediation: "Join the commands into one RUN with && (or a heredoc), and clean up caches and temporary " +
			"files in the same RUN that created them. Keep them apart only on purpose, for example to cache a slow " +
			"step separately from one that changes often.",
		References: []string{
			"https://docs.docker.com/build/building/best-practices/#run",
			"hadolint DL3059: Multiple consecutive RUN instructions",
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		var out []rule.Finding
		for _, s := range f.Stages {
			var prev *dockerfile.Instruction
			for _, in := range s.Instructions {
				if in.Kind != "RUN" {
					prev = nil
					continue
				}
				if prev != nil && mergeableRuns(prev, in) {
					if why := whyJoin(prev, in); why != "" {
						out = append(out, atInstruction(in, "RUN follows the RUN on line %d with nothing between them "+
							"and %s: join them into one layer", prev.Line, why))
					}
				}
				prev = in
			}
		}
		return out
	},
}

// mergeableRuns tells whether two adjacent RUNs could be one: both shell form, with the
// same flags (mounts, network, security) and the same shell.
func mergeableRuns(a, b *dockerfile.Instruction) bool {
	return !a.JSON && !b.JSON && slices.Equal(a.Flags, b.Flags) && slices.Equal(a.Shell, b.Shell)
}

// whyJoin tells why two adjacent RUNs are better joined, or "" when keeping them apart
// is a reasonable choice.
func whyJoin(a, b *dockerfile.Instruction) string {
	switch {
	case cleansUp(b):
		return "the second only cleans up after earlier layers"
	case packagesOnly(a) != "" && packagesOnly(a) == packagesOnly(b):
		return "both only install packages"
	case len(steps(a)) <= 2 && len(steps(b)) <= 2:
		return "both are short"
	}
	return ""
}

// steps are the commands of a RUN that do something: not `set -eux`, not inside a
// substitution.
func steps(in *dockerfile.Instruction) []*dockerfile.Command {
	var out []*dockerfile.Command
	for _, c := range in.Commands {
		if c.Subst || c.Is("set", "true", ":") {
			continue
		}
		out = append(out, c)
	}
	return out
}

// cleansUp tells whether a RUN only deletes files or packages (rm, a package manager's
// remove, purge, autoremove or clean, a cache purge): it cleans up after earlier layers,
// whose files it cannot shrink.
func cleansUp(in *dockerfile.Instruction) bool {
	st := steps(in)
	for _, c := range st {
		if !cleanup(c) {
			return false
		}
	}
	return len(st) > 0
}

func cleanup(c *dockerfile.Command) bool {
	t := toolOf(c)
	if t.is("rm", "rmdir") {
		return true
	}
	p, ok := asPkgCall(c)
	if !ok {
		ops := (&dockerfile.Command{Args: t.args}).Operands()
		return t.is("yarn", "pnpm") && len(ops) > 0 && ops[0] == "cache"
	}
	if ch, ok := pkgChangeOf(p, nil); ok && ch.remove {
		return true
	}
	switch p.family {
	case "apt", "rpm", "zypper":
		return p.sub == "clean" || p.sub == "dist-clean"
	case "apk":
		return p.sub == "cache" && len(p.operands) > 0 && p.operands[0] == "clean"
	case "pip", "npm":
		return p.sub == "cache"
	}
	return false
}

// packagesOnly returns the package-manager family ("apt", "apk", "rpm", "zypper") of a
// RUN that does nothing but install packages with its front end (and update its index,
// clean its cache), or "". dpkg and rpm themselves unpack local files and query the
// database: a RUN that runs them does more.
func packagesOnly(in *dockerfile.Instruction) string {
	family, installs := "", false
	for _, c := range steps(in) {
		if c.Is("rm") {
			continue // rm -rf /var/lib/apt/lists/*
		}
		p, ok := asPkgCall(c)
		if !ok || !osFamilies[p.family] || p.tool == "dpkg" || p.tool == "rpm" || family != "" && p.family != family {
			return ""
		}
		family = p.family
		if ch, ok := pkgChangeOf(p, nil); ok && ch.install {
			installs = true
		}
	}
	if !installs {
		return ""
	}
	return family
}

// osFamilies are the package-manager families of operating system packages.
var osFamilies = map[string]bool{"apt": true, "apk": true, "rpm": true, "zypper": true}
