package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/kharden/kharden/internal/rule"
)

// officialSARIFSchema is the OASIS SARIF 2.1.0 schema; see testdata/sarif-schema-2.1.0.PROVENANCE.md.
const officialSARIFSchema = "testdata/sarif-schema-2.1.0.json"

func TestSARIFValidAgainstOfficialSchema(t *testing.T) {
	sch := compileSchema(t, officialSARIFSchema)
	for name, rep := range map[string]*Report{"fixture": fixture(), "empty": emptyReport()} {
		if err := validate(sch, render(t, rep, "sarif", Options{})); err != nil {
			t.Errorf("%s SARIF log is invalid:\n%v", name, err)
		}
	}

	// The validation has teeth: logs the schema forbids are rejected.
	good := render(t, fixture(), "sarif", Options{})
	run0 := func(m map[string]any) map[string]any { return m["runs"].([]any)[0].(map[string]any) }
	result0 := func(m map[string]any) map[string]any { return run0(m)["results"].([]any)[0].(map[string]any) }
	for name, damage := range map[string]func(m map[string]any){
		"wrong version":    func(m map[string]any) { m["version"] = "2.0.0" },
		"no tool":          func(m map[string]any) { delete(run0(m), "tool") },
		"bad level":        func(m map[string]any) { result0(m)["level"] = "fatal" },
		"line zero":        func(m map[string]any) { locRegion(result0(m))["startLine"] = 0 },
		"unknown property": func(m map[string]any) { result0(m)["severity"] = "high" },
		"no message":       func(m map[string]any) { delete(result0(m), "message") },
		"bad suppression":  func(m map[string]any) { suppressed(run0(m))["suppressions"] = []any{map[string]any{"kind": "ignored"}} },
	} {
		if err := validate(sch, breakDoc(t, good, damage)); err == nil {
			t.Errorf("official schema accepted a SARIF log with %s", name)
		}
	}
}

func locRegion(res map[string]any) map[string]any {
	loc := res["locations"].([]any)[0].(map[string]any)
	return loc["physicalLocation"].(map[string]any)["region"].(map[string]any)
}

func suppressed(run map[string]any) map[string]any {
	for _, r := range run["results"].([]any) {
		if m := r.(map[string]any); m["suppressions"] != nil {
			return m
		}
	}
	panic("no suppressed result in the fixture's SARIF")
}

