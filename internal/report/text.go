package report

import (
	"bufio"
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kharden/kharden/internal/rule"
)

// The text format is for people. First the config the run applied, then per file, in
// file order:
//
//	config: .kharden.yaml (--config)
//
//	deploy/web.yaml
//	  3:1    error     did not find expected key
//	  12:7   critical  KM-0004 privileged  container "web" runs privileged
//	         Deployment shop/web  spec.template.spec.containers[0].securityContext.privileged
//	  20:13  note      suppression "host-ports" on Deployment shop/web matches no finding
//	  1 suppressed
//
// then one summary line. Files are listed in the order of the stream's parts and, within
// a part, in file order (so Write lists all files in order). Within a file, positions
// and labels are padded to a common width; rows are ordered by position and, at one position, load errors come before
// results and results before notes. A result's status is shown when it is not "fail"
// ([error], [manual]); further lines of a multi-line message, then the object and field
// path, follow indented. Suppressed results are counted, not listed. Files with
// nothing to say are not listed.
//
// Whatever comes from the input (file names, object names, namespaces, field paths,
// messages) is written through appendEscaped, so that it cannot act on the terminal or
// forge a line: each field stays on its line. The one message kharden writes on several
// lines is a rule error's (the error, then a stack trace); any other newline in a
// message came from the input and is shown as \n.

const (
	ansiReset   = "\x1b[0m"
	ansiBoldRed = "\x1b[1;31m"
	ansiRed     = "\x1b[31m"
	ansiYellow  = "\x1b[33m"
	ansiCyan    = "\x1b[36m"
	ansiDim     = "\x1b[2m"
)

var severityColor = map[rule.Severity]string{
	rule.Critical: ansiBoldRed,
	rule.High:     ansiRed,
	rule.Medium:   ansiYellow,
	rule.Low:      ansiCyan,
	rule.Info:     ansiDim,
}

// textRow is one line of a file's block, with the lines that follow it.
type textRow struct {
	line, col int
	order     int // 0 error, 1 result, 2 note: the tie-break at one position
	label     string
	color     string
	res       *rule.Result // a result's row; nil for a problem's
	text      string       // a problem's message
}

type textFile struct {
	rows       []textRow
	suppressed int
}

// textRenderer writes each part's files as the part comes, and the summary at the end.
type textRenderer struct {
	w       *bufio.Writer
	opt     Options
	files   map[string]*textFile // the files of the part being rendered
	names   []string
	spare   []*textFile // emptied files, reused from part to part
	scratch []byte
	err     error // the first error writing the header
}

func newTextRenderer(w *bufio.Writer, opt Options, head *Report) *textRenderer {
	r := &textRenderer{w: w, opt: opt, files: map[string]*textFile{}}
	r.scratch = append(appendEscaped(append(r.scratch, "config: "...), head.Config.String()), "\n\n"...)
	_, r.err = w.Write(r.scratch)
	return r
}

func (r *textRenderer) add(part *Report, _ *Totals) error {
	if r.err != nil {
		return r.err
	}
	r.names = r.names[:0]
	get := func(name string) *textFile {
		f := r.files[name]
		if f == nil {
			if n := len(r.spare); n > 0 {
				f, r.spare = r.spare[n-1], r.spare[:n-1]
			} else {
				f = &textFile{}
			}
			r.files[name] = f
			r.names = append(r.names, name)
		}
		return f
	}
	for _, p := range part.Errors {
		f := get(p.File)
		f.rows = append(f.rows, textRow{line: p.Line, col: p.Column, order: 0,
			label: "error", color: ansiBoldRed, text: p.Message})
	}
	for i := range part.Results {
		res := &part.Results[i]
		f := get(res.Location.File)
		f.rows = append(f.rows, textRow{line: res.Location.Line, col: res.Location.Column, order: 1,
			label: res.Severity.String(), color: severityColor[res.Severity], res: res})
	}
	for _, p := range part.Notes {
		f := get(p.File)
		f.rows = append(f.rows, textRow{line: p.Line, col: p.Column, order: 2, label: "note", text: p.Message})
	}
	for i := range part.Suppressed {
		get(part.Suppressed[i].Location.File).suppressed++
	}
	sort.Strings(r.names)
	for _, name := range r.names {
		r.scratch = appendTextFile(r.scratch[:0], name, r.files[name], r.opt)
		if _, err := r.w.Write(r.scratch); err != nil {
			return err
		}
	}
	// Let the part go, keeping what is small enough to reuse.
	for _, f := range r.files {
		if cap(f.rows) <= 1024 && len(r.spare) < 64 {
			clear(f.rows)
			f.rows, f.suppressed = f.rows[:0], 0
			r.spare = append(r.spare, f)
		}
	}
	clear(r.files)
	if cap(r.scratch) > bufSize {
		r.scratch = nil
	}
	return nil
}

func (r *textRenderer) close(t *Totals) error {
	if r.err != nil {
		return r.err
	}
	_, err := fmt.Fprintln(r.w, textSummary(t))
	return err
}

