package admission

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/engine"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/rules/k8s"
	"github.com/kharden/kharden/internal/scan"
)

// ExceptionsKey is where exceptions are written in the webhook's config; denial messages
// name it, since a workload's author cannot exempt a workload at admission.
const ExceptionsKey = "admission.exceptions"

// exception is one checked entry of the config's admission.exceptions.
type exception struct {
	key             string // admission.exceptions[i]
	namespace, name string // path.Match patterns; name "" matches every name
	kinds           map[string]bool
	rules           []string // rule IDs
	reason          string
	expires         time.Time
}

// exceptions are the config's admission exceptions, in the order written.
type exceptions []exception

// newExceptions checks the config's admission exceptions, reporting every problem at
// its line: a namespace is required, names are valid globs, kinds are written as in
// manifests, every rule exists, a reason is given, the expiry is a date.
func newExceptions(cfg *config.Config) (exceptions, error) {
	lookup := scan.Lookup(k8s.All())
	var out exceptions
	var errs []error
	for i, c := range cfg.Admission.Exceptions {
		x := exception{key: fmt.Sprintf("%s[%d]", ExceptionsKey, i), namespace: strings.TrimSpace(c.Namespace),
			name: strings.TrimSpace(c.Name), reason: strings.TrimSpace(c.Reason)}
		bad := func(format string, a ...any) {
			errs = append(errs, cfg.Errorf(config.ExceptionKey(i), "%s: %s", x.key, fmt.Sprintf(format, a...)))
		}
		if x.namespace == "" {
			bad(`namespace is required ("*" for every namespace)`)
		}
		for _, p := range []string{x.namespace, x.name} {
			if _, err := path.Match(p, ""); err != nil {
				bad("%q is not a glob: %v", p, err)
			}
		}
		for _, k := range c.Kinds {
			if !validKind(k) {
				bad("kind %q: write it as in manifests (Pod, DaemonSet)", k)
				continue
			}
			if x.kinds == nil {
				x.kinds = map[string]bool{}
			}
			x.kinds[k] = true
		}
		if len(c.Rules) == 0 {
			bad("rules: name at least one rule (slug or ID)")
		}
		for _, n := range c.Rules {
			r := lookup(strings.TrimSpace(n))
			if r == nil {
				bad("unknown rule %q (see `kharden rules`)", n)
				continue
			}
			x.rules = append(x.rules, r.ID)
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
		}
		out = append(out, x)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func validKind(k string) bool {
	if k == "" || k[0] < 'A' || k[0] > 'Z' {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// matches tells whether the exception covers obj. An object named by generateName alone
// (a controller's pod, "web-<generated>") matches the patterns its generated names would.
func (x *exception) matches(obj rule.Object) bool {
	if x.kinds != nil && !x.kinds[obj.Kind] {
		return false
	}
	if ok, _ := path.Match(x.namespace, obj.Namespace); !ok {
		return false
	}
	if x.name == "" {
		return true
	}
	ok, _ := path.Match(x.name, obj.Name)
	return ok
}

// For returns the exceptions that apply to obj, by rule ID. Where several name a rule,
// the one that lasts longest counts (no expiry, else the latest), so that an entry added
// to renew an expired one takes effect wherever it is written.
func (xs exceptions) For(obj rule.Object) map[string]engine.Exception {
	var out map[string]engine.Exception
	for i := range xs {
		x := &xs[i]
		if !x.matches(obj) {
			continue
		}
		for _, id := range x.rules {
			if prev, ok := out[id]; ok && (prev.Expires.IsZero() || !x.expires.IsZero() && !x.expires.After(prev.Expires)) {
				continue
			}
			if out == nil {
				out = map[string]engine.Exception{}
			}
			out[id] = engine.Exception{Key: x.key, Reason: x.reason, Expires: x.expires}
		}
	}
	return out
}

// suppressions are where the engines of admission take suppressions from: the config's
// exceptions, and objects' annotations only when the config trusts them.
func (d *Defaults) suppressions() engine.Suppressions {
	s := engine.Suppressions{NoAnnotations: !d.trustAnnotations}
	if len(d.exceptions) > 0 {
		s.Exceptions = d.exceptions.For
	}
	return s
}

// newEngine is the engine of a profile as `kharden scan --profile profile` builds it with
// the config, but suppressed as admission is: by exceptions rather than annotations.
func (r *Reviewer) newEngine(profile string, now time.Time) (*engine.Engine, error) {
	eng, _, err := scan.Engine(profile, r.cfg, now)
	if err != nil {
		return nil, err
	}
	return eng.WithSuppressions(r.defaults.suppressions()), nil
}
