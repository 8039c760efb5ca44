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

// MaxIgnoreSize bounds the bytes read from a .dockerignore: 1 MiB, a hundred times the
// largest real ones (hundreds of lines), so that a link to /dev/zero or a huge file is
// an error rather than a read without end.
const MaxIgnoreSize = 1 << 20

// maxIgnorePatterns bounds the patterns of a .dockerignore: each compiles to a regular
// expression that Excludes tries on every path a rule asks about.
const maxIgnorePatterns = 10_000

// ReadIgnore reads the ignore file BuildKit would use for a Dockerfile and context:
// <Dockerfile>.dockerignore next to the Dockerfile when it exists, otherwise
// <context>/.dockerignore. It returns nil, nil when there is neither. Only a regular
// file of at most MaxIgnoreSize bytes is read, and a link is followed only when its
// target stays in the directory the file belongs to (the Dockerfile's, or the build
// context); anything else is an error naming the file.
func ReadIgnore(dockerfilePath, contextDir string) (*Ignore, error) {
	for _, c := range []struct{ path, root, rootName string }{
		{dockerfilePath + ".dockerignore", filepath.Dir(dockerfilePath), "the Dockerfile's directory"},
		{filepath.Join(contextDir, ".dockerignore"), contextDir, "the build context"},
	} {
		fi, err := os.Lstat(c.path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		p := c.path
		if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			p, err = resolveInside(c.path, c.root, c.rootName)
		}
		var data []byte
		if err == nil {
			data, err = readRegular(p, MaxIgnoreSize)
		}
		if err != nil {
			return nil, &manifest.Error{File: c.path, Msg: cleanErr(err).Error()}
		}
		return ParseIgnore(c.path, data)
	}
	return nil, nil
}

// resolveInside returns the target of the link p when it lies inside root.
func resolveInside(p, root, rootName string) (string, error) {
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", err
	}
	r, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", err
	}
	if rel, err := filepath.Rel(r, target); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("a link to %s, outside %s: not followed", target, rootName)
	}
	return target, nil
}

// ParseIgnore parses the content of a .dockerignore file. A pattern BuildKit would
// reject is a *manifest.Error at its line.
func ParseIgnore(name string, data []byte) (*Ignore, error) {
	patterns, err := ignorefile.ReadAll(bytes.NewReader(data))
	if err != nil {
		return nil, &manifest.Error{File: name, Msg: err.Error()}
	}
	if len(patterns) > maxIgnorePatterns {
		return nil, &manifest.Error{File: name, Msg: fmt.Sprintf("%d patterns, more than the %d pattern limit", len(patterns), maxIgnorePatterns)}
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
