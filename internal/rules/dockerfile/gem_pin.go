package dockerfile

import (
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// GemPin is DF-0011.
var GemPin = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0011",
		Slug:      "gem-pin",
		Title:     "Ruby gems must be installed at a pinned version",
		Severity:  rule.Medium,
		Practices: []string{"B4"},
		Rationale: "gem install NAME installs the newest release on RubyGems.org at build time. Anyone can " +
			"publish there, with no distribution's review in between, so a floating gem is how a hijacked " +
			"maintainer account or a malicious release reaches the image; it also makes two builds of the same " +
			"Dockerfile differ.",
		Remediation: "Give the version: gem install bundler -v 2.5.22 (or --version '~> 2.5'), or " +
			"gem install bundler:2.5.22. For an application, install from a Gemfile.lock with bundle install. " +
			"Local .gem files and gems given as variables are not reported.",
		References: []string{
			"https://guides.rubygems.org/command-reference/#gem-install",
			"hadolint DL3028: Pin versions in gem install",
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		return eachPkgCall(f, func(p *pkgCall) []rule.Finding {
			if !p.is([]string{"gem"}, "install", "i") || p.has("-v", "--version") {
				return nil
			}
			var loose []string
			for _, op := range p.operands {
				if isVariable(op) || isPath(op, ".gem") || strings.Contains(op, ":") || op == "" {
					continue // a variable, a file, or NAME:VERSION
				}
				loose = append(loose, op)
			}
			if len(loose) == 0 {
				return nil
			}
			return one(atCommand(p.cmd, "%s", unpinnedMessage(p, loose, "add -v VERSION or write NAME:VERSION")))
		})
	},
}
