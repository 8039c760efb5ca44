package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/rule"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Test rules: local copies, so the golden files do not change when a real rule's wording does.
var (
	metaPrivileged = &rule.Meta{
		ID: "KM-0004", Slug: "privileged", Title: "Containers must not run privileged", Severity: rule.Critical,
		Practices:   []string{"C4"},
		Rationale:   "A privileged container is root on the node in all but name.",
		Remediation: "Remove securityContext.privileged or set it to false.",
		References:  []string{"https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline"},
		Standards:   rule.Standards{CIS: []string{"5.2.2"}, PSS: []string{"baseline:privileged"}},
		Since:       "0.1.0", Default: true,
	}
	metaHostPorts = &rule.Meta{
		ID: "KM-0009", Slug: "host-ports", Title: "Containers must not bind host ports", Severity: rule.High,
		Practices:   []string{"C9"},
		Rationale:   "A host port ties the pod to a node and exposes it on the node's network.",
		Remediation: "Remove hostPort; expose the pod through a Service.",
		Standards:   rule.Standards{PSS: []string{"baseline:hostPorts"}},
		Since:       "0.1.0", Default: true,
	}
	metaMemory = &rule.Meta{
		ID: "KM-0014", Slug: "memory-limits", Title: "Containers must set memory requests and limits", Severity: rule.Medium,
		Practices:   []string{"C14"},
		Rationale:   "Without a memory limit one container can starve its node.",
		Remediation: "Set resources.requests.memory and resources.limits.memory.",
		Since:       "0.1.0", Default: true,
	}
	metaRBAC = &rule.Meta{
		ID: "KM-0040", Slug: "rbac-wildcards", Title: "Roles must not grant wildcard verbs or resources", Severity: rule.High,
		Practices:   []string{"D10"},
		Rationale:   "A wildcard grants every present and future permission.",
		Remediation: "List the verbs and resources the subject needs.",
		Since:       "0.1.0", Default: true,
	}
	metaDefaultNS = &rule.Meta{
		ID: "KM-0017", Slug: "default-namespace", Title: "Objects must not use the default namespace", Severity: rule.Low,
		Practices:   []string{"C17"},
		Rationale:   "The default namespace mixes unrelated workloads under one policy.",
		Remediation: "Set metadata.namespace.",
		Since:       "0.1.0", Default: true, Deprecated: true, ReplacedBy: "KM-0018",
	}
)

var web = rule.Object{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}

// fixture is one report exercising every part of every format: several files and
// severities (one overridden), a rule that could not be evaluated, a manual result, a
// cluster-scoped object, a path with a space, a suppressed result, a load error and a
// note. Results are deliberately out of order.
func fixture() *Report {
	return &Report{
		Tool:    "kharden",
		Version: "0.1.0-test",
		Rules:   []*rule.Meta{metaPrivileged, metaMemory, metaHostPorts, metaRBAC, metaDefaultNS},
		Results: []rule.Result{
			{Meta: metaHostPorts, Status: rule.Fail, Severity: rule.High, Message: `container "web" binds host port 8080`,
				Location: rule.Location{File: "deploy/web.yaml", Line: 24, Column: 15,
					FieldPath: "spec.template.spec.containers[0].ports[0].hostPort", Object: web}},
			{Meta: metaPrivileged, Status: rule.Fail, Severity: rule.Critical, Message: `container "web" runs privileged`,
				Location: rule.Location{File: "deploy/web.yaml", Line: 12, Column: 7,
					FieldPath: "spec.template.spec.containers[0].securityContext.privileged", Object: web}},
			{Meta: metaMemory, Status: rule.Fail, Severity: rule.Low, Message: `container "web" has no memory limit`,
				Location: rule.Location{File: "deploy/web.yaml", Line: 9, Column: 9,
					FieldPath: "spec.template.spec.containers[0]", Object: web}},
			{Meta: metaRBAC, Status: rule.Error, Severity: rule.High,
				Message: "internal error in rule KM-0040 (rbac-wildcards): boom\ngoroutine 1 [running]:",
				Location: rule.Location{File: "rbac/roles.yaml", Line: 1, Column: 1,
					Object: rule.Object{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "admin-all"}}},
			{Meta: metaDefaultNS, Status: rule.Manual, Severity: rule.Info, Message: `check whether Job "migrate" belongs in the default namespace`,
				Location: rule.Location{File: "jobs/my jobs.yaml", Line: 3, Column: 3, FieldPath: "metadata",
					Object: rule.Object{APIVersion: "batch/v1", Kind: "Job", Namespace: "default", Name: "migrate"}}},
		},
		Suppressed: []rule.Result{
			{Meta: metaHostPorts, Status: rule.Fail, Severity: rule.High, Message: `container "agent" binds host port 9100`,
				Suppressed: "node exporter must listen on the node",
				Location: rule.Location{File: "deploy/web.yaml", Line: 40, Column: 15,
					FieldPath: "spec.template.spec.containers[1].ports[0].hostPort", Object: web}},
		},
		Errors: []Problem{{File: "broken.yaml", Line: 3, Column: 5, Message: "mapping values are not allowed in this context"}},
		Notes: []Problem{{File: "deploy/web.yaml", Line: 5, Column: 7,
			Message: `suppression "host-network" on Deployment shop/web matches no finding`}},
		Files:   5,
		Objects: 4,
		Scanned: []string{"rbac/roles.yaml", "deploy/web.yaml", "broken.yaml", "clean.yaml", "jobs/my jobs.yaml"},
		FailOn:  rule.High,
		Config:  Config{File: "ci/kharden.yaml", Source: ConfigFlag},
	}
}

