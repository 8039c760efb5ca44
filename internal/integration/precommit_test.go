package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/source/dockerfile"
)

// hook is an entry of .pre-commit-hooks.yaml.
type hook struct {
	ID                      string   `yaml:"id"`
	Name                    string   `yaml:"name"`
	Description             string   `yaml:"description"`
	Entry                   string   `yaml:"entry"`
	Language                string   `yaml:"language"`
	Files                   string   `yaml:"files"`
	Exclude                 string   `yaml:"exclude"`
	Types                   []string `yaml:"types"`
	PassFilenames           *bool    `yaml:"pass_filenames"`
	Args                    []string `yaml:"args"`
	MinimumPreCommitVersion string   `yaml:"minimum_pre_commit_version"`
}

func hooks(t *testing.T) map[string]hook {
	t.Helper()
	var list []hook
	readYAML(t, ".pre-commit-hooks.yaml", &list)
	m := map[string]hook{}
	for _, h := range list {
		if _, dup := m[h.ID]; dup {
			t.Errorf("hook %s twice", h.ID)
		}
		m[h.ID] = h
	}
	return m
}

// selects tells whether pre-commit gives the hook the file at path (relative to the
// repository, slash-separated): files and exclude are searched, not matched whole,
// as Python's re.search does.
func (h hook) selects(t *testing.T, path string) bool {
	t.Helper()
	files, err := regexp.Compile(h.Files)
	if err != nil {
		t.Fatalf("%s: files: %v", h.ID, err)
	}
	exclude := regexp.MustCompile(`^$`)
	if h.Exclude != "" {
		if exclude, err = regexp.Compile(h.Exclude); err != nil {
			t.Fatalf("%s: exclude: %v", h.ID, err)
		}
	}
	return files.MatchString(path) && (h.Exclude == "" || !exclude.MatchString(path))
}

// runHook runs the hook's entry as pre-commit runs a golang hook: the entry split at
// white space, its first word a command of the module (on PATH, where pre-commit's
// go install puts it), then the hook's args, then the file names.
func (h hook) run(t *testing.T, dir string, args []string, files ...string) result {
	t.Helper()
	entry := strings.Fields(h.Entry)
	if _, err := os.Stat(filepath.Join(root, "cmd", entry[0], "main.go")); err != nil {
		t.Fatalf("%s: entry %q: go install ./... installs no such command: %v", h.ID, h.Entry, err)
	}
	argv := append(append(append(entry[1:], h.Args...), args...), files...)
	t.Setenv("PATH", binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return execute(t, dir, nil, entry[0], argv...)
}

// The hooks are what pre-commit expects of a Go hook that reads the staged files.
func TestPreCommitHooks(t *testing.T) {
	hs := hooks(t)
	if len(hs) != 2 {
		t.Errorf("hooks %v, want kharden-scan and kharden-dockerfile", hs)
	}
	for _, id := range []string{"kharden-scan", "kharden-dockerfile"} {
		h, ok := hs[id]
		if !ok {
			t.Errorf("no hook %s", id)
			continue
		}
		if h.Language != "golang" || h.PassFilenames == nil || !*h.PassFilenames || h.Name == "" || h.Files == "" || h.Entry != "kharden scan" {
			t.Errorf("%s: %+v", id, h)
		}
	}
}

// kharden-dockerfile is given exactly the files kharden reads as Dockerfiles, and
// kharden-scan the YAML files but Helm templates.
func TestPreCommitFiles(t *testing.T) {
	hs := hooks(t)
	names := []string{
		"Dockerfile", "dockerfile", "DOCKERFILE", "Containerfile", "containerfile",
		"Dockerfile.prod", "Dockerfile.", "app.Dockerfile", "app.dockerfile", ".Dockerfile", "app.Containerfile", "Containerfile.dev",
		"Dockerfile.md", "Dockerfile.yaml", "dockerfile.yml", "Dockerfile.json", "Dockerfile.txt",
		"app.Dockerfile.dockerignore", "Dockerfile.dockerignore", ".dockerignore",
		"Dockerfiles", "MyDockerfile", "docker-compose.yaml", "Makefile", "app.Dockerfile.prod", "dockerfile-lint",
	}
	for _, name := range names {
		for _, dir := range []string{"", "build/", "a/b.Dockerfile/"} {
			path := dir + name
			if got, want := hs["kharden-dockerfile"].selects(t, path), dockerfile.IsDockerfileName(name); got != want {
				t.Errorf("kharden-dockerfile selects %s: %v, kharden reads it as a Dockerfile: %v", path, got, want)
			}
		}
	}
	for path, want := range map[string]bool{
		"deploy/app.yaml": true, "deploy/app.yml": true, "k8s.yaml": true, ".gitlab-ci.yml": true,
		"charts/web/templates/deployment.yaml": false, "templates/x.yaml": false,
		"charts/web/values.yaml": true, "deploy/app.json": false, "app.yaml.bak": false, "Dockerfile": false,
	} {
		if got := hs["kharden-scan"].selects(t, path); got != want {
			t.Errorf("kharden-scan selects %s: %v, want %v", path, got, want)
		}
	}
}

// Each hook's entry passes good files (exit 0) and fails a commit with bad ones
// (exit 1), alone or among others; a YAML file that is not a Kubernetes object (a CI
// configuration) passes.
func TestPreCommitRun(t *testing.T) {
	hs := hooks(t)
	ws := workspace(t)
	if err := os.WriteFile(filepath.Join(ws, ".gitlab-ci.yml"), []byte("test:\n  script: [make test]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		hook  string
		files []string
		code  int
	}{
		{"kharden-scan", []string{"examples/hardened/deployment.yaml", "examples/hardened/rbac.yaml"}, 0},
		{"kharden-scan", []string{".gitlab-ci.yml"}, 0},
		{"kharden-scan", []string{"examples/insecure/deployment.yaml"}, 1},
		{"kharden-scan", []string{"examples/hardened/deployment.yaml", "examples/insecure/rbac.yaml", ".gitlab-ci.yml"}, 1},
		{"kharden-dockerfile", []string{"examples/hardened/Dockerfile"}, 0},
		{"kharden-dockerfile", []string{"examples/insecure/Dockerfile"}, 1},
		{"kharden-dockerfile", []string{"examples/hardened/Dockerfile", "examples/insecure/Dockerfile"}, 1},
	}
	for _, c := range cases {
		h := hs[c.hook]
		for _, f := range c.files {
			if !h.selects(t, f) {
				t.Errorf("%s does not select %s", c.hook, f)
			}
		}
		r := h.run(t, ws, nil, c.files...)
		if r.code != c.code {
			t.Errorf("%s %v: exit %d, want %d\n%s%s", c.hook, c.files, r.code, c.code, r.stdout, r.stderr)
		}
	}
	// A file that does not parse blocks the commit too, with exit code 2.
	if err := os.WriteFile(filepath.Join(ws, "broken.yaml"), []byte("apiVersion: v1\nkind: Pod\nmetadata: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := hs["kharden-scan"].run(t, ws, nil, "broken.yaml"); r.code != 2 || !strings.Contains(r.stdout, "broken.yaml") {
		t.Errorf("broken.yaml: exit %d\n%s", r.code, r.stdout)
	}
}
