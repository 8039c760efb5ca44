package dockerfile

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// buildToolPackages are compilers and build toolchains, by their package names in the
// Debian, Alpine and RPM families.
var buildToolPackages = map[string]bool{
	"build-essential": true, "build-base": true, "alpine-sdk": true,
	"gcc": true, "g++": true, "gcc-c++": true, "clang": true,
	"make": true, "cmake": true, "ninja-build": true, "autoconf": true, "automake": true, "libtool": true,
	"golang": true, "golang-go": true, "go": true,
	"rustc": true, "cargo": true, "rust": true,
	"maven": true, "gradle": true, "ant": true,
	"openjdk-17-jdk": true, "openjdk-21-jdk": true, "openjdk-11-jdk": true, "openjdk-8-jdk": true,
	"java-17-openjdk-devel": true, "java-21-openjdk-devel": true, "java-11-openjdk-devel": true,
	"openjdk17-jdk": true, "openjdk21-jdk": true, "openjdk11-jdk": true,
}

// BuildToolsInFinalStage is DF-0027.
var BuildToolsInFinalStage = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0027",
		Slug:      "build-tools-in-final-stage",
		Title:     "Compilers and build toolchains belong in a builder stage, not the running image",
		Severity:  rule.Low,
		Practices: []string{"B11"},
		Rationale: "A compiler, make or a language toolchain in the image that runs adds hundreds of megabytes, " +
			"many packages to patch, and lets an attacker in the container build their own tools. A multi-stage " +
			"build compiles in one stage and copies only the result into a small final stage. The rule reports " +
			"toolchains (gcc, g++, make, build-essential, build-base, golang, cargo, maven...) that the package " +
			"managers leave installed in files without a builder stage (every stage is part of the running image); " +
			"toolchains installed and removed in the same RUN (apk --virtual .build-deps, apt-get purge) pass.",
		Remediation: "Split the Dockerfile: build in a stage FROM an SDK image (FROM golang:1.23 AS build), then " +
			"start the final stage FROM a runtime or distroless image and COPY --from=build only the artifacts. If " +
			"one stage must stay, remove the toolchain in the RUN that used it.",
		References: []string{
			"https://docs.docker.com/build/building/multi-stage/",
			"CIS Docker Benchmark 4.3: Ensure that unnecessary packages are not installed in the container",
		},
		Standards: rule.Standards{CIS: []string{"4.3"}},
		Since:     "0.1.0",
		Default:   true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		// Only files without a builder stage: every stage is part of the running image.
		if len(f.RunningStages()) != len(f.Stages) {
			return nil
		}
		var out []rule.Finding
		for _, g := range pkgFindings(f, func(p *installedPkg) bool { return buildToolPackages[p.name] }) {
			out = append(out, atCommand(g.by.cmd, "%q installs %s into the image, which has no separate build stage: "+
				"build in a builder stage and copy the result", g.by.verb(), joinAnd(g.names)))
		}
		return out
	},
}
