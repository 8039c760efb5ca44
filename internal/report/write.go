package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/kharden/kharden/internal/rule"
)

// Formats lists the output formats Write accepts, in the order the CLI shows them.
var Formats = []string{"text", "json", "sarif", "junit", "html"}

// Options tune rendering. Only the text format reads them today.
type Options struct {
	// Color turns on ANSI colours for severities in text output. The CLI sets it when
	// standard output is a terminal and NO_COLOR is unset; renderers never guess.
	Color bool
}

// Homepage is where the SARIF driver's informationUri points.
const Homepage = "https://github.com/kharden/kharden"

// RuleDocURL is the page documenting a rule, used as SARIF helpUri: Meta.HelpURI when
// set (an advisory's page), else the layout `go generate` writes: docs/rules/<ID>.md.
func RuleDocURL(m *rule.Meta) string {
	if m.HelpURI != "" {
		return m.HelpURI
	}
	return Homepage + "/blob/main/docs/rules/" + m.ID + ".md"
}

// Stream renders a report piece by piece, so a scan never holds more than one input's
// results: memory is bounded by one part plus small buffers, whatever the size of the run.
//
// A Stream is not safe for concurrent use.
type Stream interface {
	// Add renders one part: the results, suppressed results, errors and notes of one input
	// (part.Files and part.Objects count what it covers; part.Scanned names its file(s)).
	// Parts arrive in the order they should be shown; Add sorts within a part (see
	// Report.Sort), in place. It ignores part.Tool, Version, Rules and FailOn, and keeps
	// no reference to part or its slices once it returns.
	//
	// A part marked Continued goes on in the next one: the formats that lay out a file
	// whole (text aligns its positions, JUnit counts its cases first) hold the run of
	// parts until its last one and render them as one part; the others render each
	// piece as it comes, which is the same when the pieces hold results only, each sorted
	// after the one before. This lets a caller hand over one file's many results in
	// pieces.
	Add(part *Report) error
	// Close writes whatever comes after the last part (summary, closing brackets),
	// flushes, and returns the totals.
	Close() (Totals, error)
}

// Totals are the running sums over all parts.
type Totals struct {
	Files, Objects int
	// Results counts the unsuppressed findings: results (Report.Results) with status
	// fail. A result with status error is no finding of a severity: RuleErrors counts it.
	Results int
	// BySeverity counts the findings per severity (indexed by rule.Severity). Severities
	// out of range are counted in Results only.
	BySeverity [5]int
	Suppressed int
	Errors     int // load/input problems
	RuleErrors int // unsuppressed results with status Error
	Notes      int
	// Failing counts the findings at or above FailOn.
	Failing int
	FailOn  rule.Severity
	// Failed tells whether some finding is at or above FailOn (Failing > 0), as
	// Report.Failed does.
	Failed bool
}

// ExitCode is the exit code the totals call for: 2 when something could not be
// checked (an input or a rule error), else 1 when a finding is at or above FailOn, else 0.
func (t *Totals) ExitCode() int {
	switch {
	case t.Errors+t.RuleErrors > 0:
		return 2
	case t.Failed:
		return 1
	}
	return 0
}

// add counts one part.
func (t *Totals) add(p *Report) {
	t.Files += p.Files
	t.Objects += p.Objects
	for i := range p.Results {
		res := &p.Results[i]
		if res.Status == rule.Error {
			t.RuleErrors++
			continue
		}
		t.Results++
		if res.Severity >= rule.Info && res.Severity <= rule.Critical {
			t.BySeverity[res.Severity]++
		}
		if res.Severity >= t.FailOn {
			t.Failing++
		}
	}
	t.Suppressed += len(p.Suppressed)
	t.Errors += len(p.Errors)
	t.Notes += len(p.Notes)
	t.Failed = t.Failing > 0
}

// renderer is one format's half of a Stream: the stream keeps the totals and the
// buffered writer, the renderer turns parts into bytes.
type renderer interface {
	// add renders a sorted part; t already counts it.
	add(p *Report, t *Totals) error
	// close writes the end of the document.
	close(t *Totals) error
}

// bufSize is the size of a stream's output buffer.
const bufSize = 64 << 10

// NewStream starts a report in the named format (one of Formats); head carries Tool,
// Version, Rules (the rules that run, for SARIF rules[]), OpenRules and FailOn. Whatever head holds
// besides is not rendered (Write passes its whole report as head so that SARIF's
// rules[] also lists any rule its results name that Rules lacks).
//
// Output goes through a buffer: nothing is guaranteed to reach w before Close. An
// unknown format is an error before anything is written.
func NewStream(w io.Writer, format string, opt Options, head *Report) (Stream, error) {
	if head == nil {
		head = &Report{}
	}
	s := &stream{format: format, w: bufio.NewWriterSize(w, bufSize), t: Totals{FailOn: head.FailOn}}
	switch format {
	case "text":
		s.r, s.whole = newTextRenderer(s.w, opt, head), true
	case "json":
		s.r = newJSONRenderer(s.w, head)
	case "sarif":
		s.r = newSARIFRenderer(s.w, head)
	case "junit":
		s.r, s.whole = newJUnitRenderer(s.w, head), true
	case "html":
		s.r = newHTMLRenderer(s.w, head)
	default:
		return nil, fmt.Errorf("unknown output format %q (want one of %s)", format, strings.Join(Formats, ", "))
	}
	return s, nil
}

