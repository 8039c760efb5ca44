package audit

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/kharden/kharden/internal/benchmark"
	"github.com/kharden/kharden/internal/rule"
)

// BenchmarkDoc is a benchmark report as data: every item of the benchmark in its
// section and group, with its verdict and the results behind it, as JSON, JUnit and
// SARIF write it, so that the numbered report is machine-readable too.
type BenchmarkDoc struct {
	Tool      BenchmarkTool      `json:"tool"`
	Benchmark string             `json:"benchmark"`
	Title     string             `json:"title"`
	NodeRoot  string             `json:"nodeRoot"`
	Config    string             `json:"config"`
	Sections  []BenchmarkSection `json:"sections"`
	// Totals counts the items by verdict: PASS, FAIL, WARN, ERROR, SKIP.
	Totals map[string]int `json:"totals"`
}

// BenchmarkTool names the program that wrote the report.
type BenchmarkTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// BenchmarkSection is a top-level section ("1 Control Plane Components").
type BenchmarkSection struct {
	ID     string           `json:"id"`
	Title  string           `json:"title"`
	Groups []BenchmarkGroup `json:"groups"`
}

// BenchmarkGroup is a numbered group of items; for the items that sit directly under
// their section, the group is the section itself.
type BenchmarkGroup struct {
	ID    string          `json:"id"`
	Title string          `json:"title"`
	Items []BenchmarkItem `json:"items"`
}

// BenchmarkItem is one item and its verdict.
type BenchmarkItem struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Assessment is "Automated" or "Manual", as the benchmark scores the item.
	Assessment string `json:"assessment"`
	// Status is PASS, FAIL, WARN (a person must judge), ERROR or SKIP.
	Status string `json:"status"`
	// Results are the rules' results on the item (passes included).
	Results []BenchmarkResult `json:"results"`
	// Remediation is the benchmark's guidance, for an item that is not a pass.
	Remediation string `json:"remediation,omitempty"`
}