func appendTextFile(b []byte, name string, f *textFile, opt Options) []byte {
	if name == "" {
		name = "(no file)"
	}
	b = append(appendEscaped(b, name), '\n')
	slices.SortStableFunc(f.rows, func(a, b textRow) int {
		if c := cmp.Compare(a.line, b.line); c != 0 {
			return c
		}
		if c := cmp.Compare(a.col, b.col); c != 0 {
			return c
		}
		return cmp.Compare(a.order, b.order)
	})
	posW, labelW := 0, 0
	for i := range f.rows {
		posW = max(posW, positionLen(f.rows[i].line, f.rows[i].col))
		labelW = max(labelW, len(f.rows[i].label))
	}
	indent := 2 + posW + 2 // of the lines under a row
	for i := range f.rows {
		row := &f.rows[i]
		b = append(b, "  "...)
		n := len(b)
		b = appendPosition(b, row.line, row.col)
		b = appendSpaces(b, posW-(len(b)-n)+2)
		if opt.Color && row.color != "" {
			b = append(append(append(b, row.color...), row.label...), ansiReset...)
		} else {
			b = append(b, row.label...)
		}
		b = appendSpaces(b, labelW-len(row.label)+2)
		text, lines := row.text, false
		if res := row.res; res != nil {
			m := meta(*res)
			b = append(appendEscaped(append(appendEscaped(b, m.ID), ' '), m.Slug), "  "...)
			if res.Status != rule.Fail && res.Status != "" {
				b = append(appendEscaped(append(b, '['), string(res.Status)), "] "...)
			}
			// Only a rule error's message is kharden's own on several lines (the
			// error, then a stack trace); in any other, a newline came from the input.
			text, lines = res.Message, res.Status == rule.Error
		}
		first, rest, more := text, "", false
		if lines {
			first, rest, more = strings.Cut(text, "\n")
		}
		b = append(appendEscaped(b, first), '\n')
		for more {
			first, rest, more = strings.Cut(rest, "\n")
			b = append(appendEscaped(appendSpaces(b, indent), first), '\n')
		}
		if res := row.res; res != nil {
			o, fp := &res.Location.Object, res.Location.FieldPath
			object := o.Kind != "" || o.Name != ""
			if object || fp != "" {
				b = appendSpaces(b, indent)
				if object {
					b = append(appendEscaped(b, o.Kind), ' ')
					if o.Namespace != "" {
						b = append(appendEscaped(b, o.Namespace), '/')
					}
					b = appendEscaped(b, o.Name)
					if fp != "" {
						b = append(b, "  "...)
					}
				}
				b = append(appendEscaped(b, fp), '\n')
			}
		}
	}
	if f.suppressed > 0 {
		b = append(strconv.AppendInt(append(b, "  "...), int64(f.suppressed), 10), " suppressed\n"...)
	}
	return append(b, '\n')
}

func appendSpaces(b []byte, n int) []byte {
	for range n {
		b = append(b, ' ')
	}
	return b
}

// position is "line:column", "line" without a column, or "-" when the place is unknown.
func position(line, col int) string {
	return string(appendPosition(nil, line, col))
}

func appendPosition(b []byte, line, col int) []byte {
	switch {
	case line <= 0:
		return append(b, '-')
	case col <= 0:
		return strconv.AppendInt(b, int64(line), 10)
	default:
		return strconv.AppendInt(append(strconv.AppendInt(b, int64(line), 10), ':'), int64(col), 10)
	}
}

// positionLen is len(position(line, col)).
func positionLen(line, col int) int {
	switch {
	case line <= 0:
		return 1
	case col <= 0:
		return digits(line)
	default:
		return digits(line) + 1 + digits(col)
	}
}

func digits(n int) int {
	d := 1
	for ; n >= 10; n /= 10 {
		d++
	}
	return d
}

// textSummary is the last line, which ends with the verdict and the exit code it
// gives, for example:
//
//	3 findings (1 critical, 1 high, 1 medium, 0 low, 0 info), 1 suppressed, 0 errors, 1 note in 2 files, 3 objects: FAIL, exit 1 (2 at or above high)
//	0 findings (...), 0 suppressed, 1 error, 0 notes in 1 file, 0 objects: ERROR, exit 2 (1 error: what could not be checked is not judged)
func textSummary(t *Totals) string {
	var b strings.Builder
	b.WriteString(plural(t.Results, "finding"))
	b.WriteString(" (")
	for i, s := range severitiesDesc {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d %s", t.BySeverity[s], s)
	}
	b.WriteString(")")
	errs := t.Errors + t.RuleErrors
	fmt.Fprintf(&b, ", %d suppressed, %s, %s in ", t.Suppressed, plural(errs, "error"), plural(t.Notes, "note"))
	if t.Files > 0 || t.Objects == 0 {
		fmt.Fprintf(&b, "%s, ", plural(t.Files, "file"))
	}
	fmt.Fprintf(&b, "%s: ", plural(t.Objects, "object")) // objects without files: a live cluster
	switch {
	case errs > 0:
		fmt.Fprintf(&b, "ERROR, exit 2 (%s: what could not be checked is not judged", plural(errs, "error"))
		if t.Failing > 0 {
			fmt.Fprintf(&b, "; %d at or above %s", t.Failing, t.FailOn)
		}
		b.WriteString(")")
	case t.Failing > 0:
		fmt.Fprintf(&b, "FAIL, exit 1 (%d at or above %s)", t.Failing, t.FailOn)
	default:
		fmt.Fprintf(&b, "PASS, exit 0 (none at or above %s)", t.FailOn)
	}
	return b.String()
}

// severitiesDesc lists severities from the most to the least severe.
var severitiesDesc = []rule.Severity{rule.Critical, rule.High, rule.Medium, rule.Low, rule.Info}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
