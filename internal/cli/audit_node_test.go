package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
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

	_, out, _ = run("", "audit", "node", "--root", root, "--no-config", "--benchmark", "cis-1.12", "-o", "json")
	validateReport(t, "../../docs/schema/report.schema.json", out)
	var rep struct {
		Results []struct {
			RuleID, Status, Control string
			Location                struct {
				File string
				Line int
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	found := false
	for _, r := range rep.Results {
		if r.RuleID == "KC-0019" && r.Control == "1.2.1" && r.Status == "fail" && r.Location.File == manifest && r.Location.Line == 12 {
			found = true
		}
	}
	if !found {
		t.Errorf("no KC-0019 fail for 1.2.1 at %s:12 in %+v", manifest, rep.Results)
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
