package dockerfile

import (
	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// WorkdirAbsolute is DF-0012.
var WorkdirAbsolute = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0012",
		Slug:      "workdir-absolute",
		Title:     "WORKDIR must be an absolute path",
		Severity:  rule.Low,
		Practices: []string{"B12"},
		Rationale: "A relative WORKDIR is resolved against the previous one, which may come from the base image " +
			"and change when it does: files then land, and the process starts, somewhere nobody reviewed.",
		Remediation: "Write WORKDIR with an absolute path (WORKDIR /app), or start it with a variable that holds " +
			"one (WORKDIR $HOME/app).",
		References: []string{
			"https://docs.docker.com/reference/dockerfile/#workdir",
			"hadolint DL3000: Use absolute WORKDIR",
			"trivy-checks DS-0009 (DS009): WORKDIR path not absolute",
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		return eachInstruction(f, "WORKDIR", func(in *dockerfile.Instruction) []rule.Finding {
			w, ok := in.Command.(*instructions.WorkdirCommand)
			if !ok || isAbsolute(f.Unquote(w.Path)) {
				return nil
			}
			return one(atInstruction(in, "WORKDIR %q is a relative path", f.Unquote(w.Path)))
		})
	},
}

// isAbsolute tells whether a WORKDIR path is absolute on Linux or Windows, or starts
// with a variable kharden cannot resolve.
func isAbsolute(p string) bool {
	switch {
	case p == "":
		return true
	case p[0] == '/' || p[0] == '\\' || p[0] == '$':
		return true
	case len(p) >= 2 && p[1] == ':' && (p[0]|0x20 >= 'a' && p[0]|0x20 <= 'z'):
		return true // C:\app, c:/app
	}
	return false
}
