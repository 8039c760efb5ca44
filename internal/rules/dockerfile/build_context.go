package dockerfile

import (
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/patternmatcher"

	"github.com/kharden/kharden/internal/source/dockerfile"
)

// This file holds what the build context rules (dockerignore-missing,
// dockerignore-incomplete, recursive-copy, recursive-copy-unignored) share: which
// instructions read the context, which copy all of it, and what the .dockerignore and
// the instruction's own --exclude patterns leave out.

// copySources returns the sources, --exclude patterns and --from of a COPY or ADD; ok
// is false for other instructions.
func copySources(f *dockerfile.File, in *dockerfile.Instruction) (srcs, excludes []string, from string, ok bool) {
	switch c := in.Command.(type) {
	case *instructions.CopyCommand:
		srcs, excludes, from = c.SourcePaths, c.ExcludePatterns, c.From
	case *instructions.AddCommand:
		srcs, excludes = c.SourcePaths, c.ExcludePatterns
	default:
		return nil, nil, "", false
	}
	out := make([]string, len(srcs))
	for i, s := range srcs {
		out[i] = f.Unquote(s)
	}
	return out, excludes, from, true
}

// readsContext tells whether an instruction reads files of the build context: a COPY
// or ADD of local sources without --from, or a RUN with a bind mount of the context.
func readsContext(f *dockerfile.File, in *dockerfile.Instruction) bool {
	if in.Kind == "RUN" {
		for _, fl := range in.Flags {
			v, ok := strings.CutPrefix(fl, "--mount=")
			if !ok {
				continue
			}
			bind, fromOther := true, false
			for _, kv := range strings.Split(v, ",") {
				k, val, _ := strings.Cut(kv, "=")
				switch strings.ToLower(k) {
				case "type":
					bind = val == "bind"
				case "from":
					fromOther = true
				}
			}
			if bind && !fromOther {
				return true
			}
		}
		return false
	}
	srcs, _, from, ok := copySources(f, in)
	if !ok || from != "" {
		return false
	}
	for _, s := range srcs {
		if !isRemote(s) {
			return true
		}
	}
	return false
}

// copiesWholeContext returns the source of a COPY or ADD (without --from) that names
// the root of the build context: ".", "./", "*", "./*" or "/"; "" when there is none.
func copiesWholeContext(f *dockerfile.File, in *dockerfile.Instruction) string {
	srcs, _, from, ok := copySources(f, in)
	if !ok || from != "" {
		return ""
	}
	for _, s := range srcs {
		switch strings.TrimRight(strings.ReplaceAll(s, `\`, "/"), " ") {
		case ".", "./", "*", "./*", "/", "/.", "./.":
			return s
		}
	}
	return ""
}

// contextSecret is a kind of file a build context must keep out of the image, and a
// path at the context root that stands for it.
type contextSecret struct {
	name, probe string
}

// leakProne are the files recursive-copy-unignored requires the context to exclude.
var leakProne = []contextSecret{{".git", ".git"}, {".env", ".env"}}

// contextSecrets are the files dockerignore-incomplete requires the .dockerignore to
// exclude: leakProne and private keys.
var contextSecrets = append(append([]contextSecret(nil), leakProne...),
	contextSecret{"*.pem", "key.pem"}, contextSecret{"*.key", "server.key"}, contextSecret{"id_rsa", "id_rsa"})

// notExcluded returns the names of the secrets that neither the .dockerignore nor the
// instruction's --exclude patterns leave out of the copy.
func notExcluded(f *dockerfile.File, in *dockerfile.Instruction, secrets []contextSecret) []string {
	_, excludes, _, _ := copySources(f, in)
	var pm *patternmatcher.PatternMatcher
	if len(excludes) > 0 {
		pm, _ = patternmatcher.New(excludes)
	}
	var out []string
	for _, s := range secrets {
		if f.Ignore.Excludes(s.probe) {
			continue
		}
		if pm != nil {
			if ok, err := pm.MatchesOrParentMatches(s.probe); err == nil && ok {
				continue
			}
		}
		out = append(out, s.name)
	}
	return out
}

// allowlistIgnore tells whether the .dockerignore excludes everything but what it
// lists with "!" exceptions (a first pattern of "*" or "**"), so that COPY . copies
// only chosen paths.
func allowlistIgnore(f *dockerfile.File) bool {
	return f.Ignore != nil && f.Ignore.Excludes("kharden-unlisted-probe/file")
}
