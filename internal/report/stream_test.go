package report

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/rule"
)

// fixtureParts is the fixture's content cut into parts the way a scan would hand them
// over: several files in one part (a rendered chart), one file per part, lists out of
// order within a part, a part with nothing in it, and counts spread over the parts.
func fixtureParts() (head *Report, parts []*Report) {
	rep := fixture()
	head = &Report{Tool: rep.Tool, Version: rep.Version, Rules: rep.Rules, FailOn: rep.FailOn, Config: rep.Config}
	byFile := func(files ...string) *Report {
		in := map[string]bool{}
		for _, f := range files {
			in[f] = true
		}
		p := &Report{}
		for _, f := range rep.Scanned {
			if in[f] {
				p.Scanned = append(p.Scanned, f)
			}
		}
		for _, r := range rep.Results {
			if in[r.Location.File] {
				p.Results = append([]rule.Result{r}, p.Results...) // reversed
			}
		}
		for _, r := range rep.Suppressed {
			if in[r.Location.File] {
				p.Suppressed = append(p.Suppressed, r)
			}
		}
		for _, e := range rep.Errors {
			if in[e.File] {
				p.Errors = append(p.Errors, e)
			}
		}
		for _, n := range rep.Notes {
			if in[n.File] {
				p.Notes = append(p.Notes, n)
			}
		}
		return p
	}
	parts = []*Report{
		byFile("deploy/web.yaml", "clean.yaml", "broken.yaml"),
		{},
		byFile("jobs/my jobs.yaml"),
		byFile("rbac/roles.yaml"),
	}
	parts[0].Files, parts[0].Objects = 3, 1
	parts[2].Files, parts[2].Objects = 1, 2
	parts[3].Files, parts[3].Objects = 1, 1
	return head, parts
}

func renderStream(t testing.TB, w io.Writer, format string, opt Options, head *Report, parts []*Report) Totals {
	t.Helper()
	s, err := NewStream(w, format, opt, head)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		if err := s.Add(p); err != nil {
			t.Fatalf("Add: %v", err)
		}
	}
	tot, err := s.Close()
	if err != nil {
		t.Fatalf("Close: %v", err)
	}
	return tot
}

// Write and a stream fed the same content in parts write the same bytes, in every format.
func TestStreamMatchesWrite(t *testing.T) {
	for _, format := range Formats {
		for _, opt := range []Options{{}, {Color: true}} {
			head, parts := fixtureParts()
			var got bytes.Buffer
			renderStream(t, &got, format, opt, head, parts)
			if want := render(t, fixture(), format, opt); !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s (%+v): the stream differs from Write\n--- stream:\n%s\n--- Write:\n%s", format, opt, got.Bytes(), want)
			}
		}
	}
}

func TestStreamTotals(t *testing.T) {
	rep := fixture()
	for _, format := range Formats {
		head, parts := fixtureParts()
		got := renderStream(t, io.Discard, format, Options{}, head, parts)
		want := Totals{Files: 5, Objects: 4, Results: 4, Suppressed: 1, Errors: 1, RuleErrors: 1, Notes: 1,
			Failing: 2, FailOn: rule.High, Failed: true}
		for s, n := range rep.Counts() {
			want.BySeverity[s] = n
		}
		if got != want {
			t.Errorf("%s: totals = %+v, want %+v", format, got, want)
		}
		if got.Failed != rep.Failed() {
			t.Errorf("%s: Totals.Failed = %v, Report.Failed() = %v", format, got.Failed, rep.Failed())
		}
	}
}

