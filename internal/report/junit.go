package report

import (
	"bufio"
	"encoding/xml"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kharden/kharden/internal/rule"
)

// The JUnit format is for CI dashboards, in the common Ant/Surefire dialect:
//
//   - one <testsuite> per file (name = the file), in the order of the stream's parts
//     and, within a part, in file order (so Write lists all files in order);
//   - one <testcase> per load error, with <error type="load">;
//   - one <testcase> per unsuppressed result (classname = the file, name =
//     "RULE-ID slug Kind/namespace/name fieldPath"), with <failure type=severity>,
//     or <error type=severity> when the rule could not be evaluated;
//   - one <testcase> per suppressed result, with <skipped> giving the reason;
//   - one passing <testcase> named "no findings" for a file with no result and no
//     load error (files come from Report.Scanned as well as from what was found);
//   - notes as lines of the suite's <system-out>;
//   - in every suite, <properties> naming the config file the run applied
//     (kharden.config: its path, "" when none) and how it was chosen
//     (kharden.config.source: flag, found, none or disabled). A report with no suite
//     (nothing scanned) has nowhere to say it.
//
// The document is well-formed whatever the input: what XML 1.0 cannot hold (control
// characters but tab, newline and carriage return; invalid UTF-8) becomes U+FFFD, in
// attributes (appendXMLAttr) as in element text (xmlText).
//
// No time attributes are written, so output is byte-for-byte reproducible. Neither are
// totals on <testsuites>: they would have to be known before the first suite is written,
// and the report streams (each part's suites are written as it is added). The suites
// carry their own totals.

// junitSuites is the document's shape; the renderer writes it piece by piece.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Name    string       `xml:"name,attr"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  *junitText      `xml:"system-out,omitempty"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",cdata"`
}

