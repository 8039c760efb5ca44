package dockerfile

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// RecursiveCopy is DF-0028.
var RecursiveCopy = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0028",
		Slug:      "recursive-copy",
		Title:     "The running image should not copy the whole build context",
		Severity:  rule.Low,
		Practices: []string{"B14"},
		Rationale: "COPY . copies whatever happens to be in the context directory when the image is built: test " +
			"data, local configuration, build output, files a developer dropped there. Even with a .dockerignore " +
			"that keeps out .git and .env, the image's content then depends on the state of a working directory, " +
			"and every file change invalidates the layer cache.",
		Remediation: "Copy only what the application needs (COPY src/ /app/src/, COPY package.json package-lock.json " +
			"./), or make the .dockerignore an allowlist (* followed by ! lines), or build in a builder stage and " +
			"COPY --from it.",
		References: []string{
			"https://docs.docker.com/build/building/best-practices/#add-or-copy",
			"https://docs.docker.com/build/concepts/context/#dockerignore-files",
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		// recursive-copy-unignored reports the copies that let .git or .env through;
		// an allowlist .dockerignore already chooses what the copy takes.
		if f.ContextDir == "" || f.Ignore == nil || allowlistIgnore(f) {
			return nil
		}
		var out []rule.Finding
		for _, s := range f.RunningStages() {
			for _, in := range s.Instructions {
				src := copiesWholeContext(f, in)
				if src == "" || len(notExcluded(f, in, leakProne)) > 0 {
					continue
				}
				out = append(out, atInstruction(in, "%s %s copies the whole build context into the running image",
					in.Kind, src))
			}
		}
		return out
	},
}
