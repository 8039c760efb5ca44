package dockerfile

import (
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// NpmPin is DF-0010.
var NpmPin = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0010",
		Slug:      "npm-pin",
		Title:     "npm packages installed by name must be pinned to a version",
		Severity:  rule.Medium,
		Practices: []string{"B4"},
		Rationale: "npm install NAME (and npm install -g NAME) installs the release the latest tag points at when " +
			"the layer is built. Anyone can publish to the npm registry, with no distribution's review in " +
			"between, so a floating name is how a hijacked maintainer account or a malicious release reaches " +
			"the image; it also makes two builds of the same Dockerfile differ.",
		Remediation: "Name the version: npm install -g typescript@5.6.3. A range bounded above (@^5.6, @~5.6.3, " +
			"@5.x) counts as pinned; a missing version, a dist-tag (@latest, @next), * or a lower bound alone " +
			"(@>=5) does not. For an application's dependencies, copy package.json and package-lock.json and " +
			"run npm ci: installing from the lockfile is not reported. Local paths, tarballs, git and GitHub " +
			"references and packages given as variables are not reported either.",
		References: []string{
			"https://docs.npmjs.com/cli/commands/npm-install",
			"https://docs.npmjs.com/cli/commands/npm-ci",
			"hadolint DL3016: Pin versions in npm",
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		return eachPkgCall(f, func(p *pkgCall) []rule.Finding {
			if !p.is([]string{"npm"}, npmInstall...) {
				return nil
			}
			var loose []string
			for _, op := range p.operands {
				if isVariable(op) || op == "" || npmNotRegistry(op) {
					continue
				}
				if !npmPinned(op) {
					loose = append(loose, op)
				}
			}
			if len(loose) == 0 {
				return nil
			}
			return one(atCommand(p.cmd, "%s", unpinnedMessage(p, loose, "write NAME@VERSION")))
		})
	},
}

// npmInstall are npm install and its aliases (npm's own list, typos included).
var npmInstall = []string{"install", "i", "add", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal", "isntall"}

// npmNotRegistry tells whether an npm install operand names something other than a
// registry package: a path, a tarball, a URL, a git or GitHub reference (user/repo).
func npmNotRegistry(op string) bool {
	if isPath(op, ".tgz", ".tar.gz", ".tar") {
		return true
	}
	for _, p := range []string{"git+", "git:", "github:", "gitlab:", "bitbucket:", "gist:", "file:", "http:", "https:"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return !strings.HasPrefix(op, "@") && strings.Contains(op, "/")
}

// npmPinned tells whether a registry spec (NAME, NAME@VERSION, @SCOPE/NAME@RANGE,
// ALIAS@npm:NAME@VERSION) names a version or a range bounded above.
func npmPinned(op string) bool {
	name := op
	if strings.HasPrefix(op, "@") {
		name = op[1:]
	}
	i := strings.IndexByte(name, '@')
	if i < 0 {
		return false
	}
	v := strings.TrimSpace(name[i+1:])
	if rest, ok := strings.CutPrefix(v, "npm:"); ok {
		return npmPinned(rest)
	}
	if v == "" || v == "*" || v == "x" || v == "X" {
		return false
	}
	switch c := v[0]; {
	case c >= '0' && c <= '9', c == '^', c == '~', c == '=', c == '<':
		return true
	case c == 'v' && len(v) > 1 && v[1] >= '0' && v[1] <= '9':
		return true
	case c == '>':
		return strings.Contains(v, "<")
	}
	return false // a dist-tag: latest, next, beta...
}
