package integration

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// actionFile is action.yml, as GitHub reads a composite action.
type actionFile struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Author      string `yaml:"author"`
	Branding    struct {
		Icon  string `yaml:"icon"`
		Color string `yaml:"color"`
	} `yaml:"branding"`
	Inputs map[string]struct {
		Description string `yaml:"description"`
		Required    bool   `yaml:"required"`
		Default     string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			ID    string            `yaml:"id"`
			Shell string            `yaml:"shell"`
			Env   map[string]string `yaml:"env"`
			Run   string            `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

var (
	inputExpr  = regexp.MustCompile(`^\$\{\{ inputs\.([a-z-]+) \}\}$`)
	outputExpr = regexp.MustCompile(`^\$\{\{ steps\.([a-z-]+)\.outputs\.([a-z-]+) \}\}$`)
)

// actionRun is what a run of the action left: its exit code, its outputs as GitHub
// would give them to the workflow, its logs and step summary.
type actionRun struct {
	result
	outputs map[string]string
	summary string
}

// runAction runs the action as GitHub runs a composite action, in a job whose env is
// jobEnv: each input the default
// of action.yml unless given, the step's env built from its ${{ inputs.X }}
// expressions, its run script by bash -eo pipefail in the workspace, with the
// variables GitHub sets (GITHUB_ACTION_PATH, GITHUB_WORKSPACE, GITHUB_OUTPUT,
// GITHUB_STEP_SUMMARY, RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP); then the action's
// outputs resolved from the step's.
func runAction(t *testing.T, ws string, with map[string]string, jobEnv ...string) actionRun {
	t.Helper()
	var a actionFile
	readYAML(t, "action.yml", &a)
	if a.Runs.Using != "composite" || len(a.Runs.Steps) != 1 {
		t.Fatalf("runs: %+v, want one composite step", a.Runs)
	}
	if with["kharden"] == "" && with["download-url"] == "" {
		t.Fatal("the action would download kharden from GitHub: give kharden or download-url")
	}
	inputs := map[string]string{}
	for name, in := range a.Inputs {
		inputs[name] = in.Default
	}
	for name, v := range with {
		if _, ok := a.Inputs[name]; !ok {
			t.Fatalf("input %q is not in action.yml", name)
		}
		inputs[name] = v
	}
	step := a.Runs.Steps[0]
	if step.Shell != "bash" {
		t.Fatalf("shell %q", step.Shell)
	}
	dir := t.TempDir()
	outFile, summaryFile, script := filepath.Join(dir, "output"), filepath.Join(dir, "summary"), filepath.Join(dir, "step.sh")
	for _, f := range []string{outFile, summaryFile} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(script, []byte(step.Run), 0o644); err != nil {
		t.Fatal(err)
	}
	runnerOS, runnerArch := map[string]string{"linux": "Linux", "darwin": "macOS", "windows": "Windows"}[runtime.GOOS], map[string]string{"amd64": "X64", "arm64": "ARM64"}[runtime.GOARCH]
	env := []string{
		"GITHUB_ACTION_PATH=" + root, "GITHUB_WORKSPACE=" + ws, "GITHUB_OUTPUT=" + outFile,
		"GITHUB_STEP_SUMMARY=" + summaryFile, "RUNNER_OS=" + runnerOS, "RUNNER_ARCH=" + runnerArch,
		"RUNNER_TEMP=" + t.TempDir(), "GITHUB_ACTIONS=true",
	}
	env = append(env, jobEnv...)
	used := map[string]bool{}
	for k, v := range step.Env {
		m := inputExpr.FindStringSubmatch(v)
		if m == nil {
			t.Fatalf("env %s: %q is not ${{ inputs.NAME }}", k, v)
		}
		if _, ok := a.Inputs[m[1]]; !ok {
			t.Fatalf("env %s: no input %q", k, m[1])
		}
		used[m[1]] = true
		env = append(env, k+"="+inputs[m[1]])
	}
	for name := range a.Inputs {
		if !used[name] {
			t.Errorf("input %q reaches no variable of the step", name)
		}
	}
	r := execute(t, ws, env, "bash", "--noprofile", "--norc", "-eo", "pipefail", script)
	stepOut := map[string]string{}
	data, _ := os.ReadFile(outFile)
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			if _, dup := stepOut[k]; dup {
				t.Errorf("output %s written twice", k)
			}
			stepOut[k] = v
		}
	}
	outputs := map[string]string{}
	for name, o := range a.Outputs {
		m := outputExpr.FindStringSubmatch(o.Value)
		if m == nil || m[1] != step.ID {
			t.Fatalf("output %s: %q is not ${{ steps.%s.outputs.NAME }}", name, o.Value, step.ID)
		}
		if v, ok := stepOut[m[2]]; ok {
			outputs[name] = v
		}
	}
	summary, _ := os.ReadFile(summaryFile)
	return actionRun{r, outputs, string(summary)}
}

// sarif is the part of a SARIF log the checks read.
type sarif struct {
	Version string `json:"version"`
	Runs    []struct {
		Results []struct {
			RuleID    string `json:"ruleId"`
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI string `json:"uri"`
					} `json:"artifactLocation"`
					Region struct {
						StartLine int `json:"startLine"`
					} `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
		} `json:"results"`
	} `json:"runs"`
}

