package admission

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/testkit"
)

// answerSize is the size of the AdmissionReview the webhook would write.
func answerSize(t *testing.T, resp *admissionv1.AdmissionResponse) int {
	t.Helper()
	out, err := json.Marshal(admissionv1.AdmissionReview{Response: resp})
	if err != nil {
		t.Fatal(err)
	}
	return len(out)
}

// checkWarnings fails unless the warnings fit the API server's budget whole.
func checkWarnings(t *testing.T, name string, ws []string) {
	t.Helper()
	total := 0
	for _, w := range ws {
		total += utf8.RuneCountInString(w)
		if utf8.RuneCountInString(w) > 256 {
			t.Errorf("%s: warning of %d runes: %.80s...", name, utf8.RuneCountInString(w), w)
		}
	}
	if total > 4096 {
		t.Errorf("%s: %d warnings of %d runes in all, past the API server's 4096", name, len(ws), total)
	}
}

// A pod built to exhaust the webhook (thousands of privileged containers, host ports,
// hostPath volumes, secret-named variables, capabilities) gets a small answer: denied
// unjudged where a level enforces, admitted with one warning where none does.
func TestHostileReviewsAreCapped(t *testing.T) {
	enforcing := reviewer(t, &config.Config{}, StaticNamespaces{"shop": {LabelEnforce: "high", LabelWarn: "pss-restricted", LabelAudit: "low"}})
	warning := reviewer(t, &config.Config{}, StaticNamespaces{"shop": {LabelWarn: "low", LabelAudit: "low"}})
	for _, shape := range testkit.HostileShapes {
		n := 30000
		if shape == "containers" {
			n = 12000
		}
		rev, err := DecodeReview(testkit.HostileReview("u", shape, n))
		if err != nil {
			t.Fatal(err)
		}
		d := enforcing.Validate(context.Background(), rev.Request)
		resp := d.Response
		if resp.Allowed || resp.Result == nil || !strings.Contains(resp.Result.Message, "not admitted under enforce level high") ||
			!strings.Contains(resp.Result.Message, "the webhook judges in one review") {
			t.Errorf("%s, enforce: allowed %v, %+v", shape, resp.Allowed, resp.Result)
		}
		if size := answerSize(t, resp); size > 2048 {
			t.Errorf("%s, enforce: answer of %d bytes", shape, size)
		}
		if shape == "containers" && !strings.Contains(resp.Result.Message, "12000 containers, more than the 100") {
			t.Errorf("containers: %s", resp.Result.Message)
		}

		d = warning.Validate(context.Background(), rev.Request)
		resp = d.Response
		if !resp.Allowed || d.Outcome != Warned || len(resp.Warnings) != 1 || !strings.HasPrefix(resp.Warnings[0], "kharden: not judged: Pod shop/hostile has") {
			t.Errorf("%s, warn: allowed %v, %q", shape, resp.Allowed, resp.Warnings)
		}
		if size := answerSize(t, resp); size > 2048 {
			t.Errorf("%s, warn: answer of %d bytes", shape, size)
		}
		m := warning.Mutate(context.Background(), rev.Request)
		if len(m.Response.Patch) > 0 {
			t.Errorf("%s: mutated past the caps", shape)
		}
	}
}

// Under the caps, a pod with many findings is judged on all of them, and its answer lists
// a few and counts the rest: warnings within the API server's budget, the denial
// message and audit annotations bounded.
func TestManyFindingsAreCounted(t *testing.T) {
	r := reviewer(t, &config.Config{}, StaticNamespaces{"shop": {LabelEnforce: "high", LabelWarn: "low", LabelAudit: "low"}})
	rev, err := DecodeReview(testkit.HostileReview("u", "volumes", 900))
	if err != nil {
		t.Fatal(err)
	}
	d := r.Validate(context.Background(), rev.Request)
	resp := d.Response
	if resp.Allowed || !strings.Contains(resp.Result.Message, "violates enforce level high") || !strings.Contains(resp.Result.Message, "more") {
		t.Errorf("denial: %+v", resp.Result)
	}
	checkWarnings(t, "volumes", resp.Warnings)
	if last := resp.Warnings[len(resp.Warnings)-1]; !strings.Contains(last, "more") {
		t.Errorf("the last warning does not count the rest: %q", last)
	}
	if size := answerSize(t, resp); size > 32<<10 {
		t.Errorf("answer of %d bytes", size)
	}
	for k, v := range resp.AuditAnnotations {
		if len(v) > maxAnnotation {
			t.Errorf("annotation %s of %d bytes", k, len(v))
		}
	}
}

// An enforce level denies an object with more findings than MaxFindings even when none
// reaches its threshold; without an enforce level it is admitted with its warnings.
func TestFindingsCap(t *testing.T) {
	var cs []string
	for i := range 20 {
		cs = append(cs, fmt.Sprintf("  - {name: c%d, image: registry.example.com/c@sha256:%064d}", i, 0))
	}
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: many, namespace: shop}\nspec:\n  containers:\n" + strings.Join(cs, "\n") + "\n"
	req := request(t, admissionv1.Create, pod)
	for _, c := range []struct {
		labels  map[string]string
		allowed bool
	}{
		{map[string]string{LabelEnforce: "critical"}, false},
		{map[string]string{LabelWarn: "low"}, true},
	} {
		r, err := New(Options{Config: &config.Config{}, Namespaces: StaticNamespaces{"shop": c.labels}, MaxFindings: 10})
		if err != nil {
			t.Fatal(err)
		}
		resp := r.Validate(context.Background(), req).Response
		if resp.Allowed != c.allowed {
			t.Errorf("%v: allowed %v, %+v", c.labels, resp.Allowed, resp.Result)
		}
		if !c.allowed && !strings.Contains(resp.Result.Message, "findings, more than the 10 the webhook judges") {
			t.Errorf("%v: %s", c.labels, resp.Result.Message)
		}
		checkWarnings(t, "20 containers", resp.Warnings)
	}
	// Without the cap, none of the findings is critical.
	if resp := reviewer(t, &config.Config{}, StaticNamespaces{"shop": {LabelEnforce: "critical"}}).Validate(context.Background(), req).Response; !resp.Allowed {
		t.Errorf("without the cap: %+v", resp.Result)
	}
}

func TestCapWarnings(t *testing.T) {
	long := strings.Repeat("é", 200)
	var ws []string
	for range 40 {
		ws = append(ws, long)
	}
	got := capWarnings(ws)
	checkWarnings(t, "capped", got)
	if len(got) != 21 || got[20] != "kharden: 20 more warnings not shown" {
		t.Errorf("%d warnings, last %q", len(got), got[len(got)-1])
	}
	if got := capWarnings(ws[:20]); len(got) != 20 {
		t.Errorf("20 warnings of 200 runes (4,000 in all) capped to %d", len(got))
	}
}
