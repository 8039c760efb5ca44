package dockerfile

import (
	"path/filepath"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// DockerignoreIncomplete is DF-0025.
var DockerignoreIncomplete = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0025",
		Slug:      "dockerignore-incomplete",
		Title:     "The .dockerignore must exclude .git, .env and private keys when the whole context is copied",
		Severity:  rule.Medium,
		Practices: []string{"B10"},
		Rationale: "A COPY of the whole build context (COPY . .) takes every file the .dockerignore lets through. " +
			"The .git directory holds the full history, including secrets that were committed and later deleted; " +
			".env files and private keys (*.pem, *.key, id_rsa) are credentials. Once copied, they stay in a layer " +
			"even if a later step deletes them. The rule judges the .dockerignore only when some stage copies the " +
			"whole context (COPY . ., ADD ./ /app, COPY * /src/): a Dockerfile that copies named files cannot take " +
			"what the .dockerignore misses. It probes .git, .env, key.pem, server.key and id_rsa at the context root.",
		Remediation: "Add .git, .env, *.pem, *.key and id_rsa (and any other credential files of the project) to " +
			"the .dockerignore, or turn it into an allowlist: a first line * followed by ! lines for what the " +
			"build needs.",
		References: []string{
			"https://docs.docker.com/build/concepts/context/#dockerignore-files",
		},
		Standards: rule.Standards{CIS: []string{"4.10"}},
		Since:     "0.1.0",
		Default:   true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		// Only a context with a .dockerignore (dockerignore-missing covers the others),
		// and only when some stage copies the whole context: a Dockerfile that copies
		// named files cannot take what the .dockerignore misses.
		if f.ContextDir == "" || f.Ignore == nil {
			return nil
		}
		for _, s := range f.Stages {
			for _, in := range s.Instructions {
				src := copiesWholeContext(f, in)
				if src == "" {
					continue
				}
				missing := notExcluded(f, in, contextSecrets)
				if len(missing) == 0 {
					continue
				}
				return one(atInstruction(in, "%s %s copies the whole context, and %s does not exclude %s",
					in.Kind, src, filepath.Base(f.Ignore.Path), joinAnd(missing)))
			}
		}
		return nil
	},
}
