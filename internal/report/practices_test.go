package report

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/rule"
)

// A result about fewer practices than its rule's (the check that failed serves one of
// them) is labelled with its own in every format that names practices; one without its
// own is labelled with the rule's.
func TestResultPracticesWinOverTheRules(t *testing.T) {
	m := &rule.Meta{ID: "KM-0104", Slug: "pss-capabilities-restricted", Title: "t", Severity: rule.Medium, Remediation: "r",
		Practices: []string{"D1", "C15", "C16"}}
	rep := &Report{Rules: []*rule.Meta{m}, Results: []rule.Result{
		{Meta: m, Status: rule.Fail, Severity: rule.Medium, Message: "no drop", Practices: []string{"D1", "C15"},
			Location: rule.Location{File: "a.yaml", Line: 3, Column: 1}},
		{Meta: m, Status: rule.Fail, Severity: rule.Medium, Message: "all",
			Location: rule.Location{File: "a.yaml", Line: 5, Column: 1}},
	}}
	want := map[string][]string{"no drop": {"D1", "C15"}, "all": {"D1", "C15", "C16"}}

	var js struct {
		Results []struct {
			Message   string   `json:"message"`
			Practices []string `json:"practices"`
		} `json:"results"`
	}
	if err := json.Unmarshal(renderAs(t, rep, "json"), &js); err != nil {
		t.Fatal(err)
	}
	for _, r := range js.Results {
		if !slices.Equal(r.Practices, want[r.Message]) {
			t.Errorf("json %q: practices %v, want %v", r.Message, r.Practices, want[r.Message])
		}
	}

	var sarif struct {
		Runs []struct {
			Results []struct {
				Message    struct{ Text string } `json:"message"`
				Properties struct {
					Practices []string `json:"practices"`
				} `json:"properties"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(renderAs(t, rep, "sarif"), &sarif); err != nil {
		t.Fatal(err)
	}
	for _, r := range sarif.Runs[0].Results {
		if !slices.Equal(r.Properties.Practices, want[r.Message.Text]) {
			t.Errorf("sarif %q: practices %v, want %v", r.Message.Text, r.Properties.Practices, want[r.Message.Text])
		}
	}

	junit := string(renderAs(t, rep, "junit"))
	for _, line := range []string{"Practices: D1, C15\n", "Practices: D1, C15, C16\n"} {
		if !strings.Contains(junit, line) {
			t.Errorf("junit lacks %q:\n%s", line, junit)
		}
	}
}

func renderAs(t *testing.T, rep *Report, format string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, rep, format, Options{}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