type stream struct {
	format string
	w      *bufio.Writer
	r      renderer
	t      Totals
	closed bool
	// whole is set for the formats that render a run of continued parts as one (see
	// Stream.Add); run is the run so far.
	whole bool
	run   *Report
}

var errClosed = errors.New("report stream already closed")

func (s *stream) Add(p *Report) error {
	if s.closed {
		return errClosed
	}
	if p == nil {
		return nil
	}
	p.sortContent()
	s.t.add(p)
	if s.whole && (p.Continued || s.run != nil) {
		if s.run == nil {
			s.run = &Report{}
		}
		s.run.merge(p)
		if p.Continued {
			return nil
		}
		p, s.run = s.run, nil
		p.sortContent()
	}
	if err := s.r.add(p, &s.t); err != nil {
		return fmt.Errorf("writing %s report: %w", s.format, err)
	}
	return nil
}

// merge appends p's content to r (sharing none of p's slices).
func (r *Report) merge(p *Report) {
	r.Files += p.Files
	r.Objects += p.Objects
	r.Scanned = append(r.Scanned, p.Scanned...)
	r.Results = append(r.Results, p.Results...)
	r.Suppressed = append(r.Suppressed, p.Suppressed...)
	r.Errors = append(r.Errors, p.Errors...)
	r.Notes = append(r.Notes, p.Notes...)
}

func (s *stream) Close() (Totals, error) {
	if s.closed {
		return s.t, errClosed
	}
	s.closed = true
	var err error
	if s.run != nil { // a last part marked Continued: the run ends with it
		p := s.run
		s.run = nil
		p.sortContent()
		err = s.r.add(p, &s.t)
	}
	if err == nil {
		err = s.r.close(&s.t)
	}
	if ferr := s.w.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return s.t, fmt.Errorf("writing %s report: %w", s.format, err)
	}
	return s.t, nil
}

// Write renders rep in the named format (one of Formats): a Stream with rep as head,
// fed one part per file in file order. The streaming path gives the same bytes for the
// same content when its parts are those files in that order.
//
// Every format is deterministic: the caller's report is left as it was and need not be
// sorted first.
func Write(w io.Writer, rep *Report, format string, opt Options) error {
	s, err := NewStream(w, format, opt, rep)
	if err != nil {
		return err
	}
	for _, part := range splitByFile(rep) {
		if err := s.Add(part); err != nil {
			return err
		}
	}
	_, err = s.Close()
	return err
}

// splitByFile cuts rep's content into one part per file, in file order; the first part
// carries rep's Files and Objects counts. The parts share no slice with rep.
func splitByFile(rep *Report) []*Report {
	parts := map[string]*Report{}
	get := func(name string) *Report {
		p := parts[name]
		if p == nil {
			p = &Report{}
			parts[name] = p
		}
		return p
	}
	for _, name := range rep.Scanned {
		if p := get(name); len(p.Scanned) == 0 {
			p.Scanned = []string{name}
		}
	}
	for _, res := range rep.Results {
		p := get(res.Location.File)
		p.Results = append(p.Results, res)
	}
	for _, res := range rep.Suppressed {
		p := get(res.Location.File)
		p.Suppressed = append(p.Suppressed, res)
	}
	for _, e := range rep.Errors {
		p := get(e.File)
		p.Errors = append(p.Errors, e)
	}
	for _, n := range rep.Notes {
		p := get(n.File)
		p.Notes = append(p.Notes, n)
	}
	names := make([]string, 0, len(parts))
	for name := range parts {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]*Report, 0, len(names)+1)
	for _, name := range names {
		out = append(out, parts[name])
	}
	if len(out) == 0 {
		out = append(out, &Report{})
	}
	out[0].Files, out[0].Objects = rep.Files, rep.Objects
	return out
}

// toolName is the reported tool name, "kharden" unless the report says otherwise.
func (r *Report) toolName() string {
	if r.Tool != "" {
		return r.Tool
	}
	return "kharden"
}

// objectRef names an object as Kind/namespace/name, or Kind/name when it is cluster-scoped;
// "" when the result is not about an object.
func objectRef(o rule.Object) string {
	if o.Kind == "" && o.Name == "" {
		return ""
	}
	if o.Namespace != "" {
		return o.Kind + "/" + o.Namespace + "/" + o.Name
	}
	return o.Kind + "/" + o.Name
}

// meta returns the result's metadata, or a placeholder so a malformed result still renders.
func meta(res rule.Result) *rule.Meta {
	if res.Meta != nil {
		return res.Meta
	}
	return unknownMeta(res.Severity)
}

// unknownMetas are the placeholders meta returns, one per severity, so that a stream of
// malformed results does not allocate one each.
var unknownMetas = func() (ms [5]*rule.Meta) {
	for s := range ms {
		ms[s] = &rule.Meta{ID: "unknown", Slug: "unknown", Title: "Unknown rule", Severity: rule.Severity(s)}
	}
	return ms
}()

func unknownMeta(s rule.Severity) *rule.Meta {
	if s >= rule.Info && s <= rule.Critical {
		return unknownMetas[s]
	}
	return &rule.Meta{ID: "unknown", Slug: "unknown", Title: "Unknown rule", Severity: s}
}

// nonNil turns a nil slice into an empty one, so JSON shows [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
