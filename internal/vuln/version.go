package vuln

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/google/osv-scalibr/semantic"

	"github.com/kharden/kharden/internal/source/osv"
)

// Range types of OSV.
const (
	rangeSemver    = "SEMVER"
	rangeEcosystem = "ECOSYSTEM"
	rangeGit       = "GIT"
)

// versionOrder parses versions of one ordering: SEMVER, or an ecosystem's own.
type versionOrder struct {
	// ecosystem is "" for SEMVER.
	ecosystem string
}

func (o versionOrder) parse(v string) (semantic.Version, error) {
	if o.ecosystem == "" {
		return semantic.ParseSemverVersion(v), nil
	}
	switch base, _, _ := strings.Cut(o.ecosystem, ":"); base {
	case "Debian", "Ubuntu":
		return parseDebVersion(v)
	}
	return semantic.Parse(v, o.ecosystem)
}

func (o versionOrder) String() string {
	if o.ecosystem == "" {
		return "semantic"
	}
	base, _, _ := strings.Cut(o.ecosystem, ":")
	return base
}

// compare compares two parsed versions of the same order.
func compare(a, b semantic.Version) int {
	// Both come from the same parser, so Compare does not fail; were it to, the two
	// would count as equal.
	c, _ := a.Compare(b)
	return c
}

// evaluation is what one affected entry says of one installed version.
type evaluation struct {
	affected bool
	// fixed is the smallest fixed version above the installed one in the ranges that
	// affect it ("" when none has one).
	fixed string
	// fixedV is fixed, parsed, to compare fixes of several ranges.
	fixedV semantic.Version
}

// event is an OSV event with its version parsed.
type event struct {
	kind string // "introduced", "fixed", "last_affected", "limit"
	raw  string
	v    semantic.Version // nil for introduced "0" and limit "*"
}

// evaluator evaluates affected entries against installed versions, caching the parsed
// installed version of each order, and records what it could not parse.
type evaluator struct {
	notes *notes
	// installed caches the installed version parsed per order.
	installed map[versionOrder]semantic.Version
	bad       map[versionOrder]bool
	version   string
	// parsed caches the advisories' versions across evaluators: fixed versions repeat
	// (a Go release fixes many stdlib advisories).
	parsed *parseCache
	// events is parseEvents' buffer: a range's events are used before the next range's
	// are parsed.
	events []event
}

func newEvaluator(version string, n *notes, pc *parseCache) *evaluator {
	return &evaluator{notes: n, version: version, parsed: pc}
}

// parseCache remembers parsed versions by order and string.
type parseCache map[parseKey]parseResult

type parseKey struct {
	order versionOrder
	raw   string
}

type parseResult struct {
	v   semantic.Version
	err error
}

func (c *parseCache) parse(o versionOrder, raw string) (semantic.Version, error) {
	if c == nil {
		return o.parse(raw)
	}
	k := parseKey{o, raw}
	if r, ok := (*c)[k]; ok {
		return r.v, r.err
	}
	v, err := o.parse(raw)
	if *c == nil {
		*c = parseCache{}
	}
	(*c)[k] = parseResult{v, err}
	return v, err
}

// installedAs parses the installed version in order o; false (noted once) when it does
// not parse.
func (e *evaluator) installedAs(o versionOrder, eco, name string) (semantic.Version, bool) {
	if v, ok := e.installed[o]; ok {
		return v, true
	}
	if e.bad[o] {
		return nil, false
	}
	v, err := o.parse(e.version)
	if err != nil {
		if e.bad == nil {
			e.bad = map[versionOrder]bool{}
		}
		e.bad[o] = true
		e.notes.add(fmt.Sprintf("installed version %q of %s %s is not a %s version: not matched", e.version, eco, name, o), err)
		return nil, false
	}
	if e.installed == nil {
		e.installed = map[versionOrder]semantic.Version{}
	}
	e.installed[o] = v
	return v, true
}

// evaluate applies OSV's evaluation algorithm
// (https://ossf.github.io/osv-schema/#evaluation) to one affected entry: the installed
// version is affected when it is listed in versions or lies in any range. In a range,
// events are sorted by version (introduced "0" first); walking them, an introduced at
// or below the version sets affected, a fixed at or below it, or a last_affected below
// it, clears it; limit events bound the range from above (a version at or above every
// limit is outside). GIT ranges are skipped. A range with a version that does not parse
// is skipped with a note, and so is a range of an unknown type.
func (e *evaluator) evaluate(id string, a *osv.Affected) evaluation {
	var ev evaluation
	eco := a.Package.Ecosystem
	for _, lv := range a.Versions {
		if lv == e.version {
			ev.affected = true
			break
		}
		// A listed version written differently ("1.2.3" for Go's "v1.2.3").
		o := versionOrder{ecosystem: eco}
		if iv, ok := e.installedQuiet(o); ok {
			if v, err := o.parse(lv); err == nil && compare(iv, v) == 0 {
				ev.affected = true
				break
			}
		}
	}
	for ri := range a.Ranges {
		r := &a.Ranges[ri]
		var o versionOrder
		switch r.Type {
		case rangeGit:
			continue
		case rangeSemver:
		case rangeEcosystem:
			o.ecosystem = eco
		default:
			e.notes.add(fmt.Sprintf("advisory %s: range of unknown type %q skipped", id, r.Type), nil)
			continue
		}
		iv, ok := e.installedAs(o, eco, a.Package.Name)
		if !ok {
			continue
		}
		events, ok := e.parseEvents(id, o, r.Events)
		if !ok {
			continue
		}
		in, fixed := inRange(iv, events)
		if !in {
			continue
		}
		ev.affected = true
		if fixed != nil && (ev.fixedV == nil || compare(fixed.v, ev.fixedV) < 0) {
			ev.fixed, ev.fixedV = fixed.raw, fixed.v
		}
	}
	return ev
}

