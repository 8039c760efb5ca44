package flags

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/kharden/kharden/internal/rule"
)

// Result is a check's verdict on one Set.
type Result struct {
	// Status is rule.Pass, rule.Fail, rule.Manual (the Set cannot settle it: a file it
	// names was not supplied, a person must judge) or rule.Error (a file it names does not
	// parse, so the component's settings cannot be known).
	Status rule.Status
	// Flag is the flag the verdict rests on, without dashes: the offending one, or the
	// missing one. A reader points at its Origin, or at the whole command when the flag
	// is not there. When the verdict rests on a file the flag names, Flag is that flag.
	Flag    string
	Message string
	// File and Line locate the value the verdict rests on when it was read from a file a
	// flag names (a kubelet config file, an audit policy); Line is 0 when the setting is
	// missing from the file, or the error has no line.
	File string
	Line int
}

// Check is one CIS benchmark item about a component's flags.
type Check struct {
	// CIS is the item's number in the CIS Kubernetes Benchmark v1.12 ("1.2.1").
	CIS       string
	Component string
	// Title is the item's requirement, short.
	Title string
	// Eval is the check: pure, no I/O, never panics on any Set.
	Eval func(*Set) Result
}

// Run evaluates the check on a Set of its component.
func (c *Check) Run(s *Set) Result { return c.Eval(s) }

// All returns every check, in CIS order.
func All() []*Check {
	var out []*Check
	out = append(out, apiServerChecks...)
	out = append(out, controllerManagerChecks...)
	out = append(out, schedulerChecks...)
	out = append(out, etcdChecks...)
	out = append(out, auditPolicyChecks...)
	out = append(out, kubeletChecks...)
	out = append(out, proxyChecks...)
	return out
}

// For returns the checks of one component, in CIS order.
func For(component string) []*Check {
	var out []*Check
	for _, c := range All() {
		if c.Component == component {
			out = append(out, c)
		}
	}
	return out
}

// Lookup returns the check of a CIS item, or nil.
func Lookup(cis string) *Check {
	for _, c := range All() {
		if c.CIS == cis {
			return c
		}
	}
	return nil
}

func result(status rule.Status, flag, format string, a ...any) Result {
	return Result{Status: status, Flag: flag, Message: fmt.Sprintf(format, a...)}
}

func pass(flag, format string, a ...any) Result { return result(rule.Pass, flag, format, a...) }
func fail(flag, format string, a ...any) Result { return result(rule.Fail, flag, format, a...) }
func manual(flag, format string, a ...any) Result {
	return result(rule.Manual, flag, format, a...)
}

// requiredFile returns the content of the file a required flag names, or the result to
// give: Fail when the flag is not set (unset says so), Manual when the file is not
// visible (hidden, a format taking the file's path, says what a person should check).
func requiredFile(s *Set, flag, unset, hidden string) (content []byte, file string, r *Result) {
	if !s.Has(flag) {
		res := fail(flag, "%s", unset)
		return nil, "", &res
	}
	content, file, ok := s.File(flag)
	if !ok {
		res := manual(flag, hidden, file)
		return nil, file, &res
	}
	return content, file, nil
}

// at locates a result in a file.
func (r Result) at(file string, line int) Result {
	r.File, r.Line = file, line
	return r
}

// fileError is a configuration file that cannot be read for what it says, with the line
// of the fault when it has one.
type fileError struct {
	File string
	Line int
	What string
}

func (e *fileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s: line %d: %s", e.File, e.Line, e.What)
	}
	return fmt.Sprintf("%s: %s", e.File, e.What)
}

// broken is the Error result of a file, named by a flag, that does not parse.
func broken(flag string, err *fileError) Result {
	return result(rule.Error, flag, "%s", err.Error()).at(err.File, err.Line)
}

// show renders a flag with its value for a message: --profiling=true, or --profiling for
// a bare flag.
func show(name string, v Value) string {
	if v.Bare {
		return "--" + name
	}
	return "--" + name + "=" + v.Value
}