func render(t *testing.T, rep *Report, format string, opt Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, rep, format, opt); err != nil {
		t.Fatalf("Write(%s): %v", format, err)
	}
	return buf.Bytes()
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run: go test ./internal/report/ -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale or the renderer changed; diff the output below with it, then run go test ./internal/report/ -update\n--- got:\n%s", path, got)
	}
}

func TestGolden(t *testing.T) {
	cases := []struct {
		file, format string
		opt          Options
	}{
		{"report.text.golden", "text", Options{}},
		{"report.text-color.golden", "text", Options{Color: true}},
		{"report.json.golden", "json", Options{}},
		{"report.sarif.golden", "sarif", Options{}},
		{"report.junit.golden", "junit", Options{}},
		{"report.html.golden", "html", Options{}},
		{"empty.text.golden", "text", Options{}},
		{"empty.json.golden", "json", Options{}},
		{"empty.sarif.golden", "sarif", Options{}},
		{"empty.junit.golden", "junit", Options{}},
		{"empty.html.golden", "html", Options{}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			rep := fixture()
			if strings.HasPrefix(c.file, "empty.") {
				rep = &Report{Version: "0.1.0-test", Rules: []*rule.Meta{metaPrivileged}, FailOn: rule.High}
			}
			golden(t, c.file, render(t, rep, c.format, c.opt))
		})
	}
}

func TestFormatsAllWork(t *testing.T) {
	for _, f := range Formats {
		if len(render(t, fixture(), f, Options{})) == 0 {
			t.Errorf("format %s wrote nothing", f)
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	var buf bytes.Buffer
	err := Write(&buf, fixture(), "yaml", Options{})
	if err == nil {
		t.Fatal("Write accepted format yaml")
	}
	for _, want := range []string{`"yaml"`, "text, json, sarif, junit"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("Write wrote %q for an unknown format", buf.String())
	}
}

// Write renders a sorted copy: the caller's report keeps its order, and the output
// does not depend on the order results were added in.
func TestWriteSortsACopy(t *testing.T) {
	rep := fixture()
	before := rep.Results[0].Location
	reversed := fixture()
	for i, j := 0, len(reversed.Results)-1; i < j; i, j = i+1, j-1 {
		reversed.Results[i], reversed.Results[j] = reversed.Results[j], reversed.Results[i]
	}
	for _, f := range Formats {
		a, b := render(t, rep, f, Options{}), render(t, reversed, f, Options{})
		if !bytes.Equal(a, b) {
			t.Errorf("%s output depends on the order of results", f)
		}
	}
	if rep.Results[0].Location != before {
		t.Error("Write reordered the caller's report")
	}
}

func TestTextColorOnlyWhenAsked(t *testing.T) {
	plain := string(render(t, fixture(), "text", Options{}))
	if strings.Contains(plain, "\x1b[") {
		t.Error("text output without Color contains ANSI escapes")
	}
	colored := string(render(t, fixture(), "text", Options{Color: true}))
	if !strings.Contains(colored, ansiBoldRed+"critical"+ansiReset) {
		t.Error("critical is not coloured bold red with Color set")
	}
	// Colour changes nothing but the escapes.
	stripped := strings.NewReplacer(ansiReset, "", ansiBoldRed, "", ansiRed, "", ansiYellow, "", ansiCyan, "", ansiDim, "").Replace(colored)
	if stripped != plain {
		t.Errorf("coloured text differs from plain text beyond escapes:\n%s", stripped)
	}
}

func TestTextLayout(t *testing.T) {
	out := string(render(t, fixture(), "text", Options{}))
	for _, want := range []string{
		"deploy/web.yaml\n",
		`  12:7   critical  KM-0004 privileged  container "web" runs privileged` + "\n" +
			"         Deployment shop/web  spec.template.spec.containers[0].securityContext.privileged\n",
		"  1 suppressed\n",
		"broken.yaml\n  3:5  error  mapping values are not allowed in this context\n",
		"1 suppressed, 2 errors, 1 note in 5 files, 4 objects: ERROR, exit 2 (2 errors: what could not be checked is not judged; 2 at or above high)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "9100") {
		t.Error("text output lists a suppressed result")
	}
	rep := fixture()
	rep.Errors = nil
	var fails []rule.Result
	for _, r := range rep.Results {
		if r.Status != rule.Error {
			fails = append(fails, r)
		}
	}
	rep.Results = fails
	if out := string(render(t, rep, "text", Options{})); !strings.Contains(out, "objects: FAIL, exit 1 (2 at or above high)") {
		t.Errorf("summary of a failing run:\n%s", out)
	}
	rep.FailOn = rule.Critical
	var belowCritical []rule.Result
	for _, r := range rep.Results {
		if r.Severity < rule.Critical {
			belowCritical = append(belowCritical, r)
		}
	}
	rep.Results = belowCritical
	if out := string(render(t, rep, "text", Options{})); !strings.Contains(out, "objects: PASS, exit 0 (none at or above critical)") {
		t.Errorf("summary of a passing run:\n%s", out)
	}
}
