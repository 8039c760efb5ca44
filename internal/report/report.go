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
	Files      int
	Objects    int
	// FailOn is the severity threshold for exit code 1.
	FailOn rule.Severity
}

// Failed tells whether any result is at or above the threshold.
func (r *Report) Failed() bool {
	for _, res := range r.Results {
		if res.Severity >= r.FailOn {
			return true
		}
	}
	return false
}

// Counts returns the number of results per severity.
func (r *Report) Counts() map[rule.Severity]int {
	m := map[rule.Severity]int{}
	for _, res := range r.Results {
		m[res.Severity]++
	}
	return m
}

// Sort orders results by file, line, column and rule ID, so output is stable.
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
			return rs[i].Meta.ID < rs[j].Meta.ID
		})
	}
	for _, ps := range [][]Problem{r.Errors, r.Notes} {
		sort.SliceStable(ps, func(i, j int) bool {
			if ps[i].File != ps[j].File {
				return ps[i].File < ps[j].File
			}
			return ps[i].Line < ps[j].Line
		})
	}
	sort.Slice(r.Rules, func(i, j int) bool { return r.Rules[i].ID < r.Rules[j].ID })
}