// junitText is element text kept readable: CDATA keeps line breaks as they are.
type junitText struct {
	Text string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

type junitRenderer struct {
	w       *bufio.Writer
	props   []junitProperty // every suite's
	suites  int             // written so far
	scratch []byte
	err     error
}

func newJUnitRenderer(w *bufio.Writer, head *Report) *junitRenderer {
	r := &junitRenderer{w: w, props: []junitProperty{
		{Name: "kharden.config", Value: head.Config.File},
		{Name: "kharden.config.source", Value: head.Config.source()},
	}}
	// The start tag is left open: the first suite closes it, or Close does when none came.
	_, r.err = io.WriteString(w, xml.Header+`<testsuites name="`)
	if r.err == nil {
		r.err = xml.EscapeText(w, []byte(head.toolName()))
	}
	if r.err == nil {
		_, r.err = io.WriteString(w, `"`)
	}
	return r
}

func (r *junitRenderer) add(p *Report, _ *Totals) error {
	if r.err != nil {
		return r.err
	}
	names, files := junitFiles(p)
	for _, name := range names {
		s := files[name].suite(name)
		s.Properties = r.props
		b := r.scratch[:0]
		if r.suites == 0 {
			b = append(b, ">\n"...) // the end of <testsuites ...>
		} else {
			b = append(b, '\n')
		}
		r.suites++
		b = appendJUnitSuite(b, &s)
		if _, err := r.w.Write(b); err != nil {
			return err
		}
		r.scratch = b[:0]
	}
	if cap(r.scratch) > bufSize {
		r.scratch = nil
	}
	return nil
}

// appendJUnitSuite appends s as xml.MarshalIndent(junitSuites, "", "  ") renders each of
// its suites: what an xml.Encoder indented by ("  ", "  ") writes for
// EncodeElement(s, <testsuite>) at the start of its output. The tests hold it to that.
func appendJUnitSuite(b []byte, s *junitSuite) []byte {
	b = append(b, `  <testsuite name="`...)
	b = appendXMLAttr(b, s.Name)
	b = append(b, `" tests="`...)
	b = strconv.AppendInt(b, int64(s.Tests), 10)
	b = append(b, `" failures="`...)
	b = strconv.AppendInt(b, int64(s.Failures), 10)
	b = append(b, `" errors="`...)
	b = strconv.AppendInt(b, int64(s.Errors), 10)
	b = append(b, `" skipped="`...)
	b = strconv.AppendInt(b, int64(s.Skipped), 10)
	b = append(b, `">`...)
	// encoding/xml writes the parent of "properties>property" even when it is empty.
	b = append(b, "\n    <properties>"...)
	for _, p := range s.Properties {
		b = append(b, "\n      <property name=\""...)
		b = appendXMLAttr(b, p.Name)
		b = append(b, `" value="`...)
		b = appendXMLAttr(b, p.Value)
		b = append(b, `"></property>`...)
	}
	if len(s.Properties) > 0 {
		b = append(b, "\n    "...)
	}
	b = append(b, "</properties>"...)
	for i := range s.Cases {
		c := &s.Cases[i]
		b = append(b, "\n    <testcase name=\""...)
		b = appendXMLAttr(b, c.Name)
		b = append(b, `" classname="`...)
		b = appendXMLAttr(b, c.Classname)
		b = append(b, `">`...)
		b = appendJUnitProblem(b, "failure", c.Failure)
		b = appendJUnitProblem(b, "error", c.Error)
		if c.Skipped != nil {
			b = append(b, "\n      <skipped message=\""...)
			b = appendXMLAttr(b, c.Skipped.Message)
			b = append(b, `"></skipped>`...)
		}
		if c.Failure != nil || c.Error != nil || c.Skipped != nil {
			b = append(b, "\n    "...)
		}
		b = append(b, "</testcase>"...)
	}
	if s.SystemOut != nil {
		b = append(b, "\n    <system-out>"...)
		b = appendCDATA(b, s.SystemOut.Text)
		b = append(b, "</system-out>"...)
	}
	return append(b, "\n  </testsuite>"...)
}

func appendJUnitProblem(b []byte, element string, p *junitProblem) []byte {
	if p == nil {
		return b
	}
	b = append(append(append(b, "\n      <"...), element...), ` message="`...)
	b = appendXMLAttr(b, p.Message)
	b = append(b, `" type="`...)
	b = appendXMLAttr(b, p.Type)
	b = append(b, `">`...)
	b = appendCDATA(b, p.Body)
	return append(append(append(b, "</"...), element...), '>')
}

// appendXMLAttr appends s escaped as encoding/xml escapes attribute values: the five
// markup characters and tab, newline and carriage return as character references, and
// what XML cannot hold (invalid UTF-8, characters outside its range) as U+FFFD.
func appendXMLAttr(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		r, width := utf8.DecodeRuneInString(s[i:])
		i += width
		var esc string
		switch r {
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\t':
			esc = "&#x9;"
		case '\n':
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default:
			if xmlChar(r) && (r != utf8.RuneError || width != 1) {
				continue
			}
			esc = "\uFFFD"
		}
		b = append(append(b, s[last:i-width]...), esc...)
		last = i
	}
	return append(b, s[last:]...)
}