// sarifDoc is the part of a SARIF log the tests read.
type sarifDoc struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Name  string `json:"name"`
				Rules []struct {
					ID                   string `json:"id"`
					Name                 string `json:"name"`
					DefaultConfiguration struct {
						Level string `json:"level"`
					} `json:"defaultConfiguration"`
					Properties struct {
						Tags             []string `json:"tags"`
						SecuritySeverity string   `json:"security-severity"`
					} `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Invocations []struct {
			ExecutionSuccessful        bool `json:"executionSuccessful"`
			ToolExecutionNotifications []struct {
				Level          string `json:"level"`
				AssociatedRule *struct {
					ID    string `json:"id"`
					Index int    `json:"index"`
				} `json:"associatedRule"`
			} `json:"toolExecutionNotifications"`
		} `json:"invocations"`
		Results []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex int    `json:"ruleIndex"`
			Kind      string `json:"kind"`
			Level     string `json:"level"`
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI string `json:"uri"`
					} `json:"artifactLocation"`
				} `json:"physicalLocation"`
				LogicalLocations []struct {
					FullyQualifiedName string `json:"fullyQualifiedName"`
				} `json:"logicalLocations"`
			} `json:"locations"`
			Suppressions []struct {
				Kind          string `json:"kind"`
				Justification string `json:"justification"`
			} `json:"suppressions"`
		} `json:"results"`
	} `json:"runs"`
}

func TestSARIFContent(t *testing.T) {
	var doc sarifDoc
	if err := json.Unmarshal(render(t, fixture(), "sarif", Options{}), &doc); err != nil {
		t.Fatal(err)
	}
	run := doc.Runs[0]
	rules := run.Tool.Driver.Rules
	wantSev := map[string]string{"KM-0004": "9.5", "KM-0009": "8.0", "KM-0014": "5.5", "KM-0017": "3.0", "KM-0040": "8.0"}
	for i, r := range rules {
		if i > 0 && rules[i-1].ID >= r.ID {
			t.Errorf("rules not sorted by ID: %s before %s", rules[i-1].ID, r.ID)
		}
		if got := r.Properties.SecuritySeverity; got != wantSev[r.ID] {
			t.Errorf("%s security-severity = %q, want %q", r.ID, got, wantSev[r.ID])
		}
	}
	for _, res := range run.Results {
		if rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %s has ruleIndex %d, which is %s", res.RuleID, res.RuleIndex, rules[res.RuleIndex].ID)
		}
	}
	levels := map[string]string{}
	for _, res := range run.Results {
		levels[res.RuleID] = res.Level
		if len(res.Suppressions) > 0 {
			levels[res.RuleID+"/suppressed"] = res.Suppressions[0].Kind + ":" + res.Suppressions[0].Justification
		}
	}
	for id, want := range map[string]string{
		"KM-0004":            "error", // critical
		"KM-0014":            "note",  // medium overridden to low
		"KM-0017":            "none",  // manual: kind review
		"KM-0009/suppressed": "inSource:node exporter must listen on the node",
	} {
		if levels[id] != want {
			t.Errorf("%s: got %q, want %q", id, levels[id], want)
		}
	}
	if _, ok := levels["KM-0040"]; ok {
		t.Error("a rule that could not be evaluated is reported as a result")
	}
	inv := run.Invocations[0]
	if inv.ExecutionSuccessful {
		t.Error("executionSuccessful is true despite a load error")
	}
	var errs, notes, ruleErrs int
	for _, n := range inv.ToolExecutionNotifications {
		switch {
		case n.AssociatedRule != nil:
			ruleErrs++
			if rules[n.AssociatedRule.Index].ID != n.AssociatedRule.ID || n.AssociatedRule.ID != "KM-0040" {
				t.Errorf("rule error notification points at %+v", n.AssociatedRule)
			}
		case n.Level == "error":
			errs++
		case n.Level == "note":
			notes++
		}
	}
	if errs != 1 || notes != 1 || ruleErrs != 1 {
		t.Errorf("notifications: %d load errors, %d notes, %d rule errors; want 1 each", errs, notes, ruleErrs)
	}

	var empty sarifDoc
	if err := json.Unmarshal(render(t, emptyReport(), "sarif", Options{}), &empty); err != nil {
		t.Fatal(err)
	}
	if !empty.Runs[0].Invocations[0].ExecutionSuccessful {
		t.Error("an empty run is not executionSuccessful")
	}
}

func TestSARIFLevels(t *testing.T) {
	for s, want := range map[rule.Severity]string{rule.Critical: "error", rule.High: "error", rule.Medium: "warning", rule.Low: "note", rule.Info: "note"} {
		if got := sarifLevel(s); got != want {
			t.Errorf("sarifLevel(%s) = %s, want %s", s, got, want)
		}
	}
}

func TestArtifactURI(t *testing.T) {
	for in, want := range map[string]string{
		"deploy/web.yaml":     "deploy/web.yaml",
		"./deploy/web.yaml":   "deploy/web.yaml",
		"jobs/my jobs.yaml":   "jobs/my%20jobs.yaml",
		"weird:name.yaml":     "./weird:name.yaml",
		"/abs/deploy/x.yaml":  "file:///abs/deploy/x.yaml",
		"charts/a#b/x%y.yaml": "charts/a%23b/x%25y.yaml",
	} {
		if got := artifactURI(in); got != want {
			t.Errorf("artifactURI(%q) = %q, want %q", in, got, want)
		}
	}
}

// Standard input has no URI: its results have no physical location (code scanning
// refuses one without a uri) and say where they are in words; the log stays valid.
func TestSARIFStandardInput(t *testing.T) {
	rep := emptyReport()
	rep.Results = []rule.Result{{Meta: metaPrivileged, Status: rule.Fail, Severity: rule.Critical, Message: "privileged",
		Location: rule.Location{File: Stdin, Line: 8, Column: 5, FieldPath: "spec.containers[0].securityContext.privileged",
			Object: rule.Object{APIVersion: "v1", Kind: "Pod", Name: "p"}}}}
	rep.Errors = []Problem{{File: Stdin, Line: 2, Message: "bad"}}
	out := render(t, rep, "sarif", Options{})
	if err := validate(compileSchema(t, officialSARIFSchema), out); err != nil {
		t.Errorf("invalid SARIF: %v", err)
	}
	var doc struct {
		Runs []struct {
			Results []struct {
				Locations []map[string]any `json:"locations"`
			} `json:"results"`
			Invocations []struct {
				ToolExecutionNotifications []struct {
					Locations []map[string]any `json:"locations"`
				} `json:"toolExecutionNotifications"`
			} `json:"invocations"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	run := doc.Runs[0]
	for what, c := range map[string]struct {
		locs []map[string]any
		want string
	}{
		"result":       {run.Results[0].Locations, "standard input, line 8, column 5"},
		"notification": {run.Invocations[0].ToolExecutionNotifications[0].Locations, "standard input, line 2"},
	} {
		if len(c.locs) != 1 {
			t.Fatalf("%s: locations %v", what, c.locs)
		}
		loc := c.locs[0]
		if _, ok := loc["physicalLocation"]; ok {
			t.Errorf("%s: physical location for standard input: %v", what, loc)
		}
		if msg, _ := loc["message"].(map[string]any); msg["text"] != c.want {
			t.Errorf("%s: location message %v, want %q", what, loc["message"], c.want)
		}
	}
	if bytes.Contains(out, []byte("stdin")) {
		t.Errorf("SARIF names stdin as a file:\n%s", out)
	}
}
