package report

import (
	"encoding/json"
	"io"

	"github.com/kharden/kharden/internal/rule"
)

// The JSON format is a stable interface: docs/output-json.md describes every field and
// docs/schema/report.schema.json is its JSON Schema, which the tests hold the output to.
// Fields may be added; none is renamed, retyped or removed without a new major version.
// Every field is always present (no omitempty) except "suppression", which every
// entry of "suppressed" carries and no entry of "results" does, and lists are [] when empty, never null.

type jsonReport struct {
	Tool       jsonTool      `json:"tool"`
	Results    []jsonResult  `json:"results"`
	Suppressed []jsonResult  `json:"suppressed"`
	Errors     []jsonProblem `json:"errors"`
	Notes      []jsonProblem `json:"notes"`
	Summary    jsonSummary   `json:"summary"`
}

type jsonTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type jsonResult struct {
	RuleID      string           `json:"ruleID"`
	Slug        string           `json:"slug"`
	Title       string           `json:"title"`
	Severity    string           `json:"severity"`
	Status      string           `json:"status"`
	Practices   []string         `json:"practices"`
	Message     string           `json:"message"`
	Location    jsonLocation     `json:"location"`
	Suppression *jsonSuppression `json:"suppression,omitempty"`
}

type jsonSuppression struct {
	Reason string `json:"reason"`
}

type jsonLocation struct {
	File      string     `json:"file"`
	Line      int        `json:"line"`
	Column    int        `json:"column"`
	FieldPath string     `json:"fieldPath"`
	Object    jsonObject `json:"object"`
}

type jsonObject struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
}

type jsonProblem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

type jsonSummary struct {
	Files      int        `json:"files"`
	Objects    int        `json:"objects"`
	FailOn     string     `json:"failOn"`
	Failed     bool       `json:"failed"`
	BySeverity jsonCounts `json:"bySeverity"`
	Errors     int        `json:"errors"`
}

// jsonCounts is a struct rather than a map so the keys come out from most to least severe.
type jsonCounts struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Info     int `json:"info"`
}

func writeJSON(w io.Writer, r *Report, _ Options) error {
	out := jsonReport{
		Tool:       jsonTool{Name: r.toolName(), Version: r.Version},
		Results:    jsonResults(r.Results, false),
		Suppressed: jsonResults(r.Suppressed, true),
		Errors:     jsonProblems(r.Errors),
		Notes:      jsonProblems(r.Notes),
		Summary: jsonSummary{
			Files:   r.Files,
			Objects: r.Objects,
			FailOn:  r.FailOn.String(),
			Failed:  r.Failed(),
			Errors:  len(r.Errors),
		},
	}
	c := r.Counts()
	out.Summary.BySeverity = jsonCounts{Critical: c[rule.Critical], High: c[rule.High], Medium: c[rule.Medium],
		Low: c[rule.Low], Info: c[rule.Info]}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

func jsonResults(rs []rule.Result, suppressed bool) []jsonResult {
	out := make([]jsonResult, 0, len(rs))
	for _, res := range rs {
		m := meta(res)
		l := res.Location
		jr := jsonResult{
			RuleID:    m.ID,
			Slug:      m.Slug,
			Title:     m.Title,
			Severity:  res.Severity.String(),
			Status:    string(res.Status),
			Practices: nonNil(m.Practices),
			Message:   res.Message,
			Location: jsonLocation{File: l.File, Line: l.Line, Column: l.Column, FieldPath: l.FieldPath,
				Object: jsonObject{APIVersion: l.Object.APIVersion, Kind: l.Object.Kind,
					Namespace: l.Object.Namespace, Name: l.Object.Name}},
		}
		if jr.Status == "" {
			jr.Status = string(rule.Fail)
		}
		if suppressed {
			jr.Suppression = &jsonSuppression{Reason: res.Suppressed}
		}
		out = append(out, jr)
	}
	return out
}

func jsonProblems(ps []Problem) []jsonProblem {
	out := make([]jsonProblem, 0, len(ps))
	for _, p := range ps {
		out = append(out, jsonProblem(p))
	}
	return out
}
