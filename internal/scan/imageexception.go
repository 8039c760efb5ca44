package scan

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	imrules "github.com/kharden/kharden/internal/rules/image"
	"github.com/kharden/kharden/internal/source/image"
)

// imageException is one of the config's images.exceptions, checked.
type imageException struct {
	key      string // images.exceptions[i], as the user reads it
	line     int
	patterns []string // normalised
	rules    map[string]bool
	reason   string
	expires  time.Time
	expired  bool
	used     atomic.Bool
}

// newImageExceptions checks the config's image exceptions, reporting every problem at
// its line: patterns that are globs, image rules that exist, a reason, an expiry that
// is a date. now decides which have expired: an exception holds through its last day.
func newImageExceptions(cfg *config.Config, now time.Time) ([]*imageException, error) {
	var out []*imageException
	var errs []error
	for i, c := range cfg.Images.Exceptions {
		x := &imageException{key: fmt.Sprintf("images.exceptions[%d]", i), rules: map[string]bool{}, reason: strings.TrimSpace(c.Reason)}
		bad := func(format string, a ...any) {
			errs = append(errs, cfg.Errorf(config.ImageExceptionKey(i), "%s: %s", x.key, fmt.Sprintf(format, a...)))
		}
		if len(c.Images) == 0 {
			bad(`images: name at least one image repository ("ghcr.io/vendor/agent", "ghcr.io/vendor/**")`)
		}
		for _, p := range c.Images {
			p = strings.TrimSpace(p)
			if _, err := path.Match(strings.TrimSuffix(p, "/**"), ""); err != nil || p == "" || strings.ContainsAny(p, "@") || strings.Contains(strings.TrimSuffix(p, "/**"), "**") {
				bad("%q is not a repository pattern (registry/repository, * within a segment, a trailing /** for every repository below; no tag or digest)", p)
				continue
			}
			x.patterns = append(x.patterns, normaliseRepo(p))
		}
		if len(c.Rules) == 0 {
			bad("rules: name at least one image rule (slug or ID)")
		}
		for _, n := range c.Rules {
			r := lookupImage(strings.TrimSpace(n))
			if r == nil {
				bad("%q is not an image rule (see `kharden rules`)", n)
				continue
			}
			x.rules[r.ID] = true
		}
		if x.reason == "" {
			bad("reason is required")
		}
		if e := strings.TrimSpace(c.Expires); e != "" {
			t, err := time.Parse(time.DateOnly, e)
			if err != nil {
				bad("expires %q is not a date (YYYY-MM-DD)", e)
			}
			x.expires = t
			x.expired = !now.Before(t.AddDate(0, 0, 1))
		}
		x.line = cfg.Line(config.ImageExceptionKey(i))
		out = append(out, x)
	}
	return out, errors.Join(errs...)
}

func lookupImage(n string) *imrules.Rule {
	for _, r := range imrules.All() {
		if r.ID == n || r.Slug == n {
			return r
		}
	}
	return nil
}

// normaliseRepo writes a repository (or a pattern over repositories) as image
// references are resolved: Docker Hub's short names in full. A reference to an image
// in a file (oci:DIR) is left as it is.
func normaliseRepo(p string) string {
	if image.IsLocal(p) {
		return p
	}
	first, rest, ok := strings.Cut(p, "/")
	switch {
	case !ok:
		return "index.docker.io/library/" + p
	case first == "docker.io" || first == "index.docker.io":
		if !strings.Contains(rest, "/") {
			rest = "library/" + rest
		}
		return "index.docker.io/" + rest
	case !strings.ContainsAny(first, ".:") && first != "localhost":
		return "index.docker.io/" + p
	}
	return p
}

// repoOf is the repository that exceptions are matched against: a registry
// reference's repository, normalised; an image in a file by its reference as given.
func repoOf(ref string) string {
	if image.IsLocal(ref) {
		return ref
	}
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return ref
	}
	return r.Context().Name()
}

// matchRepo reports whether pattern p covers repository repo.
func matchRepo(p, repo string) bool {
	if base, ok := strings.CutSuffix(p, "/**"); ok {
		if ok, _ := path.Match(base, repo); ok {
			return true
		}
		for i := len(repo) - 1; i > 0; i-- {
			if repo[i] == '/' {
				if ok, _ := path.Match(base, repo[:i]); ok {
					return true
				}
			}
		}
		return false
	}
	ok, _ := path.Match(p, repo)
	return ok
}

// except sets the Suppressed reason of the results an exception covers on the image
// ref names, and notes an expired one in the message.
func except(xs []*imageException, ref string, results []rule.Result) {
	if len(xs) == 0 {
		return
	}
	repo := repoOf(ref)
	for i := range results {
		res := &results[i]
		for _, x := range xs {
			if !x.rules[res.Meta.ID] || !x.covers(repo) {
				continue
			}
			if x.expired {
				res.Message += fmt.Sprintf(" (exception %s expired on %s)", x.key, x.expires.Format(time.DateOnly))
				continue
			}
			x.used.Store(true)
			res.Suppressed = x.key + ": " + x.reason
			break
		}
	}
}

func (x *imageException) covers(repo string) bool {
	for _, p := range x.patterns {
		if matchRepo(p, repo) {
			return true
		}
	}
	return false
}

// unusedImageExceptions are notes on the exceptions that accepted no finding.
func unusedImageExceptions(xs []*imageException, file string) []report.Problem {
	var out []report.Problem
	for _, x := range xs {
		if !x.used.Load() && !x.expired {
			out = append(out, report.Problem{File: file, Line: x.line, Message: x.key + " accepts no finding of the images scanned"})
		}
	}
	return out
}
