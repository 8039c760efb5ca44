package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/pss"
)

func run(stdin string, args ...string) (code int, out, errOut string) {
	var o, e bytes.Buffer
	code = Run(args, IO{In: strings.NewReader(stdin), Out: &o, Err: &e})
	return code, o.String(), e.String()
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean.yaml")
	os.WriteFile(clean, []byte("apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: shop}\n"), 0o644)
	broken := filepath.Join(dir, "broken.yaml")
	os.WriteFile(broken, []byte("kind: [\n"), 0o644)
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	cases := []struct {
		name  string
		args  []string
		code  int
		inErr string
	}{
		{"clean", []string{"scan", "--no-config", clean}, 0, ""},
		{"findings", []string{"scan", "--no-config", "../../examples/insecure"}, 1, ""},
		{"below threshold", []string{"scan", "--no-config", "--fail-on", "critical", "../../examples/insecure/cronjob-old-api.yaml"}, 0, ""},
		{"input error", []string{"scan", "--no-config", clean, broken}, 2, ""},
		{"missing path", []string{"scan", "--no-config", filepath.Join(dir, "nope")}, 2, ""},
		{"nothing to scan", []string{"scan", "--no-config", empty}, 2, ""},
		{"nothing to scan, allowed", []string{"scan", "--no-config", "--allow-empty", empty}, 0, ""},
		{"bad flag", []string{"scan", "--frobnicate", clean}, 2, "unknown flag: --frobnicate\nRun 'kharden scan --help' for usage."},
		{"bad flag of a subcommand", []string{"scan", "image", "--frob", "x"}, 2, "Run 'kharden scan image --help' for usage."},
		{"bad format", []string{"scan", "-o", "yaml", clean}, 2, "unknown output format"},
		{"bad severity", []string{"scan", "--fail-on", "severe", clean}, 2, "unknown severity"},
		{"bad profile", []string{"scan", "--profile", "strict", clean}, 2, "unknown profile"},
		{"no args", []string{"scan"}, 2, "at least one PATH or --dockerfile"},
		{"future pss version", []string{"scan", "--no-config", "--profile", "pss-restricted:v1.99", clean}, 2, "kharden knows the Pod Security Standards up to " + pss.Latest().String() + " (give v1.0 to"},
		{"known pss version", []string{"scan", "--no-config", "--profile", "pss-baseline:v1.25", clean}, 0, ""},
		{"negative jobs", []string{"scan", "--no-config", "-j", "-3", clean}, 2, "--jobs -3: give a number"},
		{"values without chart", []string{"scan", "--no-config", "-f", "prod.yaml", "--set", "a=b", clean}, 0, "warning: --values, --set given, but no Helm chart is among the paths"},
		{"unknown command", []string{"frob"}, 2, "unknown command"},
		{"explain unknown", []string{"explain", "nope"}, 2, "no rule"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := run("", c.args...)
			if code != c.code || !strings.Contains(errOut, c.inErr) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", code, c.code, errOut, c.inErr)
			}
		})
	}
}

