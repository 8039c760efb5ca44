package report

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/kharden/kharden/internal/rule"
)

// The text format is for people. Per file, in file order:
//
//	deploy/web.yaml
//	  3:1    error     did not find expected key
//	  12:7   critical  KM-0004 privileged  container "web" runs privileged
//	         Deployment shop/web  spec.template.spec.containers[0].securityContext.privileged
//	  20:13  note      suppression "host-ports" on Deployment shop/web matches no finding
//	  1 suppressed
//
// then one summary line. Within a file, positions and labels are padded to a common
// width; rows are ordered by position and, at one position, load errors come before
// results and results before notes. A result's status is shown when it is not "fail"
// ([error], [manual]); further lines of a multi-line message, then the object and field
// path, follow indented. Suppressed results are counted, not listed. Files with
// nothing to say are not listed.

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

// textRow is one line of a file's block (plus an optional detail line under it).
type textRow struct {
	line, col int
	order     int // 0 error, 1 result, 2 note: the tie-break at one position
	label     string
	color     string
	text      string
	detail    string
}

type textFile struct {
	rows       []textRow
	suppressed int
}

func writeText(w io.Writer, r *Report, opt Options) error {
	bw := bufio.NewWriter(w)
	files := map[string]*textFile{}
	get := func(name string) *textFile {
		f := files[name]
		if f == nil {
			f = &textFile{}
			files[name] = f
		}
		return f
	}
	for _, p := range r.Errors {
		get(p.File).rows = append(get(p.File).rows, textRow{line: p.Line, col: p.Column, order: 0,
			label: "error", color: ansiBoldRed, text: p.Message})
	}
	for _, res := range r.Results {
		m := meta(res)
		text := m.ID + " " + m.Slug + "  "
		if res.Status != rule.Fail && res.Status != "" {
			text += "[" + string(res.Status) + "] "
		}
		text += res.Message
		detail := res.Location.Object.String()
		if res.Location.Object.Kind == "" && res.Location.Object.Name == "" {
			detail = ""
		}
		if fp := res.Location.FieldPath; fp != "" {
			if detail != "" {
				detail += "  "
			}
			detail += fp
		}
		get(res.Location.File).rows = append(get(res.Location.File).rows, textRow{line: res.Location.Line,
			col: res.Location.Column, order: 1, label: res.Severity.String(), color: severityColor[res.Severity],
			text: text, detail: detail})
	}
	for _, p := range r.Notes {
		get(p.File).rows = append(get(p.File).rows, textRow{line: p.Line, col: p.Column, order: 2,
			label: "note", text: p.Message})
	}
	for _, res := range r.Suppressed {
		get(res.Location.File).suppressed++
	}

	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		writeTextFile(bw, name, files[name], opt)
	}
	fmt.Fprintln(bw, textSummary(r))
	return bw.Flush()
}

func writeTextFile(w *bufio.Writer, name string, f *textFile, opt Options) {
	if name == "" {
		name = "(no file)"
	}
	fmt.Fprintln(w, name)
	sort.SliceStable(f.rows, func(i, j int) bool {
		a, b := f.rows[i], f.rows[j]
		if a.line != b.line {
			return a.line < b.line
		}
		if a.col != b.col {
			return a.col < b.col
		}
		return a.order < b.order
	})
	posW, labelW := 0, 0
	for _, row := range f.rows {
		posW = max(posW, len(position(row.line, row.col)))
		labelW = max(labelW, len(row.label))
	}
	detailIndent := strings.Repeat(" ", 2+posW+2)
	for _, row := range f.rows {
		label := row.label + strings.Repeat(" ", labelW-len(row.label))
		if opt.Color && row.color != "" {
			label = row.color + row.label + ansiReset + strings.Repeat(" ", labelW-len(row.label))
		}
		first, rest, _ := strings.Cut(row.text, "\n")
		fmt.Fprintf(w, "  %-*s  %s  %s\n", posW, position(row.line, row.col), label, first)
		if rest != "" {
			for _, l := range strings.Split(rest, "\n") {
				fmt.Fprintf(w, "%s%s\n", detailIndent, l)
			}
		}
		if row.detail != "" {
			fmt.Fprintf(w, "%s%s\n", detailIndent, row.detail)
		}
	}
	if f.suppressed > 0 {
		fmt.Fprintf(w, "  %d suppressed\n", f.suppressed)
	}
	fmt.Fprintln(w)
}

// position is "line:column", "line" without a column, or "-" when the place is unknown.
func position(line, col int) string {
	switch {
	case line <= 0:
		return "-"
	case col <= 0:
		return strconv.Itoa(line)
	default:
		return strconv.Itoa(line) + ":" + strconv.Itoa(col)
	}
}

// textSummary is the last line, for example:
//
//	3 findings (1 critical, 1 high, 1 medium, 0 low, 0 info), 1 suppressed, 1 error, 1 note in 2 files, 3 objects: FAIL (2 at or above high)
func textSummary(r *Report) string {
	counts := r.Counts()
	var b strings.Builder
	b.WriteString(plural(len(r.Results), "finding"))
	b.WriteString(" (")
	for i, s := range severitiesDesc {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d %s", counts[s], s)
	}
	b.WriteString(")")
	fmt.Fprintf(&b, ", %d suppressed, %s, %s in %s, %s: ", len(r.Suppressed), plural(len(r.Errors), "error"),
		plural(len(r.Notes), "note"), plural(r.Files, "file"), plural(r.Objects, "object"))
	if n := r.failing(); n > 0 {
		fmt.Fprintf(&b, "FAIL (%d at or above %s)", n, r.FailOn)
	} else {
		fmt.Fprintf(&b, "PASS (none at or above %s)", r.FailOn)
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
