package engine

import (
	"os"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rules/k8s"
	"github.com/kharden/kharden/internal/source/manifest"
	"github.com/kharden/kharden/internal/testkit"
)

// Kinds beyond the built-in controllers are checked through their pod templates, with
// findings at their exact lines; an unknown kind checked generically, and a Rollout whose
// pods are another object's, say so in a note; a built-in kind in a group that does not
// serve it is an error at its apiVersion.
func TestPodTemplateKinds(t *testing.T) {
	const file = "testdata/kinds.yaml"
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	wants, err := testkit.ParseWants(src)
	if err != nil {
		t.Fatal(err)
	}
	res := manifest.Load(file, src)
	if len(res.Errors) != 0 {
		t.Fatalf("load errors: %v", res.Errors)
	}
	var rep report.Report
	New(Options{Rules: []*k8s.Rule{k8s.Privileged}}).Scan(res.Docs, &rep)

	got := map[int][]string{}
	for _, r := range rep.Results {
		got[r.Location.Line] = append(got[r.Location.Line], r.Message)
	}
	for _, e := range testkit.Match(file, k8s.Privileged.ID, wants, got) {
		t.Error(e)
	}
	marked := func(mark string) map[int]bool {
		lines := map[int]bool{}
		for i, l := range strings.Split(string(src), "\n") {
			if strings.HasSuffix(l, "# "+mark) {
				lines[i+1] = true
			}
		}
		return lines
	}
	for kind, c := range map[string]struct {
		problems []report.Problem
		want     string // in every message
	}{"error": {rep.Errors, "the API server refuses"}, "note": {rep.Notes, ""}} {
		lines := marked(kind)
		for _, p := range c.problems {
			if !lines[p.Line] || p.File != file || !strings.Contains(p.Message, c.want) {
				t.Errorf("unexpected %s %s:%d: %s", kind, p.File, p.Line, p.Message)
			}
			delete(lines, p.Line)
		}
		for l := range lines {
			t.Errorf("%s:%d: no %s", file, l, kind)
		}
	}
	for _, n := range rep.Notes {
		if !strings.Contains(n.Message, "checked as a controller's") && !strings.Contains(n.Message, "its pods are Deployment web's") {
			t.Errorf("note %q says neither how the pods were checked nor where they are", n.Message)
		}
	}
	for _, e := range rep.Errors {
		if !strings.Contains(e.Message, `apiVersion "v1" does not serve Deployment (apps/v1 does)`) && !strings.Contains(e.Message, `apiVersion "apps/v1" does not serve Pod (v1 does)`) {
			t.Errorf("error %q does not name the apiVersion that serves the kind", e.Message)
		}
	}
}