func TestScanJSONFromStdin(t *testing.T) {
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers:\n  - name: c\n    image: x\n    securityContext: {privileged: true}\n"
	code, out, _ := run(pod, "scan", "--no-config", "-o", "json", "-")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var rep struct {
		Results []struct {
			RuleID   string `json:"ruleID"`
			Location struct {
				File      string `json:"file"`
				Line      int    `json:"line"`
				FieldPath string `json:"fieldPath"`
			} `json:"location"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rep.Results {
		if r.RuleID == "KM-0004" {
			found = true
			if r.Location.File != "<stdin>" || r.Location.Line != 8 || r.Location.FieldPath != "spec.containers[0].securityContext.privileged" {
				t.Errorf("location %+v", r.Location)
			}
		}
	}
	if !found {
		t.Error("no KM-0004")
	}
}

// Standard input is "<stdin>" in every format but SARIF, whose locations are URIs: there
// it has none, and the location says "standard input, line 8, column 23" in words.
func TestStdinNamedInEveryFormat(t *testing.T) {
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers:\n  - name: c\n    image: x\n    securityContext: {privileged: true}\n"
	for format, want := range map[string]string{
		"text":  "<stdin>",
		"json":  `"file":"<stdin>","line":8`,
		"junit": "<stdin>:8:",
		"sarif": `"text":"standard input, line 8, column 23"`,
	} {
		_, out, _ := run(pod, "scan", "--no-config", "-o", format, "-")
		if !strings.Contains(out, want) {
			t.Errorf("%s: no %s in\n%s", format, want, out)
		}
		if format == "sarif" && (strings.Contains(out, "stdin") || strings.Contains(out, "%3C")) {
			t.Errorf("sarif names standard input as a file:\n%s", out)
		}
	}
}

func TestRulesExplainVersion(t *testing.T) {
	code, out, _ := run("", "rules")
	if code != 0 || !strings.Contains(out, "KM-0004") || !strings.Contains(out, "privileged") {
		t.Errorf("rules: %d %q", code, out)
	}
	code, out, _ = run("", "rules", "-o", "json")
	var metas []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &metas) != nil || len(metas) == 0 {
		t.Errorf("rules -o json: %d", code)
	}
	for _, q := range []string{"KM-0004", "km-0004", "privileged"} {
		code, out, _ = run("", "explain", q)
		if code != 0 || !strings.Contains(out, "KM-0004 privileged") || !strings.Contains(out, "Fix:") {
			t.Errorf("explain %s: %d %q", q, code, out)
		}
	}
	code, out, _ = run("", "rules")
	if code != 0 || !strings.Contains(out, "DF-0001") || !strings.Contains(out, "no-sudo") {
		t.Errorf("rules lacks the Dockerfile rules: %q", out)
	}
	code, out, _ = run("", "explain", "no-sudo")
	if code != 0 || !strings.Contains(out, "DF-0001 no-sudo") || !strings.Contains(out, "# kharden:ignore=no-sudo") {
		t.Errorf("explain no-sudo: %d %q", code, out)
	}
	code, out, _ = run("", "rules")
	if code != 0 || !strings.Contains(out, "KN-0001") || !strings.Contains(out, "control-plane-manifest-files") {
		t.Errorf("rules lacks the node rules: %d %q", code, out)
	}
	for _, q := range []string{"KN-0001", "kn-0001", "control-plane-manifest-files"} {
		code, out, _ = run("", "explain", q)
		if code != 0 || !strings.Contains(out, "KN-0001 control-plane-manifest-files") || !strings.Contains(out, "Runs in:    kharden audit node") ||
			!strings.Contains(out, "disable: [control-plane-manifest-files]") {
			t.Errorf("explain %s: %d %q", q, code, out)
		}
	}
	code, out, _ = run("", "explain", "apiserver-anonymous-auth")
	if code != 0 || !strings.Contains(out, "Runs in:    kharden audit cluster, kharden audit node") {
		t.Errorf("explain apiserver-anonymous-auth: %d %q", code, out)
	}
	code, out, _ = run("", "version")
	if code != 0 || !strings.HasPrefix(out, "kharden ") {
		t.Errorf("version: %d %q", code, out)
	}
}

func TestScanDockerfile(t *testing.T) {
	dir := t.TempDir()
	df := filepath.Join(dir, "build", "app.Dockerfile")
	os.MkdirAll(filepath.Dir(df), 0o755)
	os.WriteFile(df, []byte("FROM alpine:3.20\nRUN apk add --no-cache tzdata=2024b-r0 \\\n    && sudo true\nUSER 10001\n"), 0o644)
	code, out, errOut := run("", "scan", "--no-config", "-o", "json", "--dockerfile", df, "--context", dir)
	if code != 0 {
		t.Fatalf("exit %d (sudo is medium, below the high threshold): %s", code, errOut)
	}
	var rep struct {
		Results []struct {
			RuleID   string `json:"ruleId"`
			Location struct {
				File string `json:"file"`
				Line int    `json:"line"`
			} `json:"location"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || rep.Results[0].RuleID != "DF-0001" || rep.Results[0].Location.Line != 3 {
		t.Errorf("results %+v\n%s", rep.Results, out)
	}
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM alpine:3.20\nRUN <<EOF\n"), 0o644)
	code, out, _ = run("", "scan", "--no-config", dir)
	if code != 2 || !strings.Contains(out, "unterminated heredoc") {
		t.Errorf("a Dockerfile that does not parse: exit %d\n%s", code, out)
	}
	code, _, errOut = run("", "scan", "--no-config", "--context", dir, dir)
	if code != 2 || !strings.Contains(errOut, "--context") {
		t.Errorf("--context without --dockerfile: exit %d %q", code, errOut)
	}
}

// TestRulesConfigNodeSlugs: one .kharden.yaml serves every command, so the slugs and IDs
// of the node rules are known rules for kharden scan too.
func TestRulesConfigNodeSlugs(t *testing.T) {
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean.yaml")
	os.WriteFile(clean, []byte("apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: shop}\n"), 0o644)
	cfg := filepath.Join(dir, ".kharden.yaml")
	os.WriteFile(cfg, []byte("rules:\n  disable: [control-plane-manifest-files, KN-0002, apiserver-anonymous-auth]\n  severity: {etcd-data-dir: low}\n"), 0o644)
	if code, _, errOut := run("", "scan", "--config", cfg, clean); code != 0 {
		t.Errorf("scan with node slugs in the config: exit %d, stderr %q", code, errOut)
	}
	os.WriteFile(cfg, []byte("rules:\n  disable: [control-plane-manifest-file]\n"), 0o644)
	if code, _, errOut := run("", "scan", "--config", cfg, clean); code != 2 || !strings.Contains(errOut, `unknown rule "control-plane-manifest-file"`) {
		t.Errorf("scan with a misspelt slug: exit %d, stderr %q", code, errOut)
	}
}

// A chart that templates {{ .Release.Namespace }} is judged in the namespace given, as
// helm template --namespace renders it.
func TestScanHelmNamespace(t *testing.T) {
	chart := "../source/helm/testdata/web"
	_, out, _ := run("", "scan", "--no-config", "-o", "json", chart)
	if !strings.Contains(out, `Service \"release-name-web\" is in the default namespace`) {
		t.Fatalf("without --namespace, want the Service in the default namespace:\n%s", out)
	}
	code, out, errOut := run("", "scan", "--no-config", "-o", "json", "--namespace", "shop", "--release-name", "shop", chart)
	if code == ExitError || strings.Contains(out, `"ruleID":"KM-0020"`) || !strings.Contains(out, `"name":"shop-web"`) {
		t.Errorf("with --namespace shop --release-name shop: exit %d\n%s\n%s", code, out, errOut)
	}
}

// An error line quoting input (here a path that does not exist) is escaped.
func TestErrorLinesEscaped(t *testing.T) {
	code, _, errOut := run("", "scan", "-o", "json", "--config", "x\x1b[2J\ny.yaml", ".")
	if code != ExitError {
		t.Fatalf("exit %d, want %d: %s", code, ExitError, errOut)
	}
	if strings.Contains(errOut, "\x1b") || !strings.Contains(errOut, `x\x1b[2J\ny.yaml`) {
		t.Errorf("stderr %q", errOut)
	}
}

// A kustomization's results name files that exist: the resources' sources, or the
// kustomization itself; SARIF points code scanning at nothing else.
func TestKustomizeSARIFNamesRealFiles(t *testing.T) {
	dir := "../source/kustomize/testdata/overlays/prod"
	code, out, errOut := run("", "scan", "--no-config", "-o", "sarif", dir)
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Runs []struct {
			Results []struct {
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region *struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, r := range doc.Runs[0].Results {
		loc := r.Locations[0].PhysicalLocation
		uri := loc.ArtifactLocation.URI
		files[uri] = true
		if _, err := os.Stat(filepath.FromSlash(uri)); err != nil {
			t.Errorf("result names %q: %v", uri, err)
		}
		if loc.Region != nil && strings.HasSuffix(uri, "kustomization.yaml") {
			t.Errorf("a line (%d) in %s, which holds no resource", loc.Region.StartLine, uri)
		}
	}
	for _, want := range []string{"../source/kustomize/testdata/base/deployment.yaml", dir + "/kustomization.yaml"} {
		if !files[want] {
			t.Errorf("no result in %s (got %v)", want, files)
		}
	}
}

// A workload kind under an apiVersion that does not serve it is an input error at its
// apiVersion: exit code 2.
func TestWrongAPIVersionIsAnInputError(t *testing.T) {
	in := "apiVersion: v1\nkind: Deployment\nmetadata: {name: web}\nspec: {}\n"
	code, out, _ := run(in, "scan", "--no-config", "-")
	if code != 2 || !strings.Contains(out, `1:1  error  Deployment web: apiVersion "v1" does not serve Deployment (apps/v1 does)`) {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

// A path given twice is scanned once; --values next to a chart draws no warning.
func TestScanPathsOnce(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pod.yaml")
	os.WriteFile(file, []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers:\n  - name: c\n    image: x@sha256:"+strings.Repeat("a", 64)+"\n"), 0o644)
	_, out, _ := run("", "scan", "--no-config", file, dir+"/./pod.yaml", file, "-o", "json")
	if !strings.Contains(out, `"summary": {"files":1,`) {
		t.Errorf("the file is scanned more than once:\n%s", out)
	}
	chart := filepath.Join(dir, "chart")
	os.MkdirAll(filepath.Join(chart, "templates"), 0o755)
	os.WriteFile(filepath.Join(chart, "Chart.yaml"), []byte("apiVersion: v2\nname: c\nversion: 0.1.0\n"), 0o644)
	if _, _, errOut := run("", "scan", "--no-config", "--set", "a=b", dir); strings.Contains(errOut, "warning") {
		t.Errorf("a chart is there: %s", errOut)
	}
}
