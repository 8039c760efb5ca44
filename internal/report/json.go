package report

import (
	"bufio"
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/kharden/kharden/internal/rule"
)

// The JSON format is a stable interface: docs/output-json.md describes every field and
// docs/schema/report.schema.json is its JSON Schema, which the tests hold the output to.
// Fields may be added; none is renamed, retyped or removed without a new major version.
// Every field is always present (no omitempty) except "suppression", which every
// entry of "suppressed" carries and no entry of "results" does, and lists are [] when empty, never null.
//
// Layout: one top-level key per line, and every entry of a list as one compact object on
// its own line, so the report streams (a result is written as soon as its part is added,
// and forgotten), stays readable, and can be grepped line by line:
//
//	{
//	  "tool": {"name":"kharden","version":"0.1.0"},
//	  "config": {"file":".kharden.yaml","source":"found"},
//	  "rules": ["KM-0004","KM-0009"],
//	  "results": [
//	    {"ruleID":"KM-0004",...},
//	    {"ruleID":"KM-0009",...}
//	  ],
//	  "suppressed": [],
//	  "errors": [],
//	  "notes": [],
//	  "summary": {"files":2,...}
//	}
//
// "results" is written part by part; "suppressed", "errors" and "notes" are encoded as
// they come but held until Close, after the last result.
//
// The types below are the shape of the document. Results, the bulk of a report, are
// encoded by appendJSONResult rather than by encoding/json, with each rule's constant
// fields encoded once; the tests hold it byte for byte to encoding/json's encoding of
// jsonResult.

type jsonTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// jsonConfig names the config file the run applied.
type jsonConfig struct {
	File   string `json:"file"`
	Source string `json:"source"`
}

type jsonResult struct {
	RuleID      string           `json:"ruleID"`
	Slug        string           `json:"slug"`
	Title       string           `json:"title"`
	Severity    string           `json:"severity"`
	Status      string           `json:"status"`
	Practices   []string         `json:"practices"`
	Message     string           `json:"message"`
	Control     string           `json:"control,omitempty"`
	Location    jsonLocation     `json:"location"`
	Suppression *jsonSuppression `json:"suppression,omitempty"`
	// Vulnerability is the advisory and package of a vulnerability finding.
	Vulnerability *rule.Vulnerability `json:"vulnerability,omitempty"`
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
	ValuesKey string     `json:"valuesKey,omitempty"`
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
	RuleErrors int        `json:"ruleErrors"`
	ExitCode   int        `json:"exitCode"`
}

// jsonCounts is a struct rather than a map so the keys come out from most to least severe.
type jsonCounts struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Info     int `json:"info"`
}

// jsonElemIndent is what starts each entry of a top-level list: entries after the first
// begin with the comma, which list writers drop from the first one.
const jsonElemIndent = ",\n    "

type jsonRenderer struct {
	w       *bufio.Writer
	rules   ruleCache[jsonRule]
	scratch []byte
	results int // written so far
	// suppressed, errors and notes are encoded entries, each starting with jsonElemIndent.
	suppressed, errors, notes []byte
	err                       error // the first error writing the head
}

// jsonRule is what every result of one rule repeats: the encoded ruleID, slug and title,
// and its practices.
type jsonRule struct {
	head      []byte // {"ruleID":…,"slug":…,"title":…,"severity":
	practices []byte // ["C4"]
}

func newJSONRenderer(w *bufio.Writer, head *Report) *jsonRenderer {
	r := &jsonRenderer{w: w, rules: newRuleCache(jsonRuleOf)}
	b := append(r.scratch[:0], "{\n  \"tool\": "...)
	b = appendMarshal(b, jsonTool{Name: head.toolName(), Version: head.Version})
	b = append(b, ",\n  \"config\": "...)
	b = appendMarshal(b, jsonConfig{File: head.Config.File, Source: head.Config.source()})
	b = append(b, ",\n  \"rules\": "...)
	b = appendJSONStrings(b, ranRules(head.Rules))
	b = append(b, ",\n  \"results\": ["...)
	_, r.err = w.Write(b)
	r.scratch = b
	return r
}

