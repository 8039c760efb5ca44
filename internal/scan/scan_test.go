package scan

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
)

func run(t *testing.T, o Options) *report.Report {
	t.Helper()
	rep, err := Run(o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func ids(rs []rule.Result) map[string]int {
	m := map[string]int{}
	for _, r := range rs {
		m[r.Meta.ID]++
	}
	return m
}

func TestExamples(t *testing.T) {
	hard := run(t, Options{Paths: []string{"../../examples/hardened"}})
	if len(hard.Results) != 0 || len(hard.Errors) != 0 {
		for _, r := range hard.Results {
			t.Errorf("hardened example: %s %s: %s", r.Location, r.Meta.ID, r.Message)
		}
		t.Errorf("hardened example errors: %v", hard.Errors)
	}
	bad := run(t, Options{Paths: []string{"../../examples/insecure"}})
	got := ids(bad.Results)
	for _, id := range []string{"KM-0004", "KM-0009"} {
		if got[id] == 0 {
			t.Errorf("insecure example: no %s finding", id)
		}
	}
	if !bad.Failed() {
		t.Error("insecure example does not fail the run")
	}
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const privilegedPod = `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: shop
%s
spec:
  containers:
    - name: c
      image: registry.example.com/c:1
      securityContext:
        privileged: true
`

func pod(annotations string) string {
	return strings.Replace(privilegedPod, "%s", annotations, 1)
}

func TestBadInputDoesNotStopTheRun(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a-good.yaml", pod(""))
	write(t, dir, "b-broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [x\n")
	write(t, dir, "c-binary.json", "\x7fELF\x00\x00")
	write(t, dir, "d-wrongtype.yaml", strings.Replace(pod(""), "privileged: true", `privileged: "yes"`, 1))
	write(t, dir, "e-empty.yaml", "")
	write(t, dir, "f-values.yaml", "replicas: 3\n")
	write(t, dir, "notes.txt", "not scanned")
	rep := run(t, Options{Paths: []string{dir, filepath.Join(dir, "missing.yaml")}})
	if ids(rep.Results)["KM-0004"] != 1 {
		t.Errorf("good file not scanned: %v", ids(rep.Results))
	}
	want := map[string]string{
		"b-broken.yaml":    ":4: invalid YAML",
		"c-binary.json":    "binary file",
		"d-wrongtype.yaml": ":12: Pod p: field spec.containers.securityContext.privileged must be a boolean",
		"missing.yaml":     "no such file",
	}
	if len(rep.Errors) != len(want) {
		t.Errorf("errors: %+v", rep.Errors)
	}
	for _, e := range rep.Errors {
		base := filepath.Base(e.File)
		line := ""
		if e.Line > 0 {
			line = ":" + strconv.Itoa(e.Line) + ": "
		}
		if w, ok := want[base]; !ok || !strings.Contains(line+e.Message, w) {
			t.Errorf("error %s%s%s, want %q", base, line, e.Message, w)
		}
	}
	if len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0].Message, "not a Kubernetes object") {
		t.Errorf("notes: %+v", rep.Notes)
	}
}

func TestSuppressions(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, ann           string
		results, suppressed int
		errs, notes         int
	}{
		{"by slug", `  annotations: {ignore.kharden.io/privileged: "debug agent"}`, 0, 1, 0, 0},
		{"by ID", `  annotations: {ignore.kharden.io/KM-0004: "debug agent; expires=2999-01-01"}`, 0, 1, 0, 0},
		{"expired", `  annotations: {ignore.kharden.io/privileged: "debug agent; expires=2001-01-01"}`, 1, 0, 0, 0},
		{"no reason", `  annotations: {ignore.kharden.io/privileged: ""}`, 1, 0, 1, 0},
		{"unknown rule", `  annotations: {ignore.kharden.io/no-such-rule: "x"}`, 1, 0, 1, 0},
		{"unused", `  annotations: {ignore.kharden.io/host-ports: "not needed"}`, 1, 0, 0, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := write(t, dir, strings.ReplaceAll(c.name, " ", "-")+".yaml", pod(c.ann))
			rep := run(t, Options{Paths: []string{p}})
			got := ids(rep.Results)["KM-0004"]
			if got != c.results || len(rep.Suppressed) != c.suppressed || len(rep.Errors) != c.errs || len(rep.Notes) != c.notes {
				t.Errorf("results %d suppressed %d errors %v notes %v", got, len(rep.Suppressed), rep.Errors, rep.Notes)
			}
			for _, e := range append(rep.Errors, rep.Notes...) {
				if e.Line != 6 {
					t.Errorf("problem not at the annotation's line 6: %+v", e)
				}
			}
		})
	}
}