func TestStreamAfterClose(t *testing.T) {
	s, err := NewStream(io.Discard, "json", Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(&Report{}); err == nil {
		t.Error("Add after Close succeeded")
	}
	if _, err := s.Close(); err == nil {
		t.Error("a second Close succeeded")
	}
}

func TestStreamUnknownFormat(t *testing.T) {
	var buf bytes.Buffer
	if _, err := NewStream(&buf, "yaml", Options{}, fixture()); err == nil || !strings.Contains(err.Error(), `"yaml"`) {
		t.Errorf("NewStream(yaml): %v", err)
	}
	if buf.Len() != 0 {
		t.Errorf("NewStream wrote %q for an unknown format", buf.String())
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

func TestStreamReportsWriteErrors(t *testing.T) {
	for _, format := range Formats {
		if err := Write(failWriter{}, fixture(), format, Options{}); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: Write to a failing writer: %v", format, err)
		}
	}
}

// A stream's head need not list every rule a result names (nor need a result have
// metadata): the SARIF log is still valid, the result just has no ruleIndex.
func TestSARIFStreamRuleNotInHead(t *testing.T) {
	head, parts := fixtureParts()
	head.Rules = head.Rules[:2]
	parts[2].Results[0].Meta = nil
	var buf bytes.Buffer
	renderStream(t, &buf, "sarif", Options{}, head, parts)
	if err := validate(compileSchema(t, officialSARIFSchema), buf.Bytes()); err != nil {
		t.Fatalf("invalid SARIF:\n%v\n%s", err, buf.Bytes())
	}
	var doc sarifDoc
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	run := doc.Runs[0]
	if n := len(run.Tool.Driver.Rules); n != 2 {
		t.Errorf("rules[] has %d rules, want the head's 2", n)
	}
	var raw struct {
		Runs []struct {
			Results []map[string]any `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, res := range raw.Runs[0].Results {
		_, hasIndex := res["ruleIndex"]
		listed := res["ruleId"] == run.Tool.Driver.Rules[0].ID || res["ruleId"] == run.Tool.Driver.Rules[1].ID
		if hasIndex != listed {
			t.Errorf("result %v: ruleIndex present = %v, rule listed = %v", res["ruleId"], hasIndex, listed)
		}
	}
}

// oddResults are the fixture's results and results full of strings that need escaping,
// invalid UTF-8, severities out of range, missing positions and missing metadata.
func oddResults() []rule.Result {
	rep := fixture()
	results := append([]rule.Result(nil), rep.Results...)
	results = append(results, rep.Suppressed...)
	odd := []string{"", "plain", `quote " backslash \ slash /`, "<html> & 'x'", "tab\tnl\nret\rbs\bff\f",
		"\x00\x01\x1f\x7f", "\u2028\u2029", "é ü 日本 🙂", "bad \xff\xfe utf8 \xc3", "trunc \xe2\x82", "a b#c%d:e"}
	for i, s := range odd {
		results = append(results, rule.Result{
			Meta: &rule.Meta{ID: "KM-" + s, Slug: s, Title: s, Practices: []string{s, "C1"}}, Status: rule.Status(s),
			Severity: rule.Severity(i%7 - 1), Message: s, Suppressed: s,
			Location: rule.Location{File: s, Line: i - 2, Column: (i%3 - 1) * 1000000, FieldPath: s,
				Object: rule.Object{APIVersion: s, Kind: s, Namespace: s, Name: s}, ValuesKey: s},
		})
	}
	for i := range 12 {
		res := rule.Result{Meta: metaPrivileged, Status: rule.Manual, Severity: rule.High, Message: "m",
			Location: rule.Location{File: "f.yaml", Line: 3, Column: 4, FieldPath: "spec"}}
		if i&1 != 0 {
			res.Location.Object = rule.Object{Kind: "Pod", Name: "p"}
		}
		if i&2 != 0 {
			res.Location.File, res.Location.FieldPath = "", ""
		}
		if i >= 4 {
			res.Location.File, res.Location.Line, res.Location.Column = Stdin, (i-4)/2%2*5, (i-4)/4*7
		}
		results = append(results, res)
	}
	// A result about fewer practices than its rule's; one about none at all; one with a
	// values key and no practice.
	results = append(results, rule.Result{Meta: metaPrivileged, Severity: rule.High, Message: "narrowed", Practices: []string{"D1"}},
		rule.Result{Meta: metaPrivileged, Severity: rule.High, Message: "none", Practices: []string{}},
		rule.Result{Meta: metaPrivileged, Severity: rule.High, Message: "a values key, no practice", Practices: []string{}, Location: rule.Location{ValuesKey: "image.tag"}})
	// A vulnerability finding, with and without aliases and fixes.
	adv := &rule.Meta{ID: "GO-2024-0001", Slug: "vulnerability", Title: "a <b> & \"c\"", HelpURI: "https://osv.dev/vulnerability/GO-2024-0001"}
	results = append(results, rule.Result{Meta: adv, Severity: rule.High, Message: "x@v1.0.0 is vulnerable",
		Vulnerability: &rule.Vulnerability{ID: adv.ID, Aliases: []string{"CVE-2024-1"}, Package: "x", Version: "v1.0.0", PURL: "pkg:golang/x@v1.0.0",
			Ecosystem: "Go", Fixed: []string{"1.0.1"}, File: "/app", Layer: 2, Score: 7.5, Vector: "CVSS:3.1/AV:N", SeveritySource: "CVSS_V3"}},
		rule.Result{Meta: adv, Severity: rule.Medium, Message: "no fix <&>", Vulnerability: &rule.Vulnerability{ID: adv.ID, SeveritySource: "unknown"}})
	return append(results, rule.Result{Message: "no metadata"}, rule.Result{Meta: &rule.Meta{ID: "x"}})
}

// appendJSONResult is held byte for byte to encoding/json's encoding of jsonResult.
func TestJSONResultEncodingMatchesEncodingJSON(t *testing.T) {
	for _, res := range oddResults() {
		for _, suppressed := range []bool{false, true} {
			got := string(appendJSONResult(nil, jsonRuleOf(meta(res)), &res, suppressed))
			want := string(appendMarshal(nil, jsonResultOf(res, suppressed)))
			if got != want {
				t.Errorf("result %q (suppressed %v):\n got %s\nwant %s", res.Message, suppressed, got, want)
			}
		}
	}
}

// The SARIF renderer's result encoder is held byte for byte to encoding/json's encoding
// of sarifResult, for rules listed in rules[] and not.
func TestSARIFResultEncodingMatchesEncodingJSON(t *testing.T) {
	r := newSARIFRenderer(bufio.NewWriter(io.Discard), &Report{Rules: []*rule.Meta{metaPrivileged, metaHostPorts}})
	for _, res := range oddResults() {
		for _, suppressed := range []bool{false, true} {
			rr := r.refs.get(&res)
			got := string(r.appendResult(nil, rr, &res, suppressed))
			want := string(appendMarshal(nil, sarifResultOf(res, rr.ref.Index, suppressed)))
			if got != want {
				t.Errorf("result %q (suppressed %v):\n got %s\nwant %s", res.Message, suppressed, got, want)
			}
		}
	}
}

// sarifResultOf is the shape of a SARIF result, for encoding/json.
func sarifResultOf(res rule.Result, index *int, suppressed bool) sarifResult {
	m := meta(res)
	sr := sarifResult{
		RuleID:              m.ID,
		RuleIndex:           index,
		Level:               sarifLevel(res.Severity),
		Message:             sarifMessage{Text: res.Message},
		Locations:           sarifLocations(res.Location),
		PartialFingerprints: &sarifFingerprints{V1: fingerprint(m.ID, res.Location)},
	}
	if res.Status == rule.Manual {
		sr.Kind, sr.Level = "review", "none"
	}
	if suppressed {
		sr.Suppressions = []sarifSuppression{{Kind: "inSource", Status: "accepted", Justification: res.Suppressed}}
	}
	if ps, key := res.PracticesOf(), res.Location.ValuesKey; len(ps) > 0 || key != "" {
		sr.Properties = &sarifResultProps{Practices: ps, ValuesKey: key}
	}
	return sr
}

// The fingerprint is the one earlier versions wrote, so code scanning keeps following
// findings across the upgrade.
func TestSARIFFingerprintStable(t *testing.T) {
	for _, res := range oddResults() {
		l := res.Location
		sum := sha256.Sum256([]byte(strings.Join([]string{meta(res).ID, filepath.ToSlash(l.File), objectRef(l.Object), l.FieldPath}, "\x00")))
		if got, want := fingerprint(meta(res).ID, l), hex.EncodeToString(sum[:16]); got != want {
			t.Errorf("fingerprint of %+v = %s, want %s", l, got, want)
		}
	}
}

// jsonResultOf is the documented shape of a result, for encoding/json.
func jsonResultOf(res rule.Result, suppressed bool) jsonResult {
	m := meta(res)
	l := res.Location
	jr := jsonResult{
		RuleID: m.ID, Slug: m.Slug, Title: m.Title, Severity: res.Severity.String(), Status: string(res.Status),
		Practices: nonNil(res.PracticesOf()), Message: res.Message, Control: res.Control,
		Location: jsonLocation{File: l.File, Line: l.Line, Column: l.Column, FieldPath: l.FieldPath,
			Object:    jsonObject{APIVersion: l.Object.APIVersion, Kind: l.Object.Kind, Namespace: l.Object.Namespace, Name: l.Object.Name},
			ValuesKey: l.ValuesKey},
	}
	if jr.Status == "" {
		jr.Status = string(rule.Fail)
	}
	if suppressed {
		jr.Suppression = &jsonSuppression{Reason: res.Suppressed}
	}
	if v := res.Vulnerability; v != nil {
		c := *v
		c.Aliases, c.Fixed = nonNil(c.Aliases), nonNil(c.Fixed)
		jr.Vulnerability = &c
	}
	return jr
}

func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"", "a\"b\\c", "\x00\n\u2028", "\xff", "日本"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendJSONString(nil, s)), string(appendMarshal(nil, s)); got != want {
			t.Errorf("appendJSONString(%q) = %s, encoding/json gives %s", s, got, want)
		}
	})
}

