package engine

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/manifest"
)

// SuppressPrefix starts the annotation keys that suppress a rule on an object:
//
//	ignore.kharden.io/host-ports: "metrics agent needs the node port; expires=2027-03-31"
//
// The name after the slash is a rule slug or ID; the value is the reason, required,
// optionally followed by "; expires=YYYY-MM-DD".
const SuppressPrefix = "ignore.kharden.io/"

// Suppressions say where an engine's suppressions come from.
type Suppressions struct {
	// NoAnnotations leaves objects' ignore.kharden.io annotations unread: at admission the
	// object's author is the one the rules judge, so what an object says of itself
	// exempts nothing (and a malformed annotation is no error either).
	NoAnnotations bool
	// Exceptions, when set, returns the exceptions that apply to an object, by rule ID:
	// findings accepted by someone other than the object's author (the webhook config's
	// admission.exceptions). An exception is judged before the object's annotations.
	Exceptions func(obj rule.Object) map[string]Exception
}

// Exception accepts a rule's findings on an object.
type Exception struct {
	// Key names the exception in messages ("admission.exceptions[2]").
	Key    string
	Reason string
	// Expires is the exception's last day; zero means never.
	Expires time.Time
}

// WithSuppressions returns a copy of the engine whose suppressions come from s.
func (e *Engine) WithSuppressions(s Suppressions) *Engine {
	c := *e
	c.sup = s
	return &c
}

// exceptions are the engine's exceptions for obj, as suppressions by rule ID.
func (e *Engine) exceptions(obj rule.Object) map[string]*suppression {
	if e.sup.Exceptions == nil {
		return nil
	}
	var out map[string]*suppression
	for id, x := range e.sup.Exceptions(obj) {
		if out == nil {
			out = map[string]*suppression{}
		}
		// A suppression holds through its expiry day.
		out[id] = &suppression{key: x.Key, reason: x.Key + ": " + x.Reason, expires: x.Expires, exception: true,
			expired: !x.Expires.IsZero() && !e.now.Before(x.Expires.AddDate(0, 0, 1))}
	}
	return out
}

type suppression struct {
	key       string
	exception bool // from Suppressions.Exceptions, not an annotation
	reason    string
	expires   time.Time
	expired   bool
	used      bool
	file      string
	line, col int
}

// suppressions parses the object's suppression annotations, keyed by rule ID. An
// annotation naming no known rule, or lacking a reason, is an error at the annotation.
func (e *Engine) suppressions(at place, meta *metav1.ObjectMeta) (map[string]*suppression, []*manifest.Error) {
	var out map[string]*suppression
	var errs []*manifest.Error
	for k, v := range meta.Annotations {
		name, ok := strings.CutPrefix(k, SuppressPrefix)
		if !ok {
			continue
		}
		path := manifest.JoinKey("metadata.annotations", k)
		pos := at.at(path)
		bad := func(format string, a ...any) {
			errs = append(errs, &manifest.Error{File: pos.File, Line: pos.Line, Column: pos.Column,
				Msg: fmt.Sprintf("suppression %q: %s", k, fmt.Sprintf(format, a...))})
		}
		s, err := parseSuppression(v, e.now)
		if err != nil {
			bad("%v", err)
			continue
		}
		id, ok := e.extra[name]
		if r := e.bySlug[name]; r != nil {
			id, ok = r.ID, true
		}
		if !ok {
			if e.known != nil && e.known(name) {
				continue // a rule that exists but does not run in this profile
			}
			bad("no rule with slug or ID %q", name)
			continue
		}
		s.key, s.file, s.line, s.col = k, pos.File, pos.Line, pos.Column
		if out == nil {
			out = map[string]*suppression{}
		}
		out[id] = s
	}
	return out, errs
}

func parseSuppression(v string, now time.Time) (*suppression, error) {
	reason, rest, _ := strings.Cut(v, "; expires=")
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, fmt.Errorf("a reason is required (the annotation's value)")
	}
	s := &suppression{reason: reason}
	if rest != "" {
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(rest))
		if err != nil {
			return nil, fmt.Errorf("expiry %q is not a date (YYYY-MM-DD)", strings.TrimSpace(rest))
		}
		s.expires = t
		// A suppression holds through its expiry day.
		s.expired = !now.Before(t.AddDate(0, 0, 1))
	}
	return s, nil
}

// expiredNote is added to the message of a finding an expired suppression no longer hides.
func (s *suppression) expiredNote() string {
	if s.exception {
		return fmt.Sprintf("exception %s expired on %s", s.key, s.expires.Format(time.DateOnly))
	}
	return "suppression expired on " + s.expires.Format(time.DateOnly)
}
