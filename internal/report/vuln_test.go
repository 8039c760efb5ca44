package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/rule"
)

// advisoryMeta is the rule a vulnerability finding names: one per advisory.
func advisoryMeta(id, summary string, sev rule.Severity) *rule.Meta {
	return &rule.Meta{ID: id, Slug: "vulnerability", Title: summary, Severity: sev, Practices: []string{"B19"},
		Rationale: summary, Remediation: "upgrade", HelpURI: "https://osv.dev/vulnerability/" + id}
}

func vulnResult(m *rule.Meta, pkg string) rule.Result {
	return rule.Result{Meta: m, Status: rule.Fail, Severity: m.Severity, Message: pkg + " is affected by " + m.ID,
		Location:      rule.Location{File: "oci:img", FieldPath: "/var/lib/dpkg/status (" + pkg + ")"},
		Vulnerability: &rule.Vulnerability{ID: m.ID, Aliases: []string{"CVE-2024-0001"}, Package: pkg, Version: "1.0", Ecosystem: "Debian:12", Fixed: []string{"1.1"}, File: "/var/lib/dpkg/status", Layer: 1, SeveritySource: "Debian"}}
}

// With OpenRules, a stream's SARIF lists in rules[] the advisories its parts bring,
// after the head's rules, each with the helpUri of its advisory, and every result has
// the ruleIndex of its rule; the log stays valid against the official schema.
func TestSARIFOpenRules(t *testing.T) {
	a, b := advisoryMeta("DSA-5000-1", "openssl - security update", rule.High), advisoryMeta("CVE-2024-0002", "", rule.Low)
	head := &Report{Tool: "kharden", FailOn: rule.High, Rules: []*rule.Meta{metaPrivileged}, OpenRules: true}
	var buf bytes.Buffer
	st, err := NewStream(&buf, "sarif", Options{}, head)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []*Report{
		{Results: []rule.Result{vulnResult(a, "libssl3"), vulnResult(a, "openssl")}},
		{Results: []rule.Result{vulnResult(b, "zlib1g")}, Suppressed: []rule.Result{func() rule.Result {
			r := vulnResult(a, "x")
			r.Suppressed = "VEX v.json:3: not_affected"
			return r
		}()}},
	} {
		if err := st.Add(part); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := validate(compileSchema(t, officialSARIFSchema), buf.Bytes()); err != nil {
		t.Fatalf("invalid SARIF:\n%v\n%s", err, buf.String())
	}
	var doc struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID               string `json:"id"`
						HelpURI          string `json:"helpUri"`
						ShortDescription struct {
							Text string `json:"text"`
						} `json:"shortDescription"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex *int   `json:"ruleIndex"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	run := doc.Runs[0]
	var ids []string
	for _, r := range run.Tool.Driver.Rules {
		ids = append(ids, r.ID)
	}
	if got, want := strings.Join(ids, " "), "KM-0004 DSA-5000-1 CVE-2024-0002"; got != want {
		t.Errorf("rules[] = %s, want %s", got, want)
	}
	if r := run.Tool.Driver.Rules[1]; r.HelpURI != "https://osv.dev/vulnerability/DSA-5000-1" || r.ShortDescription.Text != "openssl - security update" {
		t.Errorf("advisory rule %+v", r)
	}
	if len(run.Results) != 4 {
		t.Fatalf("%d results, want 4", len(run.Results))
	}
	for _, r := range run.Results {
		if r.RuleIndex == nil || run.Tool.Driver.Rules[*r.RuleIndex].ID != r.RuleID {
			t.Errorf("result of %s has ruleIndex %v", r.RuleID, r.RuleIndex)
		}
	}
	// Without OpenRules the tool comes first, as before, and lists only the head's rules.
	head.OpenRules = false
	out := render(t, &Report{Rules: head.Rules, Results: []rule.Result{vulnResult(a, "libssl3")}}, "sarif", Options{})
	if i, j := bytes.Index(out, []byte(`"tool"`)), bytes.Index(out, []byte(`"results"`)); i < 0 || i > j {
		t.Errorf("the tool does not come first:\n%s", out)
	}
}

// A vulnerability finding's JSON carries the advisory and package, and matches the
// documented schema; a rule result with an advisory-shaped ruleID does not.
func TestJSONVulnerability(t *testing.T) {
	a := advisoryMeta("RHSA-2024:0001", "kernel update", rule.Critical)
	rep := &Report{FailOn: rule.High, Results: []rule.Result{vulnResult(a, "kernel")}, Files: 1}
	out := render(t, rep, "json", Options{})
	sch := compileSchema(t, "../../docs/schema/report.schema.json")
	if err := validate(sch, out); err != nil {
		t.Fatalf("does not match the schema:\n%v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte(`"vulnerability":{"id":"RHSA-2024:0001","aliases":["CVE-2024-0001"],"package":"kernel","version":"1.0","purl":"","ecosystem":"Debian:12","fixed":["1.1"],"file":"/var/lib/dpkg/status","layer":1,"score":0,"vector":"","severitySource":"Debian"}`)) {
		t.Errorf("vulnerability not written as documented:\n%s", out)
	}
	noVuln := vulnResult(a, "kernel")
	noVuln.Vulnerability = nil
	bad := render(t, &Report{FailOn: rule.High, Results: []rule.Result{noVuln}}, "json", Options{})
	if validate(sch, bad) == nil {
		t.Error("the schema accepts an advisory ID as the ruleID of a result without vulnerability")
	}
}
