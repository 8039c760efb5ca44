package engine

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/rules/k8s"
	"github.com/kharden/kharden/internal/source/manifest"
)

func pendingPod(name, sa, annotations string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s, namespace: shop%s}
spec:
  serviceAccountName: %s
  containers: [{name: c, image: registry.example.com/c:1.0}]
`, name, annotations, sa)
}

// pendingInputs are inputs whose pods wait for ServiceAccounts of the last one: one that
// opts out (web), one that sets true (api), one that sets nothing (plain), and one no
// input holds (batch).
func pendingInputs(annotate bool) map[string]string {
	ann := ""
	if annotate {
		ann = `, annotations: {"ignore.kharden.io/KM-0035": "reviewed"}`
	}
	return map[string]string{
		"b.yaml": pendingPod("api", "api", "") + "---\n" + pendingPod("batch", "batch", ann),
		"a.yaml": pendingPod("web", "web", "") + "---\n" + pendingPod("plain", "plain", ""),
		"c.yaml": pendingPod("web2", "web", ""),
		"z.yaml": `apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
automountServiceAccountToken: false
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: api, namespace: shop}
automountServiceAccountToken: true
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: plain, namespace: shop}
`,
	}
}

// settleAll scans the inputs in the order given into a Pending that spills past
// spillAt bytes, and returns the parts Settle emits.
func settleAll(t *testing.T, inputs map[string]string, order []string, spillAt int) (parts []*report.Report, spilled bool) {
	t.Helper()
	e := New(Options{Rules: []*k8s.Rule{k8s.ServiceAccountTokenAutomount}})
	p := NewPending()
	p.recs.at, p.runs.at = spillAt, spillAt
	defer p.Close()
	for _, name := range order {
		res := manifest.Load(name, []byte(inputs[name]))
		if len(res.Errors) != 0 {
			t.Fatalf("%s: %v", name, res.Errors)
		}
		var rep report.Report
		p.Add(e.ScanInput(res.Docs, &rep))
	}
	spilled = p.recs.spilled > 0 && p.runs.spilled > 0
	if err := p.Settle(func(part *report.Report) error { parts = append(parts, part); return nil }); err != nil {
		t.Fatal(err)
	}
	return parts, spilled
}

func describe(parts []*report.Report) (out []string) {
	for i, p := range parts {
		for _, list := range []struct {
			name string
			rs   []rule.Result
		}{{"result", p.Results}, {"suppressed", p.Suppressed}} {
			for _, r := range list.rs {
				out = append(out, fmt.Sprintf("part %d %s %s:%d %s %s/%s %q %s", i, list.name, r.Location.File, r.Location.Line,
					r.Meta.ID, r.Location.Object.Kind, r.Location.Object.Name, r.Suppressed, r.Message))
			}
		}
	}
	return out
}

// Held results come back settled against every input's ServiceAccounts, one part per
// file in file order, the same whether the records stayed in memory or went to a
// temporary file; an opt-out drops its pods' results.
func TestPendingSettle(t *testing.T) {
	inputs := pendingInputs(false)
	order := []string{"c.yaml", "b.yaml", "a.yaml", "z.yaml"}
	inMemory, spilled := settleAll(t, inputs, order, 1<<30)
	if spilled {
		t.Fatal("spilled below the threshold")
	}
	got := describe(inMemory)
	want := []string{
		`part 0 result a.yaml:1 KM-0035 Pod/plain "" neither the pod spec nor its ServiceAccount "shop/plain" sets automountServiceAccountToken: false, so the service-account token is mounted`,
		`part 1 result b.yaml:1 KM-0035 Pod/api "" pod spec does not set automountServiceAccountToken and its ServiceAccount "shop/api" sets it to true, so the service-account token is mounted`,
		`part 1 result b.yaml:8 KM-0035 Pod/batch "" pod spec does not set automountServiceAccountToken: false and its ServiceAccount "shop/batch" is not among the inputs, so the service-account token is mounted unless that ServiceAccount sets it to false`,
	}
	// The line of a finding is that of the nearest field present (the pod spec).
	for i := range got {
		got[i] = lineless(got[i])
	}
	for i := range want {
		want[i] = lineless(want[i])
	}
	if !slices.Equal(got, want) {
		t.Errorf("settled:\n got %q\nwant %q", got, want)
	}
	onDisk, spilled := settleAll(t, inputs, order, 1)
	if !spilled {
		t.Fatal("no temporary file at a threshold of one byte")
	}
	if a, b := describe(inMemory), describe(onDisk); !slices.Equal(a, b) {
		t.Errorf("spilled records settle differently:\n in memory %q\n spilled   %q", a, b)
	}
}

// lineless drops the line number of a described result.
func lineless(s string) string {
	f := strings.SplitN(s, " ", 5)
	file, _, _ := strings.Cut(f[3], ":")
	return strings.Join(append(f[:3:3], file, f[4]), " ")
}

// A suppressed held result makes one part of all the settled results, results and
// suppressed in their lists, spilled or not.
func TestPendingSettleSuppressed(t *testing.T) {
	inputs := pendingInputs(true)
	order := []string{"a.yaml", "b.yaml", "z.yaml"}
	for _, spillAt := range []int{1 << 30, 1} {
		parts, _ := settleAll(t, inputs, order, spillAt)
		if len(parts) != 1 {
			t.Fatalf("spill at %d: %d parts, want one", spillAt, len(parts))
		}
		p := parts[0]
		if len(p.Results) != 2 || len(p.Suppressed) != 1 || p.Suppressed[0].Location.Object.Name != "batch" || p.Suppressed[0].Suppressed == "" {
			t.Errorf("spill at %d: %q", spillAt, describe(parts))
		}
	}
}

// Nothing held, nothing emitted; a Pending with nothing spilled has no file to close.
func TestPendingEmpty(t *testing.T) {
	p := NewPending()
	p.Add(nil)
	p.Add(&Awaiting{})
	if err := p.Settle(func(*report.Report) error { t.Error("emitted a part"); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

// A file with more waiting results than pendingPartSize, in the order of their
// positions, is handed over in pieces marked Continued but the last, each cut between
// two positions; out of order, in one part.
func TestPendingSettlePieces(t *testing.T) {
	n := 2*pendingPartSize + 10
	var big, reversed strings.Builder
	for i := range n {
		fmt.Fprintf(&big, "---\n%s", pendingPod(fmt.Sprintf("p%d", i), "elsewhere", ""))
	}
	inputs := map[string]string{"big.yaml": big.String()}
	parts, _ := settleAll(t, inputs, []string{"big.yaml"}, 4096)
	if len(parts) != 3 {
		t.Fatalf("%d parts, want 3", len(parts))
	}
	total := 0
	var last rule.Location
	for i, p := range parts {
		if p.Continued != (i < len(parts)-1) {
			t.Errorf("part %d: Continued %v", i, p.Continued)
		}
		for _, r := range p.Results {
			if r.Location.File != "big.yaml" || r.Location.Line <= last.Line {
				t.Errorf("part %d: %s:%d after line %d", i, r.Location.File, r.Location.Line, last.Line)
			}
			last = r.Location
		}
		total += len(p.Results)
	}
	if total != n {
		t.Errorf("%d results, want %d", total, n)
	}

	// Two inputs naming the same file, the second with earlier positions: the records
	// of the file are not in order, so they make one part.
	for i := range pendingPartSize + 1 {
		fmt.Fprintf(&reversed, "---\n%s", pendingPod(fmt.Sprintf("q%d", i), "elsewhere", ""))
	}
	e := New(Options{Rules: []*k8s.Rule{k8s.ServiceAccountTokenAutomount}})
	p := NewPending()
	defer p.Close()
	for _, src := range []string{"---\n---\n---\n---\n" + reversed.String(), reversed.String()} {
		res := manifest.Load("same.yaml", []byte(src))
		var rep report.Report
		p.Add(e.ScanInput(res.Docs, &rep))
	}
	parts = nil
	if err := p.Settle(func(part *report.Report) error { parts = append(parts, part); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(parts) != 1 || parts[0].Continued || len(parts[0].Results) != 2*(pendingPartSize+1) {
		t.Errorf("out of order: %d parts, want one of %d results", len(parts), 2*(pendingPartSize+1))
	}
}

// With no temporary file to be had, the records stay in memory and settle the same.
func TestPendingNoTemporaryFile(t *testing.T) {
	inputs := pendingInputs(false)
	order := []string{"c.yaml", "b.yaml", "a.yaml", "z.yaml"}
	want, _ := settleAll(t, inputs, order, 1<<30)
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	got, spilled := settleAll(t, inputs, order, 1)
	if spilled {
		t.Fatal("spilled to a directory that does not exist")
	}
	if a, b := describe(want), describe(got); !slices.Equal(a, b) {
		t.Errorf("kept in memory for want of a file:\n got %q\nwant %q", b, a)
	}
}
