package cli

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kharden/kharden/internal/audit"
	"github.com/kharden/kharden/internal/benchmark"
)

// nodeRoot writes a node's root filesystem: an API server static pod with anonymous
// auth on, readable by everyone.
func nodeRoot(t *testing.T) string {
	root := t.TempDir()
	manifest := filepath.Join(root, "etc/kubernetes/manifests/kube-apiserver.yaml")
	if err := os.MkdirAll(filepath.Dir(manifest), 0o755); err != nil {
		t.Fatal(err)
	}
	pod := `apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver
  namespace: kube-system
spec:
  containers:
  - name: kube-apiserver
    image: registry.k8s.io/kube-apiserver:v1.36.3
    command:
    - kube-apiserver
    - --anonymous-auth=true
    - --authorization-mode=Node,RBAC
`
	if err := os.WriteFile(manifest, []byte(pod), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestAuditNode(t *testing.T) {
	root := nodeRoot(t)
	manifest := "/etc/kubernetes/manifests/kube-apiserver.yaml"

	code, out, errOut := run("", "audit", "node", "--root", root, "--no-config")
	if code != ExitError && code != ExitFindings {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	if !regexp.MustCompile(`(?m)^\s+12\s+high\s+KC-0019 apiserver-anonymous-auth\s+kube-apiserver \(` + regexp.QuoteMeta(manifest) + `\)`).MatchString(out) {
		t.Errorf("text output lacks the anonymous-auth finding at %s:12:\n%s", manifest, out)
	}
	if !strings.HasPrefix(out, "config: none (--no-config: built-in defaults)\n") {
		t.Errorf("text output does not start with the config:\n%s", out)
	}

	code, out, _ = run("", "audit", "node", "--root", root, "--no-config", "--benchmark", "cis-1.12")
	if code == 0 {
		t.Errorf("benchmark run exited 0")
	}
	for _, want := range []string{"\nconfig: none (--no-config: built-in defaults)\n", "[FAIL] 1.2.1 ", "[PASS] 1.2.6 ", "[FAIL] 1.1.1 ", "[SKIP] 2.1 ", "[WARN] 3.1.1 ", "== Summary"} {
		if !strings.Contains(out, want) {
			t.Errorf("benchmark report lacks %q:\n%s", want, out)
		}
	}

	// The benchmark, machine-readable: every item once, numbered, with its verdict and
	// the results behind it.
	_, out, _ = run("", "audit", "node", "--root", root, "--no-config", "--benchmark", "cis-1.12", "-o", "json")
	var doc audit.BenchmarkDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	b := benchmark.CIS112()
	seen := map[string]audit.BenchmarkItem{}
	total := 0
	for _, s := range doc.Sections {
		for _, g := range s.Groups {
			for _, it := range g.Items {
				if _, dup := seen[it.ID]; dup {
					t.Errorf("item %s twice", it.ID)
				}
				seen[it.ID] = it
				if !slices.Contains([]string{"PASS", "FAIL", "WARN", "ERROR", "SKIP"}, it.Status) {
					t.Errorf("item %s: status %q", it.ID, it.Status)
				}
				if it.Status != "PASS" && it.Remediation == "" {
					t.Errorf("item %s: %s without remediation", it.ID, it.Status)
				}
			}
		}
	}
	for _, n := range doc.Totals {
		total += n
	}
	if len(seen) != len(b.Items) || total != len(b.Items) || doc.Benchmark != "cis-1.12" {
		t.Errorf("%d items, totals %v, benchmark %q; the benchmark has %d items", len(seen), doc.Totals, doc.Benchmark, len(b.Items))
	}
	want := func(id, status string) audit.BenchmarkItem {
		t.Helper()
		it := seen[id]
		if it.Status != status {
			t.Errorf("item %s: %s, want %s (%+v)", id, it.Status, status, it)
		}
		return it
	}
	it := want("1.2.1", "FAIL")
	if !slices.ContainsFunc(it.Results, func(r audit.BenchmarkResult) bool {
		return r.Rule == "KC-0019" && r.Status == "fail" && r.File == manifest && r.Line == 12 && r.Remediation != ""
	}) {
		t.Errorf("1.2.1 lacks KC-0019 at %s:12: %+v", manifest, it.Results)
	}
	want("1.2.6", "PASS")
	want("2.1", "SKIP")
	want("3.1.1", "WARN")

	// The same items as JUnit test cases and SARIF rules.
	_, out, _ = run("", "audit", "node", "--root", root, "--no-config", "--benchmark", "cis-1.12", "-o", "junit")
	var suites struct {
		Suites []struct {
			Tests int `xml:"tests,attr"`
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out), &suites); err != nil {
		t.Fatalf("junit: %v\n%s", err, out)
	}
	cases, failed := 0, false
	for _, s := range suites.Suites {
		cases += len(s.Cases)
		for _, c := range s.Cases {
			failed = failed || (strings.HasPrefix(c.Name, "1.2.1 ") && c.Failure != nil)
		}
	}
	if cases != len(b.Items) || !failed {
		t.Errorf("junit: %d cases (want %d), 1.2.1 failed %v", cases, len(b.Items), failed)
	}
	_, out, _ = run("", "audit", "node", "--root", root, "--no-config", "--benchmark", "cis-1.12", "-o", "sarif")
	var sarif struct {
		Runs []struct {
			Tool struct {
				Driver struct{ Rules []struct{ ID string } }
			}
			Results []struct{ RuleID, Level string }
		}
	}
	validateReport(t, "../report/testdata/sarif-schema-2.1.0.json", out)
	if err := json.Unmarshal([]byte(out), &sarif); err != nil || len(sarif.Runs) != 1 {
		t.Fatalf("sarif: %v\n%s", err, out)
	}
	if r := sarif.Runs[0]; len(r.Tool.Driver.Rules) != len(b.Items) || !slices.ContainsFunc(r.Results, func(x struct{ RuleID, Level string }) bool {
		return x.RuleID == "1.2.1" && x.Level == "error"
	}) {
		t.Errorf("sarif: %d rules, results %+v", len(r.Tool.Driver.Rules), r.Results)
	}
}

func TestAuditNodeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"audit", "node", "--benchmark", "cis-9.9"},
		{"audit", "node", "--root", filepath.Join(t.TempDir(), "missing")},
		{"audit", "node", "-o", "yaml"},
		{"audit", "node", "--repeat", "-1s"},
	} {
		code, _, errOut := run("", append(args, "--no-config")...)
		if code != ExitError || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, errOut)
		}
	}
}

// validateReport checks a JSON report against the published schema.
func validateReport(t *testing.T, schemaFile, doc string) {
	t.Helper()
	f, err := os.Open(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sdoc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("file:///schema.json", sdoc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("file:///schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("the report does not follow %s: %v", schemaFile, err)
	}
}

// --enable, --disable and --severity select as in kharden scan.
func TestAuditNodeSelection(t *testing.T) {
	root := nodeRoot(t)
	_, out, _ := run("", "audit", "node", "--root", root, "--no-config")
	if !strings.Contains(out, "KC-0019") {
		t.Fatalf("baseline lacks KC-0019:\n%s", out)
	}
	if _, out, _ := run("", "audit", "node", "--root", root, "--no-config", "--disable", "apiserver-anonymous-auth"); strings.Contains(out, "KC-0019") {
		t.Errorf("--disable: KC-0019 still reported")
	}
	_, out, _ = run("", "audit", "node", "--root", root, "--no-config", "--severity", "high")
	if !strings.Contains(out, "KC-0019") || strings.Contains(out, " medium ") || strings.Contains(out, " low ") {
		t.Errorf("--severity high:\n%s", out)
	}
}
