package dockerfile

import (
	"regexp"
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// GoInstallPin is DF-0014.
var GoInstallPin = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0014",
		Slug:      "go-install-pin",
		Title:     "Go tools must be installed at a pinned module version",
		Severity:  rule.Medium,
		Practices: []string{"B4"},
		Rationale: "go install PATH@latest (and go get PATH, which means @upgrade) fetches whatever the module's " +
			"newest release, or the head of a branch, is at build time: two builds of the same Dockerfile " +
			"differ, and a compromised or broken release of the tool, or of one of its dependencies, lands in " +
			"the image unreviewed.",
		Remediation: "Name a full module version: go install golang.org/x/tools/gopls@v0.16.2 (a pseudo-version or " +
			"a commit hash also pins). @latest, @upgrade, @patch, branch names and version prefixes such as " +
			"@v1 or @v1.2 resolve to whatever is newest. go install PATH without a version builds the version " +
			"the main module's go.mod requires, which is pinned, and is not reported; neither are local " +
			"packages (./cmd/app) and paths given as variables.",
		References: []string{
			"https://go.dev/ref/mod#go-install",
			"https://go.dev/ref/mod#version-queries",
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		return eachPkgCall(f, func(p *pkgCall) []rule.Finding {
			if !p.is([]string{"go"}, "install", "get") {
				return nil
			}
			var loose []string
			for _, op := range p.operands {
				if isVariable(op) || isPath(op) || op == "" {
					continue
				}
				path, version, hasVersion := strings.Cut(op, "@")
				switch {
				case !hasVersion && (p.sub == "install" || !isRemoteGoPath(path)):
					continue // go.mod decides, or a package of the main module or std
				case hasVersion && (version == "none" || goVersionPinned(version)):
					continue
				}
				loose = append(loose, op)
			}
			if len(loose) == 0 {
				return nil
			}
			return one(atCommand(p.cmd, "%s", unpinnedMessage(p, loose, "write PATH@vX.Y.Z")))
		})
	},
}

// goPinnedVersion matches a full semantic version (v1.2.3, v1.2.3-rc.1,
// v0.0.0-20240101000000-abcdef123456, v2.0.0+incompatible) or a commit hash.
var goPinnedVersion = regexp.MustCompile(`^(v[0-9]+\.[0-9]+\.[0-9]+([-+].*)?|[0-9a-f]{7,40})$`)

func goVersionPinned(v string) bool { return goPinnedVersion.MatchString(v) }

// isRemoteGoPath tells whether an import path names a module to download: its first
// element has a dot (golang.org/x/tools/...), unlike the standard library's paths.
func isRemoteGoPath(p string) bool {
	first, _, _ := strings.Cut(p, "/")
	return strings.Contains(first, ".")
}
