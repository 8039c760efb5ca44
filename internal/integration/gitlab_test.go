package integration

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const gitlabTemplate = "ci/gitlab/kharden.gitlab-ci.yml"

// gitlabJob is the part of a GitLab CI job the template uses.
type gitlabJob struct {
	Stage     string            `yaml:"stage"`
	Image     string            `yaml:"image"`
	Variables map[string]string `yaml:"variables"`
	Script    []string          `yaml:"script"`
	Artifacts struct {
		When     string   `yaml:"when"`
		ExpireIn string   `yaml:"expire_in"`
		Paths    []string `yaml:"paths"`
		Reports  struct {
			JUnit string `yaml:"junit"`
		} `yaml:"reports"`
	} `yaml:"artifacts"`
}

func gitlabJobOf(t *testing.T) gitlabJob {
	t.Helper()
	var jobs map[string]gitlabJob
	readYAML(t, gitlabTemplate, &jobs)
	job, ok := jobs["kharden"]
	if !ok || len(jobs) != 1 {
		t.Fatalf("%s: want one job, kharden; have %d", gitlabTemplate, len(jobs))
	}
	return job
}

// runGitLabJob runs the job's script as a GitLab runner does with a shell executor:
// its lines one after another in one POSIX shell that stops at the first failing
// command, with the job's variables (vars override them, as a project's CI/CD
// variables do) and CI_PROJECT_DIR, in the project directory.
func runGitLabJob(t *testing.T, job gitlabJob, ws string, vars map[string]string) result {
	t.Helper()
	if vars["KHARDEN_BIN"] == "" && vars["KHARDEN_DOWNLOAD_URL"] == "" {
		t.Fatal("the job would download kharden from GitHub: give KHARDEN_BIN or KHARDEN_DOWNLOAD_URL")
	}
	env := []string{"CI=true", "GITLAB_CI=true", "CI_PROJECT_DIR=" + ws}
	for k, v := range job.Variables {
		if _, ok := vars[k]; !ok {
			env = append(env, k+"="+v)
		}
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	script := filepath.Join(t.TempDir(), "script.sh")
	if err := os.WriteFile(script, []byte(strings.Join(job.Script, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return execute(t, ws, env, "sh", "-e", script)
}

// junitReport reads a JUnit report as GitLab does: test suites of test cases, the
// failed ones with a failure; it returns the number of failures.
func junitReport(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		XMLName xml.Name `xml:"testsuites"`
		Suites  []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &r); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	n := 0
	for _, s := range r.Suites {
		for _, c := range s.Cases {
			if c.Failure != nil {
				n++
				if c.Name == "" || c.Failure.Message == "" {
					t.Errorf("%s: a test case without name or message", s.Name)
				}
			}
		}
	}
	return n
}

// The template is a job GitLab accepts: its JUnit report is an artifact kept
// whatever the job's verdict, and it downloads the VERSION file's release.
func TestGitLabTemplate(t *testing.T) {
	job := gitlabJobOf(t)
	if job.Stage != "test" || job.Image == "" || len(job.Script) == 0 {
		t.Errorf("stage %q, image %q, %d script lines", job.Stage, job.Image, len(job.Script))
	}
	a := job.Artifacts
	if a.Reports.JUnit != "kharden-junit.xml" || a.When != "always" || len(a.Paths) != 1 || a.Paths[0] != a.Reports.JUnit {
		t.Errorf("artifacts %+v: want the JUnit report kept always", a)
	}
	if v := job.Variables["KHARDEN_VERSION"]; v != version(t) {
		t.Errorf("KHARDEN_VERSION %q, the VERSION file says %q", v, version(t))
	}
	for _, v := range []string{"KHARDEN_PATHS", "KHARDEN_PROFILE", "KHARDEN_FAIL_ON", "KHARDEN_CONFIG", "KHARDEN_ARGS", "KHARDEN_BIN", "KHARDEN_DOWNLOAD_URL"} {
		if _, ok := job.Variables[v]; !ok {
			t.Errorf("no variable %s", v)
		}
	}
}

// The job's script writes the JUnit report of the scan and ends with kharden's exit
// code, each variable reaching kharden scan.
func TestGitLabScript(t *testing.T) {
	job := gitlabJobOf(t)
	ws := workspace(t)
	if err := os.WriteFile(filepath.Join(ws, "ci.kharden.yaml"), []byte("failOn: critical\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(ws, job.Artifacts.Reports.JUnit)
	cases := []struct {
		name string
		vars map[string]string
		args []string
		code int
		// findings: the report has failed test cases (below the threshold too)
		findings bool
	}{
		{"defaults", nil, []string{"."}, 1, true},
		{"hardened", map[string]string{"KHARDEN_PATHS": "examples/hardened"}, []string{"examples/hardened"}, 0, false},
		{"variables", map[string]string{
			"KHARDEN_PATHS": "examples/insecure/*.yaml examples/hardened", "KHARDEN_PROFILE": "pss-baseline",
			"KHARDEN_FAIL_ON": "medium", "KHARDEN_CONFIG": "none", "KHARDEN_ARGS": "--jobs 1",
		}, []string{"--profile", "pss-baseline", "--fail-on", "medium", "--no-config", "--jobs", "1",
			"examples/insecure/cronjob-old-api.yaml", "examples/insecure/deployment.yaml", "examples/insecure/rbac.yaml", "examples/hardened"}, 1, true},
		{"config", map[string]string{"KHARDEN_PATHS": "examples/insecure/cronjob-old-api.yaml", "KHARDEN_CONFIG": "ci.kharden.yaml"},
			[]string{"--config", "ci.kharden.yaml", "examples/insecure/cronjob-old-api.yaml"}, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			os.Remove(report)
			vars := map[string]string{"KHARDEN_BIN": kharden}
			for k, v := range c.vars {
				vars[k] = v
			}
			r := runGitLabJob(t, job, ws, vars)
			want := scanDirect(t, ws, append([]string{"scan", "-o", "junit"}, c.args...)...)
			if r.code != c.code || want.code != c.code {
				t.Fatalf("job exits %d, kharden scan %v %d, want %d\n%s%s", r.code, c.args, want.code, c.code, r.stdout, r.stderr)
			}
			sameFile(t, report, want.stdout)
			failures := junitReport(t, report)
			if (failures > 0) != c.findings {
				t.Errorf("%d failed test cases, want findings: %v", failures, c.findings)
			}
		})
	}
}

// Without KHARDEN_BIN the job downloads the release for its machine and checks it
// against SHA256SUMS; a binary whose sum does not match is never run.
func TestGitLabDownload(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the job runs in a Linux image")
	}
	job := gitlabJobOf(t)
	ver := version(t)
	srv := newReleaseServer(t, ver, "linux", honest)
	ws := workspace(t)
	r := runGitLabJob(t, job, ws, map[string]string{"KHARDEN_DOWNLOAD_URL": srv.URL, "KHARDEN_PATHS": "examples/insecure"})
	if r.code != 1 || junitReport(t, filepath.Join(ws, "kharden-junit.xml")) == 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := fmt.Sprint(srv.requests()); got != fmt.Sprintf("[/v%s/SHA256SUMS /v%[1]s/kharden_%[1]s_linux_%s]", ver, runtime.GOARCH) {
		t.Errorf("downloaded %s", got)
	}

	bad := newFakeReleaseServer(t, ver, "linux", func(name, _ string) string { return strings.Repeat("f", 64) + "  " + name + "\n" })
	ws = workspace(t)
	r = runGitLabJob(t, job, ws, map[string]string{"KHARDEN_DOWNLOAD_URL": bad.URL})
	if r.code != 2 || !strings.Contains(r.stderr, "but SHA256SUMS says "+strings.Repeat("f", 64)+": not run") {
		t.Errorf("tampered: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(ws, "kharden-junit.xml")); err == nil {
		t.Error("tampered: a report was written")
	}
	r = runGitLabJob(t, job, ws, map[string]string{"KHARDEN_DOWNLOAD_URL": srv.URL + "/gone"})
	if r.code != 2 || !strings.Contains(r.stderr, "could not download") {
		t.Errorf("missing release: exit %d\n%s", r.code, r.stderr)
	}
}

// KHARDEN_DB_UPDATE runs kharden db update with its arguments before the scan, into
// the database KHARDEN_DB names (a directory the job caches); a failed update is a
// message, and the scan goes on.
func TestGitLabDBUpdate(t *testing.T) {
	osv := newOSVServer(t)
	job := gitlabJobOf(t)
	ws := workspace(t)
	db := filepath.Join(ws, ".kharden-db")
	vars := map[string]string{"KHARDEN_BIN": kharden, "KHARDEN_PATHS": "examples/hardened", "KHARDEN_DB": db,
		"KHARDEN_DB_UPDATE": "--ecosystem Go --base-url " + osv.URL}
	if r := runGitLabJob(t, job, ws, vars); r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	checkDB(t, db)
	vars["KHARDEN_DB_UPDATE"] = "--ecosystem Go --base-url " + osv.URL + "/gone"
	if r := runGitLabJob(t, job, ws, vars); r.code != 0 || !strings.Contains(r.stderr, "the database update failed") {
		t.Errorf("failed update: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	checkDB(t, db)
}
