package compliance

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/scan"
)

// Every control a registered rule names is one the frameworks list: a rule mapped to a
// misspelt or unknown control would silently count for nothing.
func TestEveryRuleMappingIsAControl(t *testing.T) {
	fws := map[string]*Framework{}
	for _, name := range Names {
		f, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		fws[name] = f
		seen := map[string]bool{}
		for _, c := range f.Controls {
			if c.ID == "" || c.Title == "" || c.Section == "" || seen[c.ID] {
				t.Errorf("%s: control %+v is empty or listed twice", name, c)
			}
			seen[c.ID] = true
		}
	}
	for _, m := range scan.AllRules() {
		check := func(fw string, ids []string) {
			for _, id := range ids {
				if !fws[fw].has(id) {
					t.Errorf("%s maps to %q, which %s does not list", m.ID, id, fw)
				}
			}
		}
		if !isDockerOrImage(m) {
			check("cis-1.12", m.Standards.CIS)
		}
		check("nsa-cisa", m.Standards.NSA)
		for _, s := range m.Standards.PSS {
			level, id, _ := strings.Cut(s, ":")
			if level != "baseline" && level != "restricted" {
				t.Errorf("%s: PSS %q has no level", m.ID, s)
			}
			check("pss-restricted", []string{id})
			if level == "baseline" {
				check("pss-baseline", []string{id})
			}
		}
	}
	if _, err := Lookup("cis-1.99"); err == nil || !strings.Contains(err.Error(), "cis-1.12, pss-baseline") {
		t.Errorf("unknown framework: %v", err)
	}
}

// Small rules and a small framework, so that each verdict can be read off.
var (
	ruleA = &rule.Meta{ID: "KM-0001", Standards: rule.Standards{CIS: []string{"5.2.2"}}}
	ruleB = &rule.Meta{ID: "KM-0002", Standards: rule.Standards{CIS: []string{"5.2.2", "5.2.3"}}}
	ruleN = &rule.Meta{ID: "KN-0001", Standards: rule.Standards{CIS: []string{"1.1.1", "1.1.2"}}}
	ruleD = &rule.Meta{ID: "DF-0001", Standards: rule.Standards{CIS: []string{"5.2.4"}}} // the CIS Docker Benchmark's 5.2.4
	ruleE = &rule.Meta{ID: "KM-0003", Standards: rule.Standards{CIS: []string{"5.2.5"}}}
	ruleM = &rule.Meta{ID: "KM-0004", Standards: rule.Standards{CIS: []string{"5.2.6"}}}
	rules = []*rule.Meta{ruleA, ruleB, ruleN, ruleD, ruleE, ruleM}
)

func saved(t *testing.T, doc string) *Input {
	t.Helper()
	in := &Input{}
	if err := in.Read(strings.NewReader(doc), "r.json"); err != nil {
		t.Fatal(err)
	}
	return in
}

func statuses(t *testing.T, in *Input) map[string]Status {
	t.Helper()
	f, _ := Lookup("cis-1.12")
	res, err := Evaluate(f, rules, in)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]Status{}
	for _, c := range res.Controls {
		m[c.ID] = c.Status
	}
	return m
}

func TestVerdicts(t *testing.T) {
	in := saved(t, `{"tool":{"name":"kharden"},"rules":["KM-0001","KM-0002","KN-0001","KM-0003","KM-0004"],
	  "results":[
	    {"ruleID":"KM-0002","status":"fail","message":"m","location":{"file":"a.yaml","line":3}},
	    {"ruleID":"KN-0001","status":"fail","control":"1.1.2","message":"mode 644"},
	    {"ruleID":"KM-0003","status":"error","message":"could not tell"},
	    {"ruleID":"KM-0004","status":"manual","message":"judge"}],
	  "suppressed":[{"ruleID":"KM-0001","status":"fail","message":"silenced"}],
	  "errors":[]}`)
	got := statuses(t, in)
	for id, want := range map[string]Status{
		"5.2.2": Fail,       // KM-0002 fails it; the suppressed KM-0001 finding does not count
		"5.2.3": Fail,       // the same finding: KM-0002 maps to both
		"1.1.1": Pass,       // KN-0001 ran and its one finding is about 1.1.2
		"1.1.2": Fail,       // ... which fails
		"5.2.4": NotCovered, // only a Dockerfile rule names 5.2.4, in another benchmark
		"5.2.5": Error,      // the rule could not be evaluated: no pass
		"5.2.6": Manual,     // a person must judge
		"5.1.1": NotCovered, // no rule at all
	} {
		if got[id] != want {
			t.Errorf("control %s: %s, want %s", id, got[id], want)
		}
	}

	// Rules that did not run leave their controls not run, not passed.
	in = saved(t, `{"tool":{"name":"kharden"},"rules":["KM-0001"],"results":[]}`)
	got = statuses(t, in)
	if got["5.2.2"] != Pass || got["1.1.1"] != NotRun || got["5.2.3"] != NotRun {
		t.Errorf("5.2.2 %s (want pass), 1.1.1 %s, 5.2.3 %s (want not-run: their rules did not run)", got["5.2.2"], got["1.1.1"], got["5.2.3"])
	}

	// Reports combine: a node audit's results settle the node's controls.
	if err := in.Read(strings.NewReader(`{"tool":{"name":"kharden"},"rules":["KN-0001"],"results":[]}`), "node.json"); err != nil {
		t.Fatal(err)
	}
	if got = statuses(t, in); got["1.1.1"] != Pass {
		t.Errorf("1.1.1 with the node's results: %s, want pass", got["1.1.1"])
	}

	// A report that does not list its rules: only rules with a result ran.
	in = saved(t, `{"tool":{"name":"kharden"},"results":[{"ruleID":"KM-0001","status":"fail"}]}`)
	if got = statuses(t, in); got["5.2.2"] != Fail || got["5.2.3"] != NotRun || len(in.Unlisted) != 1 {
		t.Errorf("unlisted rules: 5.2.2 %s, 5.2.3 %s, unlisted %v", got["5.2.2"], got["5.2.3"], in.Unlisted)
	}
}

