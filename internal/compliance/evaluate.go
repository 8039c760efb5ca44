package compliance

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/kharden/kharden/internal/rule"
)

// Finding is one result read back from a saved kharden JSON report.
type Finding struct {
	RuleID   string `json:"ruleID"`
	Slug     string `json:"slug"`
	Severity string `json:"severity"`
	Status   string `json:"status"`
	Message  string `json:"message"`
	// Control is the benchmark item of a result of a rule that checks several.
	Control  string   `json:"control,omitempty"`
	Location Location `json:"location"`
	// Suppressed is set for a result a suppression silenced: shown, never failing.
	Suppressed bool `json:"suppressed,omitempty"`
	// Input is the report file it was read from.
	Input string `json:"input"`
}

// Location is where a finding points.
type Location struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
	Object struct {
		Kind      string `json:"kind"`
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
	} `json:"object"`
}

// Input is what saved reports say: the rules that ran and what they found.
type Input struct {
	// Ran holds the IDs of the rules that ran. A report written before kharden listed
	// them says nothing: its file is in Unlisted, and only rules with a result count
	// as having run.
	Ran      map[string]bool
	Unlisted []string
	Findings []Finding
	// Files names the reports read; Errors counts the input errors they record (inputs
	// that were not checked).
	Files  []string
	Errors int
}

// savedReport is the part of kharden's JSON output (docs/output-json.md) read here.
type savedReport struct {
	Tool *struct {
		Name string `json:"name"`
	} `json:"tool"`
	Rules      *[]string         `json:"rules"`
	Results    *[]Finding        `json:"results"`
	Suppressed []Finding         `json:"suppressed"`
	Errors     []json.RawMessage `json:"errors"`
	Benchmark  string            `json:"benchmark"`
}

// Read adds one saved report, named name, to in.
func (in *Input) Read(r io.Reader, name string) error {
	var s savedReport
	dec := json.NewDecoder(r)
	if err := dec.Decode(&s); err != nil {
		return fmt.Errorf("%s: not a kharden JSON report: %w", name, err)
	}
	switch {
	case s.Benchmark != "":
		return fmt.Errorf("%s: a benchmark listing (audit node --benchmark -o json), not results: run audit node -o json without --benchmark", name)
	case s.Tool == nil || s.Results == nil:
		return fmt.Errorf("%s: not a kharden JSON report (no tool or results; write one with -o json)", name)
	}
	if in.Ran == nil {
		in.Ran = map[string]bool{}
	}
	in.Files = append(in.Files, name)
	in.Errors += len(s.Errors)
	if s.Rules == nil {
		in.Unlisted = append(in.Unlisted, name)
	} else {
		for _, id := range *s.Rules {
			in.Ran[id] = true
		}
	}
	add := func(fs []Finding, suppressed bool) {
		for _, f := range fs {
			f.Input, f.Suppressed = name, suppressed
			in.Ran[f.RuleID] = true
			in.Findings = append(in.Findings, f)
		}
	}
	add(*s.Results, false)
	add(s.Suppressed, true)
	return nil
}

// Status is a control's verdict.
type Status string

const (
	// Pass: a rule that speaks to the control ran and nothing it found fails it.
	Pass Status = "pass"
	// Fail: a finding that was not suppressed fails the control.
	Fail Status = "fail"
	// Error: a rule could not be evaluated, and nothing failed.
	Error Status = "error"
	// Manual: a person has to judge, and nothing failed or erred.
	Manual Status = "manual"
	// NotRun: kharden has rules for the control, but none of them ran (a scan of
	// manifests says nothing about the kubelet).
	NotRun Status = "not-run"
	// NotCovered: no kharden rule speaks to the control.
	NotCovered Status = "not-covered"
)

// Statuses lists the statuses in the order reports count them.
var Statuses = []Status{Pass, Fail, Error, Manual, NotRun, NotCovered}

// ControlResult is the verdict on one control.
type ControlResult struct {
	Control
	Status Status
	// Rules are the IDs of the rules that speak to the control; Ran those of them
	// that ran; Off those that are off by default (run only when enabled).
	Rules, Ran, Off []string
	// Findings are the results behind the verdict, suppressed ones included.
	Findings []Finding
}

// Result is a framework's verdicts.
type Result struct {
	Framework *Framework
	Controls  []ControlResult
	Input     *Input
}

// Counts returns the number of controls with each status.
func (r *Result) Counts() map[Status]int {
	m := map[Status]int{}
	for _, c := range r.Controls {
		m[c.Status]++
	}
	return m
}

// Failed tells whether some control fails.
func (r *Result) Failed() bool { return r.Counts()[Fail] > 0 }

// Evaluate judges every control of f on what in says, with rules the metadata of every
// rule kharden has (the rules' Standards say which controls each speaks to).
func Evaluate(f *Framework, rules []*rule.Meta, in *Input) (*Result, error) {
	if f == nil || in == nil {
		return nil, errors.New("compliance: no framework or no input")
	}
	byControl := map[string][]string{}
	controlsOf := map[string][]string{}
	off := map[string]bool{}
	for _, m := range rules {
		off[m.ID] = !m.Default
		ids := f.ControlsOf(m)
		controlsOf[m.ID] = ids
		for _, id := range ids {
			byControl[id] = append(byControl[id], m.ID)
		}
	}
	findings := map[string][]Finding{}
	for _, fd := range in.Findings {
		ids := controlsOf[fd.RuleID]
		// A result about one item of a rule that checks several counts for that item.
		if fd.Control != "" && slices.Contains(ids, fd.Control) {
			ids = []string{fd.Control}
		}
		for _, id := range ids {
			findings[id] = append(findings[id], fd)
		}
	}
	res := &Result{Framework: f, Input: in}
	for _, c := range f.Controls {
		cr := ControlResult{Control: c, Rules: byControl[c.ID], Findings: findings[c.ID]}
		for _, id := range cr.Rules {
			if in.Ran[id] {
				cr.Ran = append(cr.Ran, id)
			}
			if off[id] {
				cr.Off = append(cr.Off, id)
			}
		}
		cr.Status = verdict(&cr)
		res.Controls = append(res.Controls, cr)
	}
	return res, nil
}

// verdict is the status of a control from its rules and findings: the worst finding
// that was not suppressed decides (fail, then error, then manual); a skipped result
// (the thing checked could not be seen) makes no pass.
func verdict(c *ControlResult) Status {
	if len(c.Rules) == 0 {
		return NotCovered
	}
	var has = map[string]bool{}
	for _, f := range c.Findings {
		if !f.Suppressed {
			has[f.Status] = true
		}
	}
	switch {
	case has["fail"]:
		return Fail
	case has["error"]:
		return Error
	case has["manual"]:
		return Manual
	case has["skipped"] || len(c.Ran) == 0:
		return NotRun
	}
	return Pass
}