// readSARIF reads a SARIF report as code scanning needs it: version 2.1.0, one run,
// every result placed at a repository-relative file and a line.
func readSARIF(t *testing.T, path string) sarif {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s sarif
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if s.Version != "2.1.0" || len(s.Runs) != 1 {
		t.Fatalf("%s: version %q, %d runs", path, s.Version, len(s.Runs))
	}
	for _, r := range s.Runs[0].Results {
		if len(r.Locations) == 0 {
			t.Errorf("%s: no location", r.RuleID)
			continue
		}
		pl := r.Locations[0].PhysicalLocation
		if u := pl.ArtifactLocation.URI; u == "" || strings.HasPrefix(u, "/") || strings.Contains(u, "://") || pl.Region.StartLine < 1 {
			t.Errorf("%s at %q line %d: code scanning needs a path in the repository and a line", r.RuleID, u, pl.Region.StartLine)
		}
	}
	return s
}

// sameFile fails unless the files at got and want hold the same bytes.
func sameFile(t *testing.T, got, want string) {
	t.Helper()
	g, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	if string(g) != want {
		t.Errorf("%s differs from kharden's own report:\n%s\nwant:\n%s", got, g, want)
	}
}

// With its defaults the action scans the workspace into kharden.sarif, for code
// scanning, and fails the step as kharden does.
func TestActionDefaults(t *testing.T) {
	ws := workspace(t)
	r := runAction(t, ws, map[string]string{"kharden": kharden})
	if r.code != 1 || r.outputs["exit-code"] != "1" || r.outputs["report"] != "kharden.sarif" {
		t.Fatalf("exit %d, outputs %v\n%s%s", r.code, r.outputs, r.stdout, r.stderr)
	}
	s := readSARIF(t, filepath.Join(ws, "kharden.sarif"))
	if len(s.Runs[0].Results) < 20 {
		t.Errorf("%d results in examples/insecure", len(s.Runs[0].Results))
	}
	want := scanDirect(t, ws, "scan", "-o", "sarif", ".")
	sameFile(t, filepath.Join(ws, "kharden.sarif"), want.stdout)
	if !strings.Contains(r.summary, "exit code 1") || !strings.Contains(r.summary, "kharden.sarif") {
		t.Errorf("step summary %q", r.summary)
	}
}

