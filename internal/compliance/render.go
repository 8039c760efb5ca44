package compliance

import (
	"bufio"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/kharden/kharden/internal/report"
)

// Formats lists the formats Write accepts.
var Formats = []string{"text", "json", "html"}

// maxShown is how many findings a control lists in text and HTML; JSON lists them all.
const maxShown = 20

// Write renders r in a format of Formats.
func Write(w io.Writer, r *Result, format string) error {
	switch format {
	case "text":
		return writeText(w, r)
	case "json":
		return writeJSON(w, r)
	case "html":
		return writeHTML(w, r)
	}
	return fmt.Errorf("unknown output format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// label is how text shows a status: upper case, padded.
func label(s Status) string { return fmt.Sprintf("%-12s", strings.ToUpper(string(s))) }

// place is a finding's file:line and object, as the text and HTML show it.
func place(f *Finding) string {
	p := f.Location.File
	if f.Location.Line > 0 {
		p += ":" + strconv.Itoa(f.Location.Line)
	}
	if o := f.Location.Object; o.Kind != "" || o.Name != "" {
		obj := o.Kind + " "
		if o.Namespace != "" {
			obj += o.Namespace + "/"
		}
		p += " " + obj + o.Name
	}
	return p
}

// summary is the one-line count of controls by status.
func summary(r *Result) string {
	counts := r.Counts()
	var parts []string
	for _, s := range Statuses {
		parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
	}
	return fmt.Sprintf("%s of %d controls", strings.Join(parts, ", "), len(r.Controls))
}

// notes are what the reader must know about the input before trusting a pass.
func notes(r *Result) []string {
	var out []string
	if len(r.Input.Unlisted) > 0 {
		out = append(out, fmt.Sprintf("%s do(es) not list the rules that ran (written by an older kharden): only rules with a result count as run there",
			strings.Join(r.Input.Unlisted, ", ")))
	}
	if r.Input.Errors > 0 {
		out = append(out, fmt.Sprintf("the results record %d input error(s): some inputs were not checked", r.Input.Errors))
	}
	return out
}

func writeText(w io.Writer, r *Result) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%s — kharden report over %s\n", r.Framework.Title, report.Escape(strings.Join(r.Input.Files, ", ")))
	for _, n := range notes(r) {
		fmt.Fprintf(bw, "note: %s\n", report.Escape(n))
	}
	section := ""
	for i := range r.Controls {
		c := &r.Controls[i]
		if c.Section != section {
			section = c.Section
			fmt.Fprintf(bw, "\n== %s\n", section)
		}
		fmt.Fprintf(bw, "%s %s  %s", label(c.Status), c.ID, c.Title)
		if c.Manual {
			fmt.Fprint(bw, " (Manual)")
		}
		fmt.Fprintln(bw)
		switch c.Status {
		case NotCovered:
			continue
		case NotRun:
			fmt.Fprintf(bw, "             checked by %s, which did not run", strings.Join(c.Rules, ", "))
			if len(c.Off) > 0 {
				fmt.Fprintf(bw, " (off by default: %s; --enable or the config turns them on)", strings.Join(c.Off, ", "))
			}
			fmt.Fprintln(bw)
			continue
		}
		for j, f := range c.Findings {
			if j == maxShown {
				fmt.Fprintf(bw, "             … and %d more (-o json lists them all)\n", len(c.Findings)-maxShown)
				break
			}
			status := f.Status
			if f.Suppressed {
				status = "suppressed"
			}
			fmt.Fprintf(bw, "             %s %s %s  %s  %s\n", f.RuleID, f.Severity, status,
				report.Escape(place(&f)), report.Escape(f.Message))
		}
	}
	fmt.Fprintf(bw, "\n== Summary: %s\n", summary(r))
	return bw.Flush()
}

// The JSON document: stable like the scan's (fields may be added, never renamed).
type jsonDoc struct {
	Framework jsonFramework  `json:"framework"`
	Inputs    []string       `json:"inputs"`
	Notes     []string       `json:"notes"`
	Controls  []jsonControl  `json:"controls"`
	Summary   map[Status]int `json:"summary"`
}

type jsonFramework struct {
	Name  string `json:"name"`
	Title string `json:"title"`
}

type jsonControl struct {
	ID       string    `json:"id"`
	Section  string    `json:"section"`
	Title    string    `json:"title"`
	Manual   bool      `json:"manual"`
	Status   Status    `json:"status"`
	Rules    []string  `json:"rules"`
	Ran      []string  `json:"ran"`
	Off      []string  `json:"offByDefault"`
	Findings []Finding `json:"findings"`
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func writeJSON(w io.Writer, r *Result) error {
	doc := jsonDoc{Framework: jsonFramework{r.Framework.Name, r.Framework.Title}, Inputs: nonNil(r.Input.Files),
		Notes: nonNil(notes(r)), Summary: map[Status]int{}}
	for _, s := range Statuses {
		doc.Summary[s] = 0
	}
	for s, n := range r.Counts() {
		doc.Summary[s] = n
	}
	for _, c := range r.Controls {
		doc.Controls = append(doc.Controls, jsonControl{ID: c.ID, Section: c.Section, Title: c.Title, Manual: c.Manual,
			Status: c.Status, Rules: nonNil(c.Rules), Ran: nonNil(c.Ran), Off: nonNil(c.Off), Findings: nonNil(c.Findings)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

//go:embed report.css
var htmlStyle string

// htmlPolicy allows the page its one style sheet, by hash, and nothing else: the page
// has no script, so findings (hostile input) can only ever be text, which html/template
// escapes.
func htmlPolicy() string {
	sum := sha256.Sum256([]byte(htmlStyle))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; base-uri 'none'; form-action 'none'"
}

var htmlPage = template.Must(template.New("page").Funcs(template.FuncMap{
	"upper": func(s Status) string { return strings.ToUpper(string(s)) },
	"place": func(f Finding) string { return place(&f) },
	"shown": func(fs []Finding) []Finding {
		if len(fs) > maxShown {
			return fs[:maxShown]
		}
		return fs
	},
	"more": func(fs []Finding) int { return max(0, len(fs)-maxShown) },
	"join": strings.Join,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.Policy}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.R.Framework.Title}} — kharden report</title>
<style>{{.Style}}</style>
</head>
<body>
<header>
<h1>{{.R.Framework.Title}}</h1>
<p class="meta">kharden report over {{join .R.Input.Files ", "}}</p>
{{range .Notes}}<p class="note">note: {{.}}</p>
{{end}}<p class="counts">{{range .Counts}}<span class="st st-{{.S}}">{{upper .S}} {{.N}}</span> {{end}}</p>
</header>
<main>
{{range .Sections}}<h2>{{.Name}}</h2>
{{range .Controls}}<details class="c st-{{.Status}}"{{if eq .Status "fail"}} open{{end}}>
<summary><span class="st st-{{.Status}}">{{upper .Status}}</span> <b>{{.ID}}</b> {{.Title}}{{if .Manual}} <i>(Manual)</i>{{end}}</summary>
{{if .Rules}}<p class="meta">checked by {{join .Rules ", "}}{{if not .Ran}} — none of them ran{{with .Off}} ({{join . ", "}} off by default){{end}}{{end}}</p>{{else}}<p class="meta">no kharden rule checks this control</p>{{end}}
{{if .Findings}}<table><thead><tr><th>rule</th><th>severity</th><th>status</th><th>place</th><th>message</th></tr></thead><tbody>
{{range shown .Findings}}<tr><td>{{.RuleID}} {{.Slug}}</td><td>{{.Severity}}</td><td>{{if .Suppressed}}suppressed{{else}}{{.Status}}{{end}}</td><td>{{place .}}</td><td>{{.Message}}</td></tr>
{{end}}</tbody></table>{{with more .Findings}}<p class="meta">… and {{.}} more (-o json lists them all)</p>{{end}}
{{end}}</details>
{{end}}{{end}}</main>
</body>
</html>
`))

type htmlSection struct {
	Name     string
	Controls []ControlResult
}

type htmlCount struct {
	S Status
	N int
}

func writeHTML(w io.Writer, r *Result) error {
	var sections []htmlSection
	for _, c := range r.Controls {
		if len(sections) == 0 || sections[len(sections)-1].Name != c.Section {
			sections = append(sections, htmlSection{Name: c.Section})
		}
		s := &sections[len(sections)-1]
		s.Controls = append(s.Controls, c)
	}
	counts := r.Counts()
	var cs []htmlCount
	for _, s := range Statuses {
		cs = append(cs, htmlCount{s, counts[s]})
	}
	bw := bufio.NewWriter(w)
	err := htmlPage.Execute(bw, map[string]any{
		"Policy": htmlPolicy(), "Style": template.CSS(htmlStyle), "R": r, "Notes": notes(r),
		"Sections": sections, "Counts": cs,
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}
