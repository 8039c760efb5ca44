package dockerfile

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// DockerignoreMissing is DF-0024.
var DockerignoreMissing = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0024",
		Slug:      "dockerignore-missing",
		Title:     "A build context the Dockerfile copies from must have a .dockerignore",
		Severity:  rule.Medium,
		Practices: []string{"B10"},
		Rationale: "docker build sends the whole context directory to the builder, and a COPY of a directory takes " +
			"everything in it: the .git history, .env files, private keys, local credentials and build output. " +
			"Without a .dockerignore nothing keeps them out of the builder and, one careless COPY later, out of the " +
			"image. The rule reports a context only when the Dockerfile reads it (a COPY or ADD of local files, a " +
			"RUN bind mount), once, at the first instruction that does; it is silent when the context is unknown " +
			"(a Dockerfile read from standard input).",
		Remediation: "Add a .dockerignore at the context root (or a <Dockerfile>.dockerignore next to the " +
			"Dockerfile) that excludes at least .git, .env and key files; better, start it with * and re-include " +
			"only what the build needs with ! lines.",
		References: []string{
			"https://docs.docker.com/build/concepts/context/#dockerignore-files",
		},
		Standards: rule.Standards{CIS: []string{"4.10"}},
		Since:     "0.1.0",
		Default:   true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		// An unknown context (standard input) cannot be judged; a context with a
		// .dockerignore is the other rules' business.
		if f.ContextDir == "" || f.Ignore != nil {
			return nil
		}
		for _, s := range f.Stages {
			for _, in := range s.Instructions {
				if readsContext(f, in) {
					return one(atInstruction(in, "the build context has no .dockerignore, so %s can take "+
						"every file of it, .git and secrets included", in.Kind))
				}
			}
		}
		return nil
	},
}
