package dockerfile

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// RecursiveCopyUnignored is DF-0029.
var RecursiveCopyUnignored = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0029",
		Slug:      "recursive-copy-unignored",
		Title:     "A copy of the whole build context must not take .git and .env into the image",
		Severity:  rule.High,
		Practices: []string{"B14", "B6"},
		Rationale: "COPY . . with no .dockerignore, or one that does not exclude .git and .env, puts the " +
			"repository's full history (with every secret ever committed) and the local environment file (with " +
			"database passwords and API keys) into a layer of the image. Anyone who can pull the image can read " +
			"them, and deleting them in a later RUN does not remove them from the earlier layer.",
		Remediation: "Add a .dockerignore that excludes .git, .env and other credential files (or --exclude=.git " +
			"--exclude=.env on the COPY), and prefer copying only the paths the application needs.",
		References: []string{
			"https://docs.docker.com/build/concepts/context/#dockerignore-files",
			"https://docs.docker.com/reference/dockerfile/#copy---exclude",
		},
		Standards: rule.Standards{CIS: []string{"4.10"}},
		Since:     "0.1.0",
		Default:   true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		if f.ContextDir == "" {
			return nil
		}
		var out []rule.Finding
		for _, s := range f.RunningStages() {
			for _, in := range s.Instructions {
				src := copiesWholeContext(f, in)
				if src == "" {
					continue
				}
				if f.Ignore == nil && len(notExcluded(f, in, leakProne)) > 0 {
					out = append(out, atInstruction(in, "%s %s copies the whole build context into the running image, "+
						"and there is no .dockerignore to keep .git and .env out", in.Kind, src))
					continue
				}
				if missing := notExcluded(f, in, leakProne); len(missing) > 0 {
					out = append(out, atInstruction(in, "%s %s copies the whole build context into the running image, "+
						"and nothing excludes %s", in.Kind, src, joinAnd(missing)))
				}
			}
		}
		return out
	},
}
