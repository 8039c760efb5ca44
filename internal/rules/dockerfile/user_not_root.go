package dockerfile

import (
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// UserNotRoot is DF-0017.
var UserNotRoot = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0017",
		Slug:      "user-not-root",
		Title:     "The image must run as a non-root USER",
		Severity:  rule.High,
		Practices: []string{"B17"},
		Rationale: "Without a USER the container's process runs as root (UID 0). Root in a container is the " +
			"host's root as far as the kernel is concerned: a container escape, a writable host mount or an " +
			"added capability then hands the attacker the node.",
		Remediation: "Create an unprivileged user in the image and end the final stage with USER and that name " +
			"or, better, its numeric UID (USER 10001), so Kubernetes runAsNonRoot can verify it. If the base " +
			"image already sets a non-root user, suppress this finding with that reason.",
		References: []string{
			"https://docs.docker.com/build/building/best-practices/#user",
			"hadolint DL3002: Last USER should not be root",
			"trivy-checks DS-0002 (DS002): Image user should not be 'root'",
		},
		Standards: rule.Standards{CIS: []string{"4.1"}},
		Since:     "0.1.0",
		Default:   true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		var last *dockerfile.Instruction
		for _, s := range f.RunningStages() {
			for in := range s.Kind("USER") {
				last = in
			}
		}
		if last == nil {
			return one(atInstruction(f.Final.Instructions[0], "the final stage %s sets no USER, so the image runs as root",
				f.Final.DisplayName()))
		}
		u, ok := last.Command.(*instructions.UserCommand)
		if !ok || !isRoot(f.Unquote(u.User)) {
			return nil
		}
		return one(atInstruction(last, "the image runs as %q, which is root", f.Unquote(u.User)))
	},
}

// isRoot tells whether a USER value names root: by name or UID 0 (with any group), or
// Windows' ContainerAdministrator.
func isRoot(user string) bool {
	name, _, _ := strings.Cut(strings.TrimSpace(user), ":")
	return name == "root" || name == "0" || strings.EqualFold(name, "ContainerAdministrator")
}