// ranRules are the IDs of the registered rules that ran, in order: what a later reader
// (kharden report --framework) needs to tell a control that passed from one nobody
// checked. Rules made at run time (a vulnerability advisory's, with a HelpURI) are left
// out: there can be thousands and they map to no control.
func ranRules(rules []*rule.Meta) []string {
	ids := make([]string, 0, len(rules))
	for _, m := range rules {
		if m.HelpURI == "" {
			ids = append(ids, m.ID)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func jsonRuleOf(m *rule.Meta) *jsonRule {
	var jr jsonRule
	jr.head = append(jr.head, `{"ruleID":`...)
	jr.head = appendJSONString(jr.head, m.ID)
	jr.head = append(jr.head, `,"slug":`...)
	jr.head = appendJSONString(jr.head, m.Slug)
	jr.head = append(jr.head, `,"title":`...)
	jr.head = appendJSONString(jr.head, m.Title)
	jr.head = append(jr.head, `,"severity":`...)
	jr.practices = appendJSONStrings(jr.practices, m.Practices)
	return &jr
}

// appendJSONStrings appends ss as a JSON array; nil is [].
func appendJSONStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

func (r *jsonRenderer) add(p *Report, _ *Totals) error {
	if r.err != nil {
		return r.err
	}
	b := r.scratch[:0]
	for i := range p.Results {
		b = append(b, jsonElemIndent...)
		if r.results == 0 && i == 0 {
			b = b[1:]
		}
		b = r.appendResult(b, &p.Results[i], false)
		if len(b) >= bufSize {
			if _, err := r.w.Write(b); err != nil {
				return err
			}
			b = b[:0]
		}
	}
	r.results += len(p.Results)
	_, err := r.w.Write(b)
	r.scratch = b
	if err != nil {
		return err
	}
	for i := range p.Suppressed {
		r.suppressed = append(r.suppressed, jsonElemIndent...)
		r.suppressed = r.appendResult(r.suppressed, &p.Suppressed[i], true)
	}
	r.errors = appendJSONProblems(r.errors, p.Errors)
	r.notes = appendJSONProblems(r.notes, p.Notes)
	return nil
}

func (r *jsonRenderer) appendResult(b []byte, res *rule.Result, suppressed bool) []byte {
	return appendJSONResult(b, r.rules.get(res), res, suppressed)
}

// appendJSONResult appends res encoded exactly as encoding/json (without HTML escaping)
// encodes its jsonResult, given the encoding of its rule.
func appendJSONResult(b []byte, jr *jsonRule, res *rule.Result, suppressed bool) []byte {
	b = append(b, jr.head...)
	b = appendJSONString(b, res.Severity.String())
	b = append(b, `,"status":`...)
	if res.Status == "" {
		b = append(b, `"fail"`...)
	} else {
		b = appendJSONString(b, string(res.Status))
	}
	b = append(b, `,"practices":`...)
	if res.Practices != nil {
		b = appendJSONStrings(b, res.Practices)
	} else {
		b = append(b, jr.practices...)
	}
	b = append(b, `,"message":`...)
	b = appendJSONString(b, res.Message)
	if res.Control != "" {
		b = append(b, `,"control":`...)
		b = appendJSONString(b, res.Control)
	}
	l := &res.Location
	b = append(b, `,"location":{"file":`...)
	b = appendJSONString(b, l.File)
	b = append(b, `,"line":`...)
	b = strconv.AppendInt(b, int64(l.Line), 10)
	b = append(b, `,"column":`...)
	b = strconv.AppendInt(b, int64(l.Column), 10)
	b = append(b, `,"fieldPath":`...)
	b = appendJSONString(b, l.FieldPath)
	b = append(b, `,"object":{"apiVersion":`...)
	b = appendJSONString(b, l.Object.APIVersion)
	b = append(b, `,"kind":`...)
	b = appendJSONString(b, l.Object.Kind)
	b = append(b, `,"namespace":`...)
	b = appendJSONString(b, l.Object.Namespace)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, l.Object.Name)
	b = append(b, '}')
	if l.ValuesKey != "" {
		b = append(b, `,"valuesKey":`...)
		b = appendJSONString(b, l.ValuesKey)
	}
	b = append(b, '}')
	if suppressed {
		b = append(b, `,"suppression":{"reason":`...)
		b = appendJSONString(b, res.Suppressed)
		b = append(b, '}')
	}
	if v := res.Vulnerability; v != nil {
		c := *v
		c.Aliases, c.Fixed = nonNil(c.Aliases), nonNil(c.Fixed)
		b = append(b, `,"vulnerability":`...)
		b = appendMarshal(b, &c)
	}
	return append(b, '}')
}

func appendJSONProblems(b []byte, ps []Problem) []byte {
	for _, p := range ps {
		b = append(b, jsonElemIndent...)
		b = appendMarshal(b, jsonProblem(p))
	}
	return b
}

func (r *jsonRenderer) close(t *Totals) error {
	if r.err != nil {
		return r.err
	}
	b := r.scratch[:0]
	b = closeJSONList(b, r.results > 0, "  ")
	for _, l := range []struct {
		key  string
		list []byte
	}{{"suppressed", r.suppressed}, {"errors", r.errors}, {"notes", r.notes}} {
		b = append(b, ",\n  \""+l.key+"\": ["...)
		if len(l.list) > 0 {
			b = append(b, l.list[1:]...)
		}
		b = closeJSONList(b, len(l.list) > 0, "  ")
	}
	b = append(b, ",\n  \"summary\": "...)
	b = appendMarshal(b, jsonSummary{
		Files:      t.Files,
		Objects:    t.Objects,
		FailOn:     t.FailOn.String(),
		Failed:     t.Failed,
		Errors:     t.Errors,
		RuleErrors: t.RuleErrors,
		ExitCode:   t.ExitCode(),
		BySeverity: jsonCounts{Critical: t.BySeverity[rule.Critical], High: t.BySeverity[rule.High],
			Medium: t.BySeverity[rule.Medium], Low: t.BySeverity[rule.Low], Info: t.BySeverity[rule.Info]},
	})
	b = append(b, "\n}\n"...)
	_, err := r.w.Write(b)
	r.suppressed, r.errors, r.notes, r.scratch = nil, nil, nil, nil
	return err
}

// closeJSONList ends a list whose entries each sit on their own line.
func closeJSONList(b []byte, nonEmpty bool, indent string) []byte {
	if nonEmpty {
		b = append(b, '\n')
		b = append(b, indent...)
	}
	return append(b, ']')
}

// appendMarshal appends v encoded compactly by encoding/json, without HTML escaping. It
// is for the small parts of a document; v's types cannot fail to encode.
func appendMarshal(b []byte, v any) []byte {
	buf := jsonBuffer{b: b}
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("report: encoding " + err.Error())
	}
	return buf.b[:len(buf.b)-1] // Encode ends with a newline
}

type jsonBuffer struct{ b []byte }

func (j *jsonBuffer) Write(p []byte) (int, error) {
	j.b = append(j.b, p...)
	return len(p), nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaped exactly as encoding/json does
// without HTML escaping: quotes, backslashes and control characters are escaped, invalid
// UTF-8 becomes \ufffd, and U+2028 and U+2029 are escaped.
func appendJSONString[S string | []byte](b []byte, s S) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		// A string of at most utf8.UTFMax bytes, which does not escape to the heap.
		r, size := utf8.DecodeRuneInString(string(s[i:min(len(s), i+utf8.UTFMax)]))
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// ruleCache holds what a renderer derives from each rule once, keyed by the rule's
// metadata. A result without metadata uses the placeholder of meta(). The cache is
// emptied should it ever grow past maxCachedRules, so that a caller minting metadata
// per result costs time, not memory.
type ruleCache[T any] struct {
	m     map[*rule.Meta]*T
	build func(*rule.Meta) *T
}

const maxCachedRules = 4096

func newRuleCache[T any](build func(*rule.Meta) *T) ruleCache[T] {
	return ruleCache[T]{m: map[*rule.Meta]*T{}, build: build}
}

func (c *ruleCache[T]) get(res *rule.Result) *T {
	m := res.Meta
	if m == nil {
		m = unknownMeta(res.Severity)
	}
	if v, ok := c.m[m]; ok {
		return v
	}
	if len(c.m) >= maxCachedRules {
		clear(c.m)
	}
	v := c.build(m)
	c.m[m] = v
	return v
}