// xmlChar tells whether XML 1.0 allows r in a document.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// xmlText is s with every character XML 1.0 cannot hold (most C0 controls, invalid
// UTF-8, U+FFFE and U+FFFF) replaced by U+FFFD. encoding/xml writes a ",cdata" field as
// it is, so the text that goes into one (from the input: file names, messages) passes
// through here first; otherwise one ESC byte in a name would make the whole report
// unparseable.
func xmlText(s string) string {
	clean := true
	for _, r := range s {
		// Ranging over a string yields U+FFFD for each invalid byte: a genuine U+FFFD
		// takes the slow path too, and comes out the same.
		if !xmlChar(r) || r == utf8.RuneError {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if !xmlChar(r) {
			r = utf8.RuneError
		}
		b.WriteRune(r)
	}
	return b.String()
}

// appendCDATA appends s as encoding/xml writes a ",cdata" field: nothing when s is empty,
// otherwise one CDATA section, split wherever s holds "]]>".
func appendCDATA(b []byte, s string) []byte {
	if s == "" {
		return b
	}
	b = append(b, "<![CDATA["...)
	for {
		before, after, ok := strings.Cut(s, "]]>")
		if !ok {
			break
		}
		b = append(append(b, before...), "]]]]><![CDATA[>"...)
		s = after
	}
	return append(append(b, s...), "]]>"...)
}

// junitFile is what a part holds about one file.
type junitFile struct {
	errors, notes   []Problem
	results, supprd []*rule.Result
}

// junitFiles sorts a part's content by file: the names in order ("" is "(no file)"),
// and the content of each.
func junitFiles(p *Report) ([]string, map[string]*junitFile) {
	files := map[string]*junitFile{}
	get := func(name string) *junitFile {
		if name == "" {
			name = "(no file)"
		}
		f := files[name]
		if f == nil {
			f = &junitFile{}
			files[name] = f
		}
		return f
	}
	for _, name := range p.Scanned {
		get(name)
	}
	for _, e := range p.Errors {
		f := get(e.File)
		f.errors = append(f.errors, e)
	}
	for _, n := range p.Notes {
		f := get(n.File)
		f.notes = append(f.notes, n)
	}
	for i := range p.Results {
		res := &p.Results[i]
		f := get(res.Location.File)
		f.results = append(f.results, res)
	}
	for i := range p.Suppressed {
		res := &p.Suppressed[i]
		f := get(res.Location.File)
		f.supprd = append(f.supprd, res)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	return names, files
}

// suite is the test suite of the file called name.
func (f *junitFile) suite(name string) junitSuite {
	s := junitSuite{Name: name, Cases: make([]junitCase, 0, len(f.errors)+len(f.results)+len(f.supprd)+1)}
	for _, p := range f.errors {
		s.Cases = append(s.Cases, junitCase{Name: "load error at " + position(p.Line, p.Column), Classname: name,
			Error: &junitProblem{Message: p.Message, Type: "load", Body: xmlText(problemPos(name, p.Line, p.Column) + "\n" + p.Message)}})
		s.Errors++
	}
	for _, res := range f.results {
		c := junitCase{Name: junitName(*res), Classname: name}
		pr := &junitProblem{Message: firstLine(res.Message), Type: res.Severity.String(), Body: xmlText(junitBody(name, *res))}
		if res.Status == rule.Error {
			c.Error = pr
			s.Errors++
		} else {
			c.Failure = pr
			s.Failures++
		}
		s.Cases = append(s.Cases, c)
	}
	for _, res := range f.supprd {
		s.Cases = append(s.Cases, junitCase{Name: junitName(*res), Classname: name,
			Skipped: &junitSkipped{Message: "suppressed: " + res.Suppressed}})
		s.Skipped++
	}
	if len(f.errors) == 0 && len(f.results) == 0 {
		s.Cases = append(s.Cases, junitCase{Name: "no findings", Classname: name})
	}
	var notes []string
	for _, p := range f.notes {
		notes = append(notes, problemPos(name, p.Line, p.Column)+": note: "+p.Message)
	}
	if len(notes) > 0 {
		s.SystemOut = &junitText{Text: xmlText(strings.Join(notes, "\n"))}
	}
	s.Tests = len(s.Cases)
	return s
}

func (r *junitRenderer) close(_ *Totals) error {
	if r.err != nil {
		return r.err
	}
	end := "></testsuites>\n"
	if r.suites > 0 {
		end = "\n</testsuites>\n"
	}
	_, err := io.WriteString(r.w, end)
	return err
}

// junitName is "RULE-ID slug Kind/namespace/name fieldPath", without the parts that are empty.
func junitName(res rule.Result) string {
	m := meta(res)
	parts := []string{m.ID, m.Slug}
	if ref := objectRef(res.Location.Object); ref != "" {
		parts = append(parts, ref)
	}
	if res.Location.FieldPath != "" {
		parts = append(parts, res.Location.FieldPath)
	}
	return strings.Join(parts, " ")
}

func junitBody(file string, res rule.Result) string {
	m := meta(res)
	lines := []string{
		problemPos(file, res.Location.Line, res.Location.Column),
		res.Message,
		"Rule: " + m.ID + " " + m.Slug + ": " + m.Title,
	}
	if ps := res.PracticesOf(); len(ps) > 0 {
		lines = append(lines, "Practices: "+strings.Join(ps, ", "))
	}
	if m.Remediation != "" {
		lines = append(lines, "Remediation: "+m.Remediation)
	}
	return strings.Join(lines, "\n")
}

// problemPos is file:line:column, leaving out what is unknown.
func problemPos(file string, line, col int) string {
	if line <= 0 {
		return file
	}
	return file + ":" + position(line, col)
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}
