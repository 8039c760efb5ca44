package manifest_test

import (
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/engine"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rules/k8s"
	"github.com/kharden/kharden/internal/source/manifest"
)

// TestCaseVariantsScan: field names are case-sensitive, as in the API server. A case
// variant neither hides the real field nor counts as it, and it is reported at its key.
func TestCaseVariantsScan(t *testing.T) {
	var rules []*k8s.Rule
	for _, r := range k8s.All() {
		if r.Slug == "privileged" || r.Slug == "host-network" {
			rules = append(rules, r)
		}
	}
	head := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: x\n    securityContext:\n"
	cases := []struct {
		name, src string
		findings  []int // lines
		errors    []int
	}{
		{"variant after", head + "      privileged: true\n      Privileged: false\n", []int{9}, []int{10}},
		{"variant before", head + "      Privileged: false\n      privileged: true\n", []int{10}, []int{9}},
		{"variant alone", head + "      Privileged: true\n", nil, []int{9}},
		{"host network variant", head + "      privileged: false\n  HostNetwork: true\n", nil, []int{10}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := manifest.Load("p.yaml", []byte(c.src))
			rep := &report.Report{}
			engine.New(engine.Options{Rules: rules}).Scan(res.Docs, rep)
			var got, errs []int
			for _, r := range rep.Results {
				got = append(got, r.Location.Line)
			}
			for _, e := range res.Errors {
				errs = append(errs, e.Line)
				if !strings.Contains(e.Msg, "unknown field") {
					t.Errorf("error %v", e)
				}
			}
			if len(rep.Errors) != 0 || !equal(got, c.findings) || !equal(errs, c.errors) {
				t.Errorf("findings at %v, errors at %v (engine %v); want %v and %v", got, errs, rep.Errors, c.findings, c.errors)
			}
		})
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
