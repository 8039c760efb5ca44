package report

import (
	"encoding/xml"
	"io"
	"sort"
	"strings"

	"github.com/kharden/kharden/internal/rule"
)

// The JUnit format is for CI dashboards, in the common Ant/Surefire dialect:
//
//   - one <testsuite> per file (name = the file), files in order;
//   - one <testcase> per load error, with <error type="load">;
//   - one <testcase> per unsuppressed result (classname = the file, name =
//     "RULE-ID slug Kind/namespace/name fieldPath"), with <failure type=severity>,
//     or <error type=severity> when the rule could not be evaluated;
//   - one <testcase> per suppressed result, with <skipped> giving the reason;
//   - one passing <testcase> named "no findings" for a file with no result and no
//     load error (files come from Report.Scanned as well as from what was found);
//   - notes as lines of the suite's <system-out>.
//
// No time attributes are written, so output is byte-for-byte reproducible.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Cases     []junitCase `xml:"testcase"`
	SystemOut *junitText  `xml:"system-out,omitempty"`
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

func writeJUnit(w io.Writer, r *Report, _ Options) error {
	type fileData struct {
		errors, notes   []Problem
		results, supprd []rule.Result
	}
	files := map[string]*fileData{}
	get := func(name string) *fileData {
		if name == "" {
			name = "(no file)"
		}
		f := files[name]
		if f == nil {
			f = &fileData{}
			files[name] = f
		}
		return f
	}
	for _, name := range r.Scanned {
		get(name)
	}
	for _, p := range r.Errors {
		f := get(p.File)
		f.errors = append(f.errors, p)
	}
	for _, p := range r.Notes {
		f := get(p.File)
		f.notes = append(f.notes, p)
	}
	for _, res := range r.Results {
		f := get(res.Location.File)
		f.results = append(f.results, res)
	}
	for _, res := range r.Suppressed {
		f := get(res.Location.File)
		f.supprd = append(f.supprd, res)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)

	out := junitSuites{Name: r.toolName(), Suites: []junitSuite{}}
	for _, name := range names {
		f := files[name]
		s := junitSuite{Name: name}
		for _, p := range f.errors {
			s.Cases = append(s.Cases, junitCase{Name: "load error at " + position(p.Line, p.Column), Classname: name,
				Error: &junitProblem{Message: p.Message, Type: "load", Body: problemPos(name, p.Line, p.Column) + "\n" + p.Message}})
			s.Errors++
		}
		for _, res := range f.results {
			c := junitCase{Name: junitName(res), Classname: name}
			pr := &junitProblem{Message: firstLine(res.Message), Type: res.Severity.String(), Body: junitBody(name, res)}
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
			s.Cases = append(s.Cases, junitCase{Name: junitName(res), Classname: name,
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
			s.SystemOut = &junitText{Text: strings.Join(notes, "\n")}
		}
		s.Tests = len(s.Cases)
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Skipped += s.Skipped
		out.Suites = append(out.Suites, s)
	}

	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
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
