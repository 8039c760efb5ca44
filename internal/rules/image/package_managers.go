package image

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/image"
)

// packageManagers are the OS and language package managers looked for, by command name.
var packageManagers = []string{"apt-get", "apt", "aptitude", "dpkg", "apk", "yum", "dnf", "microdnf", "tdnf", "rpm",
	"zypper", "pip", "pip3", "npm", "yarn", "pnpm", "gem"}

// PackageManagers is IM-0008.
var PackageManagers = &Rule{
	Meta: rule.Meta{
		ID:        "IM-0008",
		Slug:      "image-package-managers",
		Title:     "A hardened runtime image should not ship package managers",
		Severity:  rule.Info,
		Practices: []string{"B7"},
		Rationale: "A package manager in a running container lets whoever gets code execution in it install whatever " +
			"they need from the distribution's archive, with the distribution's signatures vouching for it. Minimal " +
			"and distroless images leave apt, dpkg, apk, rpm, pip and npm out. But every Debian, Ubuntu, Alpine and " +
			"Red Hat base image has its package manager, removing it by hand breaks the package database that " +
			"scanners read, and the fix is a change of base image rather than of a line: so the rule is informational " +
			"and off by default. Turn it on (rules.enable: [image-package-managers]) for images meant to be minimal.",
		Remediation: "Build the final stage FROM a distroless or scratch image (gcr.io/distroless/static, " +
			"cgr.dev/chainguard/static) and COPY --from the builder only what the application needs; or accept the " +
			"finding for images that must stay debuggable.",
		References: []string{
			"https://github.com/GoogleContainerTools/distroless",
			"CIS Docker Benchmark 4.3: Ensure that unnecessary packages are not installed in the container",
		},
		Standards: rule.Standards{CIS: []string{"4.3"}},
		Since:     "0.2.0",
		Default:   false,
	},
	Check: func(im *image.Image) []Finding {
		return byProgram(im, packageManagers, "the package manager")
	},
}