func TestReadRefusesWhatIsNotResults(t *testing.T) {
	for doc, want := range map[string]string{
		`not json`:                                  "not a kharden JSON report",
		`{"version":"2.1.0","runs":[]}`:             "no tool or results",
		`{"benchmark":"cis-1.12","sections":[]}`:    "without --benchmark",
		`{"tool":{"name":"kharden"},"results":[1]}`: "not a kharden JSON report",
	} {
		err := (&Input{}).Read(strings.NewReader(doc), "x.json")
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "x.json") {
			t.Errorf("Read(%s) = %v, want an error naming the file and %q", doc, err, want)
		}
	}
}

const evil = `</script><img src=x onerror=alert(1)><!--`

func evaluated(t *testing.T) *Result {
	t.Helper()
	in := saved(t, `{"tool":{"name":"kharden"},"rules":["KM-0001","KM-0002"],"results":[
	  {"ruleID":"KM-0002","slug":"b","severity":"high","status":"fail","message":"`+strings.ReplaceAll(evil, `"`, `\"`)+`",
	   "location":{"file":"a.yaml","line":3,"object":{"kind":"Pod","namespace":"ns","name":"\u001b[2Jx"}}}],"errors":[{}]}`)
	f, _ := Lookup("cis-1.12")
	res, err := Evaluate(f, rules, in)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestRender(t *testing.T) {
	res := evaluated(t)
	var text, js, page bytes.Buffer
	for format, buf := range map[string]*bytes.Buffer{"text": &text, "json": &js, "html": &page} {
		if err := Write(buf, res, format); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
	}
	for _, want := range []string{"CIS Kubernetes Benchmark v1.12 — kharden report over r.json\n",
		"note: the results record 1 input error(s)", `\x1b[2Jx`, "FAIL         5.2.2  Privileged containers are not admitted (Manual)\n",
		"             KM-0002 high fail  a.yaml:3 Pod ns/", "NOT-RUN      1.1.1 ", "checked by KN-0001, which did not run (off by default: KN-0001;", "NOT-COVERED  5.1.1 ", "\n== 5 Policies\n", "== Summary: "} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	if strings.Contains(text.String(), "\x1b") {
		t.Error("text has a raw escape from the input")
	}
	var doc struct {
		Framework struct{ Name string }
		Controls  []struct {
			ID, Status string
			Findings   []Finding
		}
		Summary map[string]int
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	f, _ := Lookup("cis-1.12")
	if doc.Framework.Name != "cis-1.12" || len(doc.Controls) != len(f.Controls) || doc.Summary["fail"] != 2 {
		t.Errorf("json: framework %q, %d controls (want %d), summary %v", doc.Framework.Name, len(doc.Controls), len(f.Controls), doc.Summary)
	}
	// The page has no script and escapes what the input said.
	p := page.String()
	if strings.Contains(p, "<script") || strings.Contains(p, "<img") || !strings.Contains(p, "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&lt;!--") {
		t.Errorf("html does not escape the input:\n%s", p)
	}
	if !strings.Contains(p, "<style>"+htmlStyle+"</style>") || !strings.Contains(p, "style-src &#39;sha256-") {
		t.Error("html's style is not the one its policy's hash allows")
	}
}