// Every input reaches kharden scan: paths one per line (indented, with blank lines),
// profile, fail-on, config, format, output, args.
func TestActionInputs(t *testing.T) {
	ws := workspace(t)
	cfg := "failOn: critical\nrules:\n  disable: [host-network]\n"
	if err := os.WriteFile(filepath.Join(ws, "ci.kharden.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		with   map[string]string
		report string
		args   []string
	}{
		{"pss", map[string]string{
			"path":    "\n  examples/insecure/deployment.yaml\n\n  examples/hardened  \n",
			"profile": "pss-restricted", "fail-on": "critical", "config": "none", "args": "--jobs 1", "kharden": kharden,
		}, "kharden.sarif", []string{"--profile", "pss-restricted", "--fail-on", "critical", "--no-config", "--jobs", "1", "examples/insecure/deployment.yaml", "examples/hardened"}},
		{"config", map[string]string{"path": "examples", "config": "ci.kharden.yaml", "format": "json", "output": "out/report.json", "kharden": kharden},
			"out/report.json", []string{"-o", "json", "--config", "ci.kharden.yaml", "examples"}},
		{"junit", map[string]string{"path": "examples/hardened", "format": "junit", "kharden": kharden},
			"kharden.xml", []string{"-o", "junit", "examples/hardened"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runAction(t, ws, c.with)
			args := append([]string{"scan"}, c.args...)
			if c.with["format"] == "" {
				args = append([]string{"scan", "-o", "sarif"}, c.args...)
			}
			want := scanDirect(t, ws, args...)
			if r.code != want.code || r.outputs["exit-code"] != strconv.Itoa(want.code) || r.outputs["report"] != c.report {
				t.Fatalf("exit %d, outputs %v; kharden %v exits %d\n%s%s", r.code, r.outputs, args, want.code, r.stdout, r.stderr)
			}
			sameFile(t, filepath.Join(ws, c.report), want.stdout)
		})
	}
	// The profile and the config changed the verdicts: the same files without them
	// fail the run on more findings.
	pss := readSARIF(t, filepath.Join(ws, "kharden.sarif"))
	all := scanDirect(t, ws, "scan", "-o", "sarif", "--no-config", "examples/insecure/deployment.yaml", "examples/hardened")
	if n := strings.Count(all.stdout, `"ruleId"`); n <= len(pss.Runs[0].Results) {
		t.Errorf("profile pss-restricted: %d results, default profile %d", len(pss.Runs[0].Results), n)
	}
	var rep struct {
		Config struct {
			File string `json:"file"`
		} `json:"config"`
	}
	data, _ := os.ReadFile(filepath.Join(ws, "out/report.json"))
	if err := json.Unmarshal(data, &rep); err != nil || !strings.HasSuffix(rep.Config.File, "ci.kharden.yaml") {
		t.Errorf("config %+v (%v): the report does not name ci.kharden.yaml", rep.Config, err)
	}
	var junit struct {
		XMLName xml.Name `xml:"testsuites"`
	}
	data, _ = os.ReadFile(filepath.Join(ws, "kharden.xml"))
	if err := xml.Unmarshal(data, &junit); err != nil {
		t.Errorf("kharden.xml: %v", err)
	}
}

// Bad inputs are errors of the step (exit 2, exit-code 2), before kharden runs.
func TestActionBadInputs(t *testing.T) {
	ws := workspace(t)
	for name, with := range map[string]map[string]string{
		"format":  {"kharden": kharden, "format": "html"},
		"kharden": {"kharden": filepath.Join(ws, "no-such-kharden")},
		"output":  {"kharden": kharden, "output": "a\nreport=/etc/passwd"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runAction(t, ws, with)
			if r.code != 2 || r.outputs["exit-code"] != "2" || r.outputs["report"] != "" || !strings.Contains(r.stderr, "::error title=kharden::") {
				t.Errorf("exit %d, outputs %v\n%s%s", r.code, r.outputs, r.stdout, r.stderr)
			}
		})
	}
	// kharden refusing its arguments writes no report: exit-code 2 and no report
	// output, which the example workflow's upload step tests.
	r := runAction(t, ws, map[string]string{"kharden": kharden, "args": "--no-such-flag"})
	if r.code != 2 || r.outputs["exit-code"] != "2" || r.outputs["report"] != "" || !strings.Contains(r.stderr, "unknown flag: --no-such-flag") {
		t.Errorf("bad args: exit %d, outputs %v\n%s", r.code, r.outputs, r.stderr)
	}
	// A report that cannot be written is an error, not a finding.
	if err := os.WriteFile(filepath.Join(ws, "blocked"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r = runAction(t, ws, map[string]string{"kharden": kharden, "output": "blocked/kharden.sarif"})
	if r.code != 2 {
		t.Errorf("unwritable report: exit %d\n%s", r.code, r.stderr)
	}
}

// Without a kharden given, the action downloads the release of its own VERSION for
// the runner's platform, checks it against SHA256SUMS and runs it; a binary whose sum
// does not match, or a release that is missing, is never run.
func TestActionDownload(t *testing.T) {
	ver := version(t)
	ws := workspace(t)
	srv := newReleaseServer(t, ver, runtime.GOOS, honest)
	r := runAction(t, ws, map[string]string{"download-url": srv.URL, "path": "examples/insecure"})
	if r.code != 1 || r.outputs["exit-code"] != "1" {
		t.Fatalf("exit %d, outputs %v\n%s%s", r.code, r.outputs, r.stdout, r.stderr)
	}
	got := srv.requests()
	sort.Strings(got)
	want := []string{"/v" + ver + "/SHA256SUMS", "/v" + ver + "/kharden_" + ver + "_" + runtime.GOOS + "_" + runtime.GOARCH}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("downloaded %v, want %v", got, want)
	}
	readSARIF(t, filepath.Join(ws, "kharden.sarif"))

	// version: v1.2.3 is asked for as v1.2.3, whatever the VERSION file says.
	other := newReleaseServer(t, "9.9.9", runtime.GOOS, honest)
	if r := runAction(t, ws, map[string]string{"download-url": other.URL + "/", "version": "v9.9.9", "path": "examples/hardened"}); r.code != 0 {
		t.Errorf("version v9.9.9: exit %d\n%s", r.code, r.stderr)
	}

	tampered := newFakeReleaseServer(t, ver, runtime.GOOS, func(name, sum string) string {
		return strings.Repeat("0", 64) + "  " + name + "\n"
	})
	missing := newFakeReleaseServer(t, ver, runtime.GOOS, func(string, string) string { return "" })
	for name, c := range map[string]struct {
		url, msg string
	}{
		"tampered":   {tampered.URL, "but SHA256SUMS says " + strings.Repeat("0", 64)},
		"no sum":     {missing.URL, "has no line for kharden_" + ver},
		"no release": {srv.URL + "/nothing-here", "could not download"},
	} {
		t.Run(name, func(t *testing.T) {
			ws := workspace(t)
			r := runAction(t, ws, map[string]string{"download-url": c.url})
			if r.code != 2 || r.outputs["exit-code"] != "2" || !strings.Contains(r.stderr, c.msg) {
				t.Errorf("exit %d, outputs %v, want 2 and %q\n%s%s", r.code, r.outputs, c.msg, r.stdout, r.stderr)
			}
			if _, err := os.Stat(filepath.Join(ws, "kharden.sarif")); err == nil {
				t.Error("a report was written: kharden ran")
			}
		})
	}
}

// db-update runs kharden db update with its arguments before the scan, into the
// database KHARDEN_DB names (a directory a workflow caches); a failed update is a
// warning, and the scan goes on.
func TestActionDBUpdate(t *testing.T) {
	osv := newOSVServer(t)
	ws := workspace(t)
	db := filepath.Join(t.TempDir(), "db")
	r := runAction(t, ws, map[string]string{"kharden": kharden, "path": "examples/hardened",
		"db-update": "--ecosystem Go --base-url " + osv.URL}, "KHARDEN_DB="+db)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	checkDB(t, db)
	r = runAction(t, ws, map[string]string{"kharden": kharden, "path": "examples/hardened",
		"db-update": "--ecosystem Go --base-url " + osv.URL + "/gone"}, "KHARDEN_DB="+db)
	if r.code != 0 || !strings.Contains(r.stdout, "::warning title=kharden::the database update failed") {
		t.Errorf("failed update: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	checkDB(t, db)
}
