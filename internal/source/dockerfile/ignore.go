package dockerfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/kharden/kharden/internal/source/manifest"
)

// Ignore is a build context's .dockerignore: the paths `docker build` leaves out of the
// context it sends, read and matched with the same code BuildKit uses.
type Ignore struct {
	// Path is the file the patterns were read from.
	Path string
	// Patterns are the patterns in file order, cleaned as BuildKit cleans them
	// (comments and blank lines dropped); exceptions keep their leading "!".
	Patterns []string

	pm *patternmatcher.PatternMatcher
}

// Excludes tells whether the path (relative to the context root, with / or the
// system's separator) is left out of the build context, by a pattern matching it or one
// of its parent directories and no later exception.
func (ig *Ignore) Excludes(p string) bool {
	if ig == nil || ig.pm == nil {
		return false
	}
	p = path.Clean("/" + filepath.ToSlash(p))[1:]
	if p == "" {
		return false
	}
	ok, err := ig.pm.MatchesOrParentMatches(p)
	return err == nil && ok
}

// ReadIgnore reads the ignore file BuildKit would use for a Dockerfile and context:
// <Dockerfile>.dockerignore next to the Dockerfile when it exists, otherwise
// <context>/.dockerignore. It returns nil, nil when there is neither.
func ReadIgnore(dockerfilePath, contextDir string) (*Ignore, error) {
	for _, p := range []string{dockerfilePath + ".dockerignore", filepath.Join(contextDir, ".dockerignore")} {
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, &manifest.Error{File: p, Msg: cleanErr(err).Error()}
		}
		return ParseIgnore(p, data)
	}
	return nil, nil
}

// ParseIgnore parses the content of a .dockerignore file. A pattern BuildKit would
// reject is a *manifest.Error at its line.
func ParseIgnore(name string, data []byte) (*Ignore, error) {
	patterns, err := ignorefile.ReadAll(bytes.NewReader(data))
	if err != nil {
		return nil, &manifest.Error{File: name, Msg: err.Error()}
	}
	ig := &Ignore{Path: name, Patterns: patterns}
	if ig.pm, err = patternmatcher.New(patterns); err != nil {
		e := &manifest.Error{File: name, Msg: err.Error()}
		// Point at the first pattern that does not compile on its own.
		for _, p := range patterns {
			if _, perr := patternmatcher.New([]string{p}); perr != nil {
				e.Line = lineOfPattern(data, p)
				e.Msg = fmt.Sprintf("pattern %q: %v", p, perr)
				break
			}
		}
		return nil, e
	}
	return ig, nil
}

func lineOfPattern(data []byte, p string) int {
	p = strings.TrimPrefix(p, "!")
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, p) {
			return i + 1
		}
	}
	return 0
}
