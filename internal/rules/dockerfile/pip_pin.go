package dockerfile

import (
	"regexp"
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// PipPin is DF-0009.
var PipPin = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0009",
		Slug:      "pip-pin",
		Title:     "Python packages installed with pip must be pinned to a version",
		Severity:  rule.Medium,
		Practices: []string{"B4"},
		Rationale: "pip install NAME installs the newest release on PyPI at build time. Anyone can publish to " +
			"PyPI, with no distribution's review in between, so a floating requirement is how a hijacked " +
			"maintainer account or a malicious release reaches the image; it also makes two builds of the same " +
			"Dockerfile differ.",
		Remediation: "Pin each requirement: pip install requests==2.32.3, or at least bound it above " +
			"(requests~=2.32, 'requests<3'); a lower bound alone (requests>=2.0) lets any newer release in. " +
			"Better, install from a requirements or constraints file with pinned versions and hashes " +
			"(pip install --require-hashes -r requirements.txt). --upgrade pip is an unpinned install of pip. " +
			"Requirements files (-r), constraints (-c, PIP_CONSTRAINT), local paths, wheels, archives, URLs " +
			"and packages given as variables are not reported.",
		References: []string{
			"https://pip.pypa.io/en/stable/topics/repeatable-installs/",
			"https://packaging.python.org/en/latest/specifications/dependency-specifiers/",
			"hadolint DL3013: Pin versions in pip",
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		memo := newConfigMemo()
		return eachPkgCall(f, func(p *pkgCall) []rule.Finding {
			if p.tool != "pip" || p.sub != "install" || p.has("-c", "--constraint") || pipConstrained(p, memo) {
				return nil
			}
			var loose []string
			ops := p.operands
			for i := 0; i < len(ops); i++ {
				op := ops[i]
				if i+1 < len(ops) && ops[i+1] == "@" {
					i += 2 // NAME @ URL: a direct reference
					continue
				}
				if isVariable(op) || isPath(op, ".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2") ||
					strings.Contains(op, "/") || strings.Contains(op, "@") || op == "" {
					continue // a variable, a file, a directory, a URL or NAME@URL
				}
				spec, _, _ := strings.Cut(op, ";") // drop the environment marker
				if i := strings.IndexAny(spec, "=<>!~"); i > 0 && boundedAbove(spec[i:]) {
					continue
				}
				loose = append(loose, strings.TrimSpace(spec))
			}
			if len(loose) == 0 {
				return nil
			}
			return one(atCommand(p.cmd, "%s", unpinnedMessage(p, loose, "write NAME==VERSION")))
		})
	},
}

// pipConstraint matches a setting of pip's constraints file in the environment.
var pipConstraint = regexp.MustCompile(`\bPIP_CONSTRAINT\b`)

// pipConstrained tells whether pip runs with PIP_CONSTRAINT set: on the command line
// (PIP_CONSTRAINT=c.txt pip install, env PIP_CONSTRAINT=... pip install) or by an ENV or
// ARG earlier in the stage.
func pipConstrained(p *pkgCall, memo *configMemo) bool {
	for _, e := range p.cmd.Env {
		if strings.HasPrefix(e, "PIP_CONSTRAINT=") {
			return true
		}
	}
	for _, a := range p.cmd.Args {
		if strings.HasPrefix(a, "PIP_CONSTRAINT=") {
			return true
		}
	}
	return memo.configuredBefore(p.cmd.Instruction, pipConstraint, "ENV", "ARG")
}
