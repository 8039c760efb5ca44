package scan

import (
	"path"
	"strings"
)

// RepoPattern is a checked pattern over image repositories, written as
// images.exceptions and admission.imagePolicies write them: registry/repository, *
// within a path segment, a trailing /** for every repository below; Docker Hub's short
// names in full.
type RepoPattern string

// ParseRepoPattern checks and normalises a repository pattern; ok is false for one that
// is not a glob or names a tag or digest.
func ParseRepoPattern(p string) (pat RepoPattern, ok bool) {
	p = strings.TrimSpace(p)
	base := strings.TrimSuffix(p, "/**")
	if _, err := path.Match(base, ""); err != nil || p == "" || strings.ContainsAny(p, "@") || strings.Contains(base, "**") {
		return "", false
	}
	// A colon after the registry is a tag.
	if i := strings.IndexByte(base, '/'); i < 0 && strings.Contains(base, ":") || i >= 0 && strings.Contains(base[i+1:], ":") {
		return "", false
	}
	return RepoPattern(normaliseRepo(p)), true
}

// Matches tells whether the pattern covers an image reference's repository.
func (p RepoPattern) Matches(ref string) bool { return matchRepo(string(p), repoOf(ref)) }