// BenchmarkResult is one rule's result on an item.
type BenchmarkResult struct {
	Rule    string `json:"rule"`
	Slug    string `json:"slug"`
	Status  string `json:"status"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
	// Remediation is the rule's own advice.
	Remediation string `json:"remediation,omitempty"`
}

// NewBenchmarkDoc judges every item of b by results.
func NewBenchmarkDoc(b *benchmark.Benchmark, version, root, config string, results []rule.Result) *BenchmarkDoc {
	d := &BenchmarkDoc{Tool: BenchmarkTool{Name: "kharden", Version: version}, Benchmark: b.Name, Title: b.Title,
		NodeRoot: root, Config: config, Totals: map[string]int{}}
	for _, l := range []string{cisPass, cisFail, cisWarn, cisError, cisSkip} {
		d.Totals[l] = 0
	}
	by := ByControl(results)
	b.Walk(func(s benchmark.Group) {
		d.Sections = append(d.Sections, BenchmarkSection{ID: s.ID, Title: s.Title})
	}, func(g benchmark.Group, _ bool) {
		s := &d.Sections[len(d.Sections)-1]
		grp := BenchmarkGroup{ID: g.ID, Title: g.Title}
		for _, it := range g.Items {
			grp.Items = append(grp.Items, benchmarkItem(it, by[it.ID]))
			d.Totals[grp.Items[len(grp.Items)-1].Status]++
		}
		s.Groups = append(s.Groups, grp)
	})
	return d
}

func benchmarkItem(it *benchmark.Item, rs []rule.Result) BenchmarkItem {
	out := BenchmarkItem{ID: it.ID, Title: it.Title, Assessment: string(it.Assessment), Status: cisWarn, Results: []BenchmarkResult{}}
	if len(rs) > 0 {
		out.Status = cisLabel[ControlStatus(rs)]
	}
	for _, r := range rs {
		br := BenchmarkResult{Rule: r.Meta.ID, Slug: r.Meta.Slug, Status: string(r.Status), File: r.Location.File,
			Line: r.Location.Line, Message: cutCIS(r.Message)}
		if r.Status != rule.Pass {
			br.Remediation = r.Meta.Remediation
		}
		out.Results = append(out.Results, br)
	}
	if out.Status != cisPass {
		out.Remediation = it.Guidance
	}
	return out
}

// items calls f for every item, with its section and group.
func (d *BenchmarkDoc) items(f func(s *BenchmarkSection, g *BenchmarkGroup, it *BenchmarkItem)) {
	for i := range d.Sections {
		s := &d.Sections[i]
		for j := range s.Groups {
			g := &s.Groups[j]
			for k := range g.Items {
				f(s, g, &g.Items[k])
			}
		}
	}
}

// WriteJSON writes the document as indented JSON.
func (d *BenchmarkDoc) WriteJSON(w io.Writer) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	e.SetEscapeHTML(false)
	return e.Encode(d)
}

// WriteJUnit writes one test suite per section and one test case per item: a FAIL
// or ERROR item fails, a WARN or SKIP item is skipped with the reason.
func (d *BenchmarkDoc) WriteJUnit(w io.Writer) error {
	type failure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
	type skipped struct {
		Message string `xml:"message,attr"`
	}
	type testcase struct {
		Name      string   `xml:"name,attr"`
		Classname string   `xml:"classname,attr"`
		Failure   *failure `xml:"failure,omitempty"`
		Error     *failure `xml:"error,omitempty"`
		Skipped   *skipped `xml:"skipped,omitempty"`
	}
	type suite struct {
		Name     string     `xml:"name,attr"`
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Errors   int        `xml:"errors,attr"`
		Skipped  int        `xml:"skipped,attr"`
		Cases    []testcase `xml:"testcase"`
	}
	type suites struct {
		XMLName xml.Name `xml:"testsuites"`
		Name    string   `xml:"name,attr"`
		Suites  []suite  `xml:"testsuite"`
	}
	out := suites{Name: d.Title}
	for _, s := range d.Sections {
		su := suite{Name: s.ID + " " + s.Title}
		for _, g := range s.Groups {
			for _, it := range g.Items {
				tc := testcase{Name: it.ID + " " + it.Title, Classname: d.Benchmark + "." + g.ID}
				detail := itemDetail(it)
				switch it.Status {
				case cisFail:
					tc.Failure = &failure{Message: it.Title, Type: cisFail, Text: detail}
					su.Failures++
				case cisError:
					tc.Error = &failure{Message: it.Title, Type: cisError, Text: detail}
					su.Errors++
				case cisWarn, cisSkip:
					tc.Skipped = &skipped{Message: it.Status + ": " + firstLine(detail)}
					su.Skipped++
				}
				su.Tests++
				su.Cases = append(su.Cases, tc)
			}
		}
		out.Suites = append(out.Suites, su)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	e := xml.NewEncoder(w)
	e.Indent("", "  ")
	if err := e.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// WriteSARIF writes one SARIF rule per benchmark item and one result per item that
// is not a pass: error for FAIL and ERROR, warning for WARN, note for SKIP.
func (d *BenchmarkDoc) WriteSARIF(w io.Writer) error {
	type text struct {
		Text string `json:"text"`
	}
	type sarifRule struct {
		ID               string `json:"id"`
		Name             string `json:"name"`
		ShortDescription text   `json:"shortDescription"`
		Help             text   `json:"help"`
	}
	type location struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
			Region *struct {
				StartLine int `json:"startLine"`
			} `json:"region,omitempty"`
		} `json:"physicalLocation"`
	}
	type result struct {
		RuleID    string     `json:"ruleId"`
		RuleIndex int        `json:"ruleIndex"`
		Level     string     `json:"level"`
		Message   text       `json:"message"`
		Locations []location `json:"locations,omitempty"`
	}
	var rules []sarifRule
	var results []result
	d.items(func(_ *BenchmarkSection, _ *BenchmarkGroup, it *BenchmarkItem) {
		idx := len(rules)
		help := it.Remediation
		if help == "" {
			help = it.Title
		}
		rules = append(rules, sarifRule{ID: it.ID, Name: d.Benchmark + " " + it.ID, ShortDescription: text{it.Title}, Help: text{help}})
		level := map[string]string{cisFail: "error", cisError: "error", cisWarn: "warning", cisSkip: "note"}[it.Status]
		if level == "" {
			return
		}
		r := result{RuleID: it.ID, RuleIndex: idx, Level: level, Message: text{it.Status + " " + it.ID + " " + it.Title + ": " + firstLine(itemDetail(*it))}}
		for _, br := range it.Results {
			if br.Status == string(rule.Pass) || br.File == "" {
				continue
			}
			var l location
			l.PhysicalLocation.ArtifactLocation.URI = strings.TrimPrefix(br.File, "/")
			if br.Line > 0 {
				l.PhysicalLocation.Region = &struct {
					StartLine int `json:"startLine"`
				}{br.Line}
			}
			r.Locations = append(r.Locations, l)
		}
		results = append(results, r)
	})
	if results == nil {
		results = []result{}
	}
	doc := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{map[string]any{
			"tool":    map[string]any{"driver": map[string]any{"name": "kharden", "version": d.Tool.Version, "informationUri": "https://github.com/kharden/kharden", "rules": rules}},
			"results": results,
		}},
	}
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	e.SetEscapeHTML(false)
	return e.Encode(doc)
}

// itemDetail says why an item is not a pass: the rules' results, or the guidance.
func itemDetail(it BenchmarkItem) string {
	var b strings.Builder
	for _, r := range it.Results {
		if r.Status == string(rule.Pass) {
			continue
		}
		loc := r.File
		if r.Line > 0 {
			loc = fmt.Sprintf("%s:%d", loc, r.Line)
		}
		fmt.Fprintf(&b, "%s %s: %s\n", r.Rule, loc, r.Message)
	}
	if b.Len() == 0 {
		if it.Status == cisWarn && len(it.Results) == 0 {
			b.WriteString("no rule decides this item here; ")
		}
		b.WriteString(it.Remediation)
	}
	return strings.TrimSpace(b.String())
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