func TestConfig(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "pod.yaml", pod(""))
	cfg, err := config.Parse(".kharden.yaml", []byte("failOn: critical\nrules:\n  severity: {privileged: low}\n"))
	if err != nil {
		t.Fatal(err)
	}
	rep := run(t, Options{Paths: []string{p}, Config: cfg})
	if len(rep.Results) == 0 {
		t.Fatal("no results")
	}
	for _, r := range rep.Results {
		if r.Meta.ID == "KM-0004" && r.Severity != rule.Low {
			t.Errorf("severity override not applied: %s", r.Severity)
		}
	}
	if rep.FailOn != rule.Critical || rep.Failed() {
		t.Errorf("failOn %s failed %v", rep.FailOn, rep.Failed())
	}

	cfg, _ = config.Parse(".kharden.yaml", []byte("rules:\n  disable: [privileged]\nexemptNamespaces: []\n"))
	if ids(run(t, Options{Paths: []string{p}, Config: cfg}).Results)["KM-0004"] != 0 {
		t.Error("disabled rule ran")
	}
	cfg, _ = config.Parse(".kharden.yaml", []byte("exemptNamespaces: [shop]\n"))
	if n := len(run(t, Options{Paths: []string{p}, Config: cfg}).Results); n != 0 {
		t.Errorf("exempt namespace scanned: %d results", n)
	}

	cfg, _ = config.Parse("/x/.kharden.yaml", []byte("failOn: severe\nrules:\n  disable:\n    - privileged\n    - no-such-rule\n"))
	_, err = Run(Options{Paths: []string{p}, Config: cfg})
	if err == nil || !strings.Contains(err.Error(), `/x/.kharden.yaml:5: unknown rule "no-such-rule"`) ||
		!strings.Contains(err.Error(), `/x/.kharden.yaml:1: failOn: unknown severity "severe"`) {
		t.Errorf("got %v", err)
	}
	if _, err := config.Parse("c.yaml", []byte("rules:\n  disabled: [x]\n")); err == nil || !strings.Contains(err.Error(), "c.yaml:2:") {
		t.Errorf("unknown field: got %v", err)
	}
}

func TestProfiles(t *testing.T) {
	for _, bad := range []string{"pss-strict", "pss-restricted:v2.0", "default:v1.30"} {
		if _, err := Run(Options{Paths: []string{"."}, Profile: bad}); err == nil {
			t.Errorf("profile %q accepted", bad)
		}
	}
	rules, _, lv, err := Rules("pss-restricted:v1.30", &config.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if lv.String() != "restricted:v1.30" {
		t.Errorf("level %s", lv)
	}
	for _, r := range rules {
		if !isPSS(r) {
			t.Errorf("pss profile runs %s", r.ID)
		}
	}
}

func TestStdin(t *testing.T) {
	rep := run(t, Options{Paths: []string{"-"}, Stdin: strings.NewReader(pod(""))})
	if len(rep.Results) == 0 || rep.Results[0].Location.File != "<stdin>" {
		t.Errorf("stdin: %+v", rep.Results)
	}
}

func TestConfigFoundUpward(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, ".kharden.yaml", "failOn: low\n")
	sub := filepath.Join(dir, "a", "b")
	write(t, sub, "pod.yaml", pod(""))
	if got := config.Find(sub); got != filepath.Join(dir, ".kharden.yaml") {
		t.Errorf("Find = %q", got)
	}
}

func TestChartsAndKustomizationsAreRenderedNotRead(t *testing.T) {
	rep := run(t, Options{Paths: []string{"../source/helm/testdata/web", "../source/kustomize/testdata/base"}})
	var chart, kust bool
	for _, r := range rep.Results {
		f := filepath.ToSlash(r.Location.File)
		chart = chart || strings.Contains(f, "helm/testdata/web/templates/")
		kust = kust || strings.HasSuffix(f, "kustomize/testdata/base/deployment.yaml")
		if r.Location.Line == 0 {
			t.Errorf("%s: no line", r.Location)
		}
	}
	if !chart || !kust {
		t.Errorf("chart findings %v, kustomize findings %v", chart, kust)
	}
	for _, e := range rep.Errors {
		t.Errorf("error: %+v", e)
	}
}

// TestParallelOrder checks that the parallel scan emits the same parts in the same order
// as a sequential one.
func TestParallelOrder(t *testing.T) {
	paths := []string{"../../examples", "../rules/k8s/testdata"}
	seq := run(t, Options{Paths: paths, Jobs: 1})
	par := run(t, Options{Paths: paths, Jobs: 4})
	if len(seq.Scanned) < 20 || strings.Join(seq.Scanned, "\n") != strings.Join(par.Scanned, "\n") {
		t.Fatalf("order differs or too few inputs: %d vs %d", len(seq.Scanned), len(par.Scanned))
	}
	if len(seq.Results) != len(par.Results) {
		t.Errorf("results: %d sequential, %d parallel", len(seq.Results), len(par.Results))
	}
}

func TestLookupAnyNodeRules(t *testing.T) {
	for _, q := range []string{"KN-0001", "kn-0001", "control-plane-manifest-files"} {
		if m := LookupAny(q); m == nil || m.ID != "KN-0001" {
			t.Errorf("LookupAny(%q) = %v, want KN-0001", q, m)
		}
	}
	found := false
	for _, m := range AllRules() {
		found = found || m.ID == "KN-0001"
	}
	if !found {
		t.Error("AllRules lacks KN-0001")
	}
	cfg, err := config.Parse(".kharden.yaml", []byte("rules:\n  disable: [control-plane-manifest-files, KN-0002]\n  severity: {etcd-data-dir: low}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, res, _, err := Rules("", cfg)
	if err != nil {
		t.Fatalf("a config naming node rules: %v", err)
	}
	if on, ok := res.Enabled["KN-0001"]; !ok || on {
		t.Errorf("KN-0001 not resolved as disabled: %v %v", on, ok)
	}
	if res.Severity["KN-0003"] != rule.Low {
		t.Errorf("KN-0003 severity = %v, want low", res.Severity["KN-0003"])
	}
}
