package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The example workflow of docs/ci.md runs: its kharden step through the action (with
// the kharden built here instead of the release download), then its upload step finds
// a SARIF report at the path the kharden step's output names, and runs although the
// kharden step failed the job on findings.
func TestExampleGitHubWorkflow(t *testing.T) {
	type step struct {
		ID   string            `yaml:"id"`
		If   string            `yaml:"if"`
		Uses string            `yaml:"uses"`
		With map[string]string `yaml:"with"`
	}
	var wf struct {
		Name        string            `yaml:"name"`
		On          map[string]any    `yaml:"on"`
		Permissions map[string]string `yaml:"permissions"`
		Jobs        map[string]struct {
			RunsOn string `yaml:"runs-on"`
			Steps  []step `yaml:"steps"`
		} `yaml:"jobs"`
	}
	readYAML(t, "examples/ci/github-workflow.yaml", &wf)
	if wf.Permissions["security-events"] != "write" {
		t.Errorf("permissions %v: upload-sarif needs security-events: write", wf.Permissions)
	}
	if _, ok := wf.On["pull_request"]; !ok {
		t.Errorf("on %v: no pull_request", wf.On)
	}
	job, ok := wf.Jobs["scan"]
	if !ok || len(job.Steps) != 3 {
		t.Fatalf("jobs %+v: want scan with checkout, kharden and upload-sarif", wf.Jobs)
	}
	checkout, scan, upload := job.Steps[0], job.Steps[1], job.Steps[2]
	if !strings.HasPrefix(checkout.Uses, "actions/checkout@") {
		t.Errorf("first step %q, want actions/checkout", checkout.Uses)
	}
	if want := "kharden/kharden@v" + version(t); scan.Uses != want || scan.ID == "" {
		t.Errorf("kharden step uses %q (id %q), want %s", scan.Uses, scan.ID, want)
	}
	if !strings.HasPrefix(upload.Uses, "github/codeql-action/upload-sarif@") {
		t.Errorf("last step %q, want github/codeql-action/upload-sarif", upload.Uses)
	}
	// A status function, else GitHub skips the step once kharden has failed the job.
	if !strings.Contains(upload.If, "!cancelled()") && !strings.Contains(upload.If, "always()") {
		t.Errorf("upload step if: %q runs only when kharden passed", upload.If)
	}
	want := "${{ steps." + scan.ID + ".outputs.report }}"
	if upload.With["sarif_file"] != want {
		t.Errorf("sarif_file %q, want %q", upload.With["sarif_file"], want)
	}

	ws := workspace(t)
	with := map[string]string{"kharden": kharden}
	for k, v := range scan.With {
		with[k] = v
	}
	r := runAction(t, ws, with)
	if r.code != 1 || r.outputs["report"] == "" {
		t.Fatalf("kharden step: exit %d, outputs %v\n%s%s", r.code, r.outputs, r.stdout, r.stderr)
	}
	s := readSARIF(t, filepath.Join(ws, r.outputs["report"]))
	if len(s.Runs[0].Results) == 0 {
		t.Error("no results to upload")
	}
}

// The example .gitlab-ci.yml includes the template of this release from this
// repository's path, and its job, merged over the template's as GitLab merges an
// include, runs.
func TestExampleGitLabCI(t *testing.T) {
	var ci struct {
		Include []struct {
			Remote string `yaml:"remote"`
		} `yaml:"include"`
		Kharden struct {
			Variables map[string]string `yaml:"variables"`
		} `yaml:"kharden"`
	}
	readYAML(t, "examples/ci/gitlab-ci.yml", &ci)
	want := "https://raw.githubusercontent.com/kharden/kharden/v" + version(t) + "/" + gitlabTemplate
	if len(ci.Include) != 1 || ci.Include[0].Remote != want {
		t.Errorf("include %+v, want remote %s", ci.Include, want)
	}
	job := gitlabJobOf(t)
	vars := map[string]string{"KHARDEN_BIN": kharden}
	for k, v := range ci.Kharden.Variables {
		if _, ok := job.Variables[k]; !ok {
			t.Errorf("variable %s is not the template's", k)
		}
		vars[k] = v
	}
	ws := workspace(t)
	r := runGitLabJob(t, job, ws, vars)
	if r.code != 1 || junitReport(t, filepath.Join(ws, job.Artifacts.Reports.JUnit)) == 0 {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// The example .pre-commit-config.yaml names this repository at this release and its
// hooks, and each hook with the example's args fails the insecure examples and passes
// the hardened ones.
func TestExamplePreCommitConfig(t *testing.T) {
	var cfg struct {
		Repos []struct {
			Repo  string `yaml:"repo"`
			Rev   string `yaml:"rev"`
			Hooks []struct {
				ID   string   `yaml:"id"`
				Args []string `yaml:"args"`
			} `yaml:"hooks"`
		} `yaml:"repos"`
	}
	readYAML(t, "examples/ci/pre-commit-config.yaml", &cfg)
	if len(cfg.Repos) != 1 || cfg.Repos[0].Repo != "https://github.com/kharden/kharden" || cfg.Repos[0].Rev != "v"+version(t) {
		t.Fatalf("repos %+v", cfg.Repos)
	}
	hs := hooks(t)
	ws := workspace(t)
	ran := map[string]bool{}
	for _, used := range cfg.Repos[0].Hooks {
		h, ok := hs[used.ID]
		if !ok {
			t.Errorf("no hook %s", used.ID)
			continue
		}
		ran[used.ID] = true
		for dir, code := range map[string]int{"insecure": 1, "hardened": 0} {
			var files []string
			entries, _ := os.ReadDir(filepath.Join(ws, "examples", dir))
			for _, e := range entries {
				if f := "examples/" + dir + "/" + e.Name(); h.selects(t, f) {
					files = append(files, f)
				}
			}
			if len(files) == 0 {
				t.Errorf("%s selects nothing in examples/%s", used.ID, dir)
				continue
			}
			if r := h.run(t, ws, used.Args, files...); r.code != code {
				t.Errorf("%s %v: exit %d, want %d\n%s", used.ID, files, r.code, code, r.stdout)
			}
		}
	}
	if len(ran) != len(hs) {
		t.Errorf("the example runs %v of the hooks %v", ran, hs)
	}
}