// The example in docs/output-json.md is what kharden writes, byte for byte.
func TestJSONDocExampleIsOutput(t *testing.T) {
	doc, err := os.ReadFile("../../docs/output-json.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(doc), "```json\n")
	example, _, _ := strings.Cut(rest, "```")
	full := fixture()
	rep := &Report{Version: "0.1.0", Rules: full.Rules, FailOn: rule.High, Files: 2, Objects: 1,
		Config:  Config{File: ".kharden.yaml", Source: ConfigFound},
		Results: full.Results[1:2], Suppressed: full.Suppressed, Errors: full.Errors, Notes: full.Notes}
	if got := string(render(t, rep, "json", Options{})); got != example {
		t.Errorf("the example in docs/output-json.md is not what kharden writes for it; kharden writes:\n%s", got)
	}
}

// syntheticPart is the i-th of a long run of parts: n results over a few rules, files and
// severities, and now and then a note and a load error.
func syntheticPart(i, n int) *Report {
	rules := []*rule.Meta{metaPrivileged, metaHostPorts, metaMemory, metaRBAC, metaDefaultNS}
	file := fmt.Sprintf("clusters/prod/apps/app-%05d/deployment.yaml", i)
	obj := rule.Object{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "team-" + fmt.Sprint(i%37), Name: fmt.Sprintf("app-%05d", i)}
	p := &Report{Files: 1, Objects: n / 10, Scanned: []string{file}, Results: make([]rule.Result, 0, n)}
	for j := range n {
		m := rules[j%len(rules)]
		p.Results = append(p.Results, rule.Result{Meta: m, Status: rule.Fail, Severity: m.Severity,
			Message: fmt.Sprintf("container \"c%d\" breaks %s", j, m.Slug),
			Location: rule.Location{File: file, Line: n - j, Column: 7,
				FieldPath: fmt.Sprintf("spec.template.spec.containers[%d].securityContext.privileged", j), Object: obj}})
	}
	if i%100 == 0 {
		p.Notes = append(p.Notes, Problem{File: file, Line: 1, Message: "suppression matches no finding"})
		p.Errors = append(p.Errors, Problem{File: file, Line: 2, Column: 3, Message: "mapping values are not allowed"})
	}
	return p
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// A stream's memory does not grow with the number of results: 200,000 results in 2,000
// parts use no more heap at the end than after the first parts, give or take a few MB.
// (Suppressed results, errors and notes are held until Close in JSON and SARIF; this
// run has few of them, as real runs do.)
func TestStreamMemoryBounded(t *testing.T) {
	const parts, perPart, warmup = 2000, 100, 50
	const slack = 4 << 20
	formats := Formats
	if testing.Short() {
		formats = []string{"json"}
	}
	for _, format := range formats {
		t.Run(format, func(t *testing.T) {
			s, err := NewStream(io.Discard, format, Options{}, &Report{Rules: []*rule.Meta{metaPrivileged,
				metaHostPorts, metaMemory, metaRBAC, metaDefaultNS}, FailOn: rule.High})
			if err != nil {
				t.Fatal(err)
			}
			var base uint64
			for i := range parts {
				if err := s.Add(syntheticPart(i, perPart)); err != nil {
					t.Fatal(err)
				}
				if i == warmup-1 {
					base = heapInUse()
				}
			}
			end := heapInUse()
			tot, err := s.Close()
			if err != nil {
				t.Fatal(err)
			}
			if tot.Results != parts*perPart {
				t.Errorf("totals count %d results, want %d", tot.Results, parts*perPart)
			}
			t.Logf("heap in use after %d parts: %.1f MB; after %d: %.1f MB", warmup, float64(base)/(1<<20), parts, float64(end)/(1<<20))
			if end > base+slack {
				t.Errorf("heap grew from %.1f MB to %.1f MB over %d results: the stream holds on to what it wrote",
					float64(base)/(1<<20), float64(end)/(1<<20), parts*perPart)
			}
		})
	}
}

func benchmarkStream(b *testing.B, format string) {
	const parts, perPart = 100, 100
	in := make([]*Report, parts)
	for i := range in {
		in[i] = syntheticPart(i, perPart)
	}
	head := &Report{Rules: []*rule.Meta{metaPrivileged, metaHostPorts, metaMemory, metaRBAC, metaDefaultNS}, FailOn: rule.High}
	var out countWriter
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s, err := NewStream(&out, format, Options{}, head)
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range in {
			if err := s.Add(p); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*parts*perPart), "ns/result")
	b.ReportMetric(float64(out.n)/float64(b.N*parts*perPart), "B/result")
}

// countWriter counts what is written to it and discards it.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

func BenchmarkStreamJSON(b *testing.B)  { benchmarkStream(b, "json") }
func BenchmarkStreamText(b *testing.B)  { benchmarkStream(b, "text") }
func BenchmarkStreamSARIF(b *testing.B) { benchmarkStream(b, "sarif") }
func BenchmarkStreamJUnit(b *testing.B) { benchmarkStream(b, "junit") }

// A file's results handed over in pieces marked Continued render as the one part they
// make, in every format: text aligns the file's positions over all of them and JUnit
// counts its cases first; a run left open by the last part ends at Close.
func TestStreamContinued(t *testing.T) {
	tmpl := fixture().Results[0]
	var all []rule.Result
	for i := range 30 {
		r := tmpl
		r.Location.File = "big.yaml"
		r.Location.Line = 1 + i*i*7 // positions grow wider along the file
		r.Location.Column = 1 + i%3
		r.Message = fmt.Sprintf("finding %d", i)
		all = append(all, r)
	}
	other := func(file string) *Report {
		r := tmpl
		r.Location.File = file
		return &Report{Files: 1, Objects: 1, Scanned: []string{file}, Results: []rule.Result{r}}
	}
	for _, format := range Formats {
		for _, trailing := range []bool{false, true} {
			whole := []*Report{other("a.yaml"), {Results: slices.Clone(all)}}
			pieces := []*Report{other("a.yaml"),
				{Results: slices.Clone(all[:7]), Continued: true},
				{Results: slices.Clone(all[7:20]), Continued: true},
				{Results: slices.Clone(all[20:]), Continued: trailing}}
			if !trailing {
				whole = append(whole, other("c.yaml"))
				pieces = append(pieces, other("c.yaml"))
			}
			head, _ := fixtureParts()
			var want, got bytes.Buffer
			renderStream(t, &want, format, Options{}, head, whole)
			tot := renderStream(t, &got, format, Options{}, head, pieces)
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("%s (trailing %v): pieces render differently from the whole part\n--- pieces:\n%s\n--- whole:\n%s", format, trailing, got.Bytes(), want.Bytes())
			}
			if n := len(all) + len(whole) - 1; tot.Results != n {
				t.Errorf("%s: %d results counted, want %d", format, tot.Results, n)
			}
		}
	}
}
