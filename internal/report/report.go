// Package report holds a scan's outcome and renders it as text, JSON, SARIF, JUnit or HTML,
// whole (Write) or input by input as a scan goes (Stream), in bounded memory. Every
// renderer reads rule metadata from the same rule.Meta values.
package report

import (
	"cmp"
	"slices"
	"sort"
	"strings"

	"github.com/kharden/kharden/internal/rule"
)

// Stdin is the File of what was read from standard input: text, JSON and JUnit name it
// so, as compilers do; SARIF, whose locations are URIs, says "standard input" in words.
const Stdin = "<stdin>"

// Problem is an input or usage problem (Errors) or an informational note (Notes),
// positioned where it was found.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

// Report is everything a run found.
type Report struct {
	Tool    string
	Version string
	// Rules are the rules that ran, sorted by ID.
	Rules []*rule.Meta
	// OpenRules, in a stream's head, says that parts may hold results of rules Rules
	// does not list, made as the run goes (one per vulnerability advisory found): the
	// SARIF format then lists those in rules[] too, after Rules, writing its tool
	// after the results.
	OpenRules bool
	// Results are failing results that were not suppressed.
	Results []rule.Result
	// Suppressed are failing results silenced by a suppression, with its reason.
	Suppressed []rule.Result
	Errors     []Problem
	Notes      []Problem
	// Files is the number of files read and Objects the number of objects decoded.
	Files   int
	Objects int
	// Scanned optionally names the files read, in any order. Renderers that list every
	// input (JUnit's passing test case per clean file) use it; the others ignore it.
	Scanned []string
	// FailOn is the severity threshold for exit code 1.
	FailOn rule.Severity
	// Continued, on a part of a Stream, says that the next part goes on with this one's
	// results: a run of continued parts and the first part after them that is not is
	// rendered as the one part they make together. Its parts hold results only, and the
	// caller hands them in the order that part's results sort in (see Stream.Add).
	Continued bool
	// Config names the settings the run applied. Every format shows it, since a config
	// file can disable rules and raise the threshold: whoever reads a report must be
	// able to tell whose settings judged the input.
	Config Config
}

// Config tells which config file a run applied and how it was chosen.
type Config struct {
	// File is the config file read, as the CLI named it; "" when none was.
	File string
	// Source is how it was chosen: ConfigFlag, ConfigFound, ConfigNone or
	// ConfigDisabled. "" counts as ConfigNone.
	Source string
}

// The sources of a config.
const (
	ConfigFlag     = "flag"     // --config FILE
	ConfigFound    = "found"    // .kharden.yaml found upward from the first path
	ConfigNone     = "none"     // no config file found: built-in defaults
	ConfigDisabled = "disabled" // --no-config: built-in defaults
)

// source is c.Source, ConfigNone when unset.
func (c Config) source() string {
	if c.Source == "" {
		return ConfigNone
	}
	return c.Source
}

// String is how the text format shows c: the file, or "none", and how it was chosen.
func (c Config) String() string {
	switch c.source() {
	case ConfigFlag:
		return c.File + " (--config)"
	case ConfigFound:
		return c.File + " (found upward from the first path; --no-config ignores it)"
	case ConfigDisabled:
		return "none (--no-config: built-in defaults)"
	case ConfigNone:
		return "none (built-in defaults)"
	}
	return c.File + " (" + c.Source + ")"
}

// Failed tells whether any failing result is at or above the threshold. Results a rule
// could not evaluate (status error) or that need a person (manual) are reported but
// never fail a run: "could not check" is not "checked and failed".
func (r *Report) Failed() bool { return r.failing() > 0 }

// failing counts the results with status fail at or above the threshold.
func (r *Report) failing() int {
	n := 0
	for _, res := range r.Results {
		if (res.Status == rule.Fail || res.Status == "") && res.Severity >= r.FailOn {
			n++
		}
	}
	return n
}

// Counts returns the number of findings per severity: results with status error are
// errors, not findings of a severity.
func (r *Report) Counts() map[rule.Severity]int {
	m := map[rule.Severity]int{}
	for _, res := range r.Results {
		if res.Status != rule.Error {
			m[res.Severity]++
		}
	}
	return m
}

// Sort orders results by file, line, column, rule ID and message, problems by file,
// line, column and message, and rules by ID, so output is stable.
func (r *Report) Sort() {
	r.sortContent()
	sort.SliceStable(r.Rules, func(i, j int) bool { return r.Rules[i].ID < r.Rules[j].ID })
}

// sortContent sorts everything Sort does but the rules: what a part of a stream holds.
func (r *Report) sortContent() {
	for _, rs := range [][]rule.Result{r.Results, r.Suppressed} {
		slices.SortStableFunc(rs, func(a, b rule.Result) int { return compareResults(&a, &b) })
	}
	for _, ps := range [][]Problem{r.Errors, r.Notes} {
		slices.SortStableFunc(ps, func(a, b Problem) int {
			return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line),
				cmp.Compare(a.Column, b.Column), strings.Compare(a.Message, b.Message))
		})
	}
	slices.Sort(r.Scanned)
}

// compareResults orders results by file, line, column, rule ID and message.
func compareResults(x, y *rule.Result) int {
	a, b := &x.Location, &y.Location
	if c := strings.Compare(a.File, b.File); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Line, b.Line); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Column, b.Column); c != 0 {
		return c
	}
	if c := strings.Compare(ruleID(*x), ruleID(*y)); c != 0 {
		return c
	}
	return strings.Compare(x.Message, y.Message)
}

// resultLess orders results as compareResults does.
func resultLess(x, y *rule.Result) bool { return compareResults(x, y) < 0 }

// ruleID is the ID of the rule behind a result, or "" when the result carries no metadata.
func ruleID(res rule.Result) string {
	if res.Meta == nil {
		return ""
	}
	return res.Meta.ID
}
