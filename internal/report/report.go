// Package report holds a scan's outcome and renders it as text, JSON, SARIF or JUnit.
// Every renderer reads rule metadata from the same rule.Meta values.
package report

import (
	"sort"

	"github.com/kharden/kharden/internal/rule"
)

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

// Counts returns the number of results per severity.
func (r *Report) Counts() map[rule.Severity]int {
	m := map[rule.Severity]int{}
	for _, res := range r.Results {
		m[res.Severity]++
	}
	return m
}

// Sort orders results by file, line, column, rule ID and message, problems by file,
// line, column and message, and rules by ID, so output is stable.
func (r *Report) Sort() {
	for _, rs := range [][]rule.Result{r.Results, r.Suppressed} {
		sort.SliceStable(rs, func(i, j int) bool {
			a, b := rs[i].Location, rs[j].Location
			if a.File != b.File {
				return a.File < b.File
			}
			if a.Line != b.Line {
				return a.Line < b.Line
			}
			if a.Column != b.Column {
				return a.Column < b.Column
			}
			if x, y := ruleID(rs[i]), ruleID(rs[j]); x != y {
				return x < y
			}
			return rs[i].Message < rs[j].Message
		})
	}
	for _, ps := range [][]Problem{r.Errors, r.Notes} {
		sort.SliceStable(ps, func(i, j int) bool {
			if ps[i].File != ps[j].File {
				return ps[i].File < ps[j].File
			}
			if ps[i].Line != ps[j].Line {
				return ps[i].Line < ps[j].Line
			}
			if ps[i].Column != ps[j].Column {
				return ps[i].Column < ps[j].Column
			}
			return ps[i].Message < ps[j].Message
		})
	}
	sort.SliceStable(r.Rules, func(i, j int) bool { return r.Rules[i].ID < r.Rules[j].ID })
	sort.Strings(r.Scanned)
}

// sorted returns a sorted copy of r that shares no slice with it, so renderers
// neither reorder the caller's report nor race with another renderer.
func (r *Report) sorted() *Report {
	c := *r
	c.Rules = append([]*rule.Meta(nil), r.Rules...)
	c.Results = append([]rule.Result(nil), r.Results...)
	c.Suppressed = append([]rule.Result(nil), r.Suppressed...)
	c.Errors = append([]Problem(nil), r.Errors...)
	c.Notes = append([]Problem(nil), r.Notes...)
	c.Scanned = append([]string(nil), r.Scanned...)
	c.Sort()
	return &c
}

// ruleID is the ID of the rule behind a result, or "" when the result carries no metadata.
func ruleID(res rule.Result) string {
	if res.Meta == nil {
		return ""
	}
	return res.Meta.ID
}