// boolIs checks that a boolean flag is want; def is its value when absent.
func boolIs(name string, want, def bool) func(*Set) Result {
	return func(s *Set) Result {
		v, ok := s.Lookup(name)
		if !ok {
			if def == want {
				return pass(name, "--%s is not set and defaults to %t", name, def)
			}
			return fail(name, "--%s is not set and defaults to %t; set --%s=%t", name, def, name, want)
		}
		b, err := strconv.ParseBool(strings.TrimSpace(v.Value))
		if err != nil {
			return fail(name, "%s is not a boolean; set --%s=%t", show(name, v), name, want)
		}
		if b != want {
			return fail(name, "%s; set --%s=%t", show(name, v), name, want)
		}
		return pass(name, "%s", show(name, v))
	}
}

// required checks that every flag is set to a non-empty value.
func required(names ...string) func(*Set) Result {
	return func(s *Set) Result {
		var missing []string
		for _, n := range names {
			if !s.Has(n) {
				missing = append(missing, "--"+n)
			}
		}
		switch len(missing) {
		case 0:
			return pass(names[0], "%s set", strings.Join(dashed(names), " and "))
		case 1:
			return fail(strings.TrimPrefix(missing[0], "--"), "%s is not set", missing[0])
		}
		return fail(strings.TrimPrefix(missing[0], "--"), "%s are not set", strings.Join(missing, " and "))
	}
}

func dashed(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "--" + n
	}
	return out
}

// absent checks that a flag is not given.
func absent(name string) func(*Set) Result {
	return func(s *Set) Result {
		if v, ok := s.Lookup(name); ok {
			return fail(name, "%s is set; remove it", show(name, v))
		}
		return pass(name, "--%s is not set", name)
	}
}

// listLacks checks that a list flag does not contain an element (compared
// case-sensitively, as components do).
func listLacks(name, elem string) func(*Set) Result {
	return func(s *Set) Result {
		if slices.Contains(s.List(name), elem) {
			v, _ := s.Lookup(name)
			return fail(name, "%s includes %s; remove it", show(name, v), elem)
		}
		return pass(name, "--%s does not include %s", name, elem)
	}
}

// listHas checks that a list flag contains an element; def is the list when absent.
func listHas(name, elem string, def ...string) func(*Set) Result {
	return func(s *Set) Result {
		l := s.List(name)
		v, ok := s.Lookup(name)
		if !ok {
			if slices.Contains(def, elem) {
				return pass(name, "--%s is not set and its default includes %s", name, elem)
			}
			return fail(name, "--%s is not set, so %s is not enabled; add --%s=%s", name, elem, name, elem)
		}
		if slices.Contains(l, elem) {
			return pass(name, "--%s includes %s", name, elem)
		}
		return fail(name, "%s does not include %s", show(name, v), elem)
	}
}

// intAtLeast checks that an integer flag is set to min or more.
func intAtLeast(name string, min int) func(*Set) Result {
	return func(s *Set) Result {
		v, ok := s.Lookup(name)
		if !ok {
			return fail(name, "--%s is not set; set it to %d or more", name, min)
		}
		n, err := strconv.Atoi(strings.TrimSpace(v.Value))
		if err != nil {
			return fail(name, "%s is not an integer; set it to %d or more", show(name, v), min)
		}
		if n < min {
			return fail(name, "%s is less than %d", show(name, v), min)
		}
		return pass(name, "%s", show(name, v))
	}
}

// loopback checks that an address flag binds to the loopback interface; def is its
// value when absent.
func loopback(name, def string) func(*Set) Result {
	return func(s *Set) Result {
		v, ok := s.Lookup(name)
		if !ok {
			return fail(name, "--%s is not set and defaults to %s, every interface; set --%s=127.0.0.1", name, def, name)
		}
		if ip := net.ParseIP(strings.TrimSpace(v.Value)); ip != nil && ip.IsLoopback() || v.Value == "localhost" {
			return pass(name, "%s", show(name, v))
		}
		return fail(name, "%s is not a loopback address; set --%s=127.0.0.1", show(name, v), name)
	}
}
