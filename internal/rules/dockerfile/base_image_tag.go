package dockerfile

import (
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// BaseImageTag is DF-0005.
var BaseImageTag = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0005",
		Slug:      "base-image-tag",
		Title:     "Base images must be pinned to a version tag or digest, never latest",
		Severity:  rule.Medium,
		Practices: []string{"B5"},
		Rationale: "An untagged FROM means :latest, and :latest moves: the same Dockerfile builds a different " +
			"image from one day to the next, a rebuild can pull in a new major version or a compromised " +
			"release, and nobody can say which base a running image was built on.",
		Remediation: "Name a specific version tag (debian:12.7-slim), or better a digest " +
			"(debian:12.7-slim@sha256:...), and update it deliberately, for example with Dependabot or Renovate.",
		References: []string{
			"https://docs.docker.com/build/building/best-practices/#pin-base-image-versions",
			"hadolint DL3006: Always tag the version of an image explicitly",
			"hadolint DL3007: Using latest is prone to errors",
			"trivy-checks DS-0001 (DS001): ':latest' tag used",
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		var out []rule.Finding
		for _, s := range f.Stages {
			if s.BaseStage != nil || len(s.UnsetArgs) > 0 || strings.EqualFold(s.Base, "scratch") || s.Base == "" {
				continue // a stage, an image named at build time, or no image at all
			}
			from := s.Instructions[0]
			name, tag, digest := splitRef(s.Base)
			switch {
			case digest != "":
			case tag == "":
				out = append(out, atInstruction(from, "base image %q has no tag, so it means %s:latest", s.Base, name))
			case tag == "latest":
				out = append(out, atInstruction(from, "base image %q uses the latest tag", s.Base))
			}
		}
		return out
	},
}

// splitRef splits an image reference into name, tag and digest ("" when absent).
func splitRef(ref string) (name, tag, digest string) {
	name, digest, _ = strings.Cut(ref, "@")
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		name, tag = name[:i], name[i+1:]
	}
	return name, tag, digest
}