// installedQuiet parses the installed version without noting a failure (a versions
// list is compared as strings first; parsing is only a second chance).
func (e *evaluator) installedQuiet(o versionOrder) (semantic.Version, bool) {
	if v, ok := e.installed[o]; ok {
		return v, true
	}
	v, err := o.parse(e.version)
	if err != nil {
		return nil, false
	}
	if e.installed == nil {
		e.installed = map[versionOrder]semantic.Version{}
	}
	e.installed[o] = v
	return v, true
}

// parseEvents parses and sorts a range's events; false (with a note) when one does not
// parse, is empty or sets no or several fields.
func (e *evaluator) parseEvents(id string, o versionOrder, in []osv.Event) ([]event, bool) {
	out := e.events[:0]
	defer func() { e.events = out[:0] }()
	for _, x := range in {
		var ev event
		n := 0
		for _, f := range [...]struct{ kind, v string }{
			{"introduced", x.Introduced}, {"fixed", x.Fixed}, {"last_affected", x.LastAffected}, {"limit", x.Limit},
		} {
			if f.v != "" {
				ev.kind, ev.raw = f.kind, f.v
				n++
			}
		}
		if n != 1 {
			e.notes.add(fmt.Sprintf("advisory %s: a range event with %d fields set: range skipped", id, n), nil)
			return nil, false
		}
		if (ev.kind == "introduced" && ev.raw == "0") || (ev.kind == "limit" && ev.raw == "*") {
			out = append(out, ev)
			continue
		}
		v, err := e.parsed.parse(o, ev.raw)
		if err != nil {
			e.notes.add(fmt.Sprintf("advisory %s: %s version %q is not a %s version: range skipped", id, ev.kind, ev.raw, o), err)
			return nil, false
		}
		ev.v = v
		out = append(out, ev)
	}
	// Sorted by version, introduced "0" first and limit "*" last. Events at the same
	// version keep their order (an introduced and a fixed at one version: fixed). A range
	// with one versioned event, the common "introduced 0, fixed X", needs no comparison.
	versioned := 0
	for i := range out {
		if out[i].v != nil {
			versioned++
		}
	}
	slices.SortStableFunc(out, func(a, b event) int {
		ra, rb := rank(a), rank(b)
		if ra != rb || versioned < 2 {
			return cmp.Compare(ra, rb)
		}
		return compare(a.v, b.v)
	})
	return out, true
}

// rank puts introduced "0" first, versioned events in the middle, limit "*" last.
func rank(e event) int {
	switch {
	case e.v != nil:
		return 1
	case e.kind == "introduced":
		return 0
	}
	return 2
}

// inRange tells whether v lies in a range of sorted events, and the smallest fixed
// event above v that ends the affected stretch holding v (nil when unfixed).
func inRange(v semantic.Version, events []event) (bool, *event) {
	// v compared with each versioned event, once: comparisons are the matcher's main cost.
	var buf [8]int
	c := buf[:0]
	for i := range events {
		if events[i].v == nil {
			c = append(c, 0)
			continue
		}
		c = append(c, compare(v, events[i].v))
	}
	// Limits: v must be below at least one (none given: an implicit "*").
	limited, below := false, false
	for i := range events {
		if events[i].kind != "limit" {
			continue
		}
		limited = true
		if events[i].v == nil || c[i] < 0 {
			below = true
		}
	}
	if limited && !below {
		return false, nil
	}
	affected := false
	for i := range events {
		switch events[i].kind {
		case "introduced":
			if events[i].v == nil || c[i] >= 0 {
				affected = true
			}
		case "fixed":
			if c[i] >= 0 {
				affected = false
			}
		case "last_affected":
			if c[i] > 0 {
				affected = false
			}
		}
	}
	if !affected {
		return false, nil
	}
	// The fix: the event that ends the affected stretch holding v, when it is a fixed
	// one (events are sorted; a last_affected there means no fix is known).
	for i := range events {
		switch {
		case events[i].kind == "fixed" && c[i] < 0:
			return true, &events[i]
		case events[i].kind == "last_affected" && c[i] <= 0:
			return true, nil
		}
	}
	return true, nil
}
