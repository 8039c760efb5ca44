package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// report --framework judges a scan's saved JSON results control by control, from a file or
// standard input, in text, JSON and HTML; a failing control exits 1.
func TestReportFramework(t *testing.T) {
	dir := t.TempDir()
	saved := filepath.Join(dir, "scan.json")
	if code, _, errOut := run("", "scan", "--no-config", "-o", "json", "--output", saved, "../../examples/insecure"); code != ExitFindings {
		t.Fatalf("scan: exit %d: %s", code, errOut)
	}
	code, out, errOut := run("", "report", "--framework", "pss-baseline", saved)
	if code != ExitFindings {
		t.Errorf("report: exit %d, want 1: %s", code, errOut)
	}
	for _, want := range []string{"Pod Security Standards, baseline level — kharden report over " + saved,
		"FAIL         privileged  No privileged containers\n", "KM-0004 critical fail", "PASS         sysctls ", "== Summary: "} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	data, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	_, out, errOut = run(string(data), "report", "--framework", "nsa-cisa", "-o", "json")
	var doc struct {
		Inputs   []string
		Controls []struct{ ID, Status string }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Inputs) != 1 || doc.Inputs[0] != "standard input" {
		t.Fatalf("json from standard input: %v, inputs %v: %s\n%s", err, doc.Inputs, errOut, out)
	}
	statuses := map[string]string{}
	for _, c := range doc.Controls {
		statuses[c.ID] = c.Status
	}
	if statuses["Kubernetes Pod security: Pod security enforcement"] != "fail" || statuses["Network separation and hardening: etcd"] != "not-run" {
		t.Errorf("nsa-cisa verdicts: %v", statuses)
	}
	page := filepath.Join(dir, "cis.html")
	if code, _, errOut := run("", "report", "--framework", "cis-1.12", "-o", "html", "--output", page, saved); code != ExitFindings {
		t.Errorf("report -o html: exit %d: %s", code, errOut)
	}
	if html, _ := os.ReadFile(page); !strings.Contains(string(html), "<h1>CIS Kubernetes Benchmark v1.12</h1>") {
		t.Errorf("report -o html wrote %.300s", html)
	}

	for _, c := range []struct {
		args []string
		in   string
	}{
		{[]string{"report", saved}, "--framework is required"},
		{[]string{"report", "--framework", "cis-9", saved}, "unknown framework"},
		{[]string{"report", "--framework", "cis-1.12", "-o", "sarif", saved}, "unknown output format"},
		{[]string{"report", "--framework", "cis-1.12", filepath.Join(dir, "nope.json")}, "no such file"},
		{[]string{"report", "--framework", "cis-1.12", "../../examples/insecure/deployment.yaml"}, "not a kharden JSON report"},
	} {
		if code, _, errOut := run("", c.args...); code != ExitError || !strings.Contains(errOut, c.in) {
			t.Errorf("%v: exit %d, stderr %q (want 2 and %q)", c.args, code, errOut, c.in)
		}
	}
}
