package scan

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/rule"
)

const sudoDockerfile = "FROM debian:12\nRUN apt-get update && \\\n    sudo true\nUSER 10001\n"

func TestDockerfilesFoundByName(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"Dockerfile", "svc/api.Dockerfile", "svc/Dockerfile.prod", "svc/Containerfile", "chart/Dockerfile"} {
		write(t, dir, name, sudoDockerfile)
	}
	write(t, dir, "svc/Dockerfile.dockerignore", "*.md\n")
	write(t, dir, "svc/notes.txt", "FROM x\n")
	write(t, dir, ".hidden/Dockerfile", sudoDockerfile)
	write(t, dir, "pod.yaml", pod(""))
	// A chart is rendered, not walked, but its Dockerfiles are still scanned.
	write(t, dir, "chart/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	rep := run(t, Options{Paths: []string{dir}})
	if len(rep.Errors) != 0 {
		t.Fatalf("errors %v", rep.Errors)
	}
	var files []string
	for _, r := range rep.Results {
		if r.Meta.ID == "DF-0001" {
			rel, _ := filepath.Rel(dir, r.Location.File)
			files = append(files, rel)
			if r.Location.Line != 3 || r.Location.Column != 5 {
				t.Errorf("%s: sudo at %d:%d, want 3:5", rel, r.Location.Line, r.Location.Column)
			}
		}
	}
	sort.Strings(files)
	want := []string{"Dockerfile", "chart/Dockerfile", "svc/Containerfile", "svc/Dockerfile.prod", "svc/api.Dockerfile"}
	if strings.Join(files, " ") != strings.Join(want, " ") {
		t.Errorf("Dockerfiles scanned: %q, want %q", files, want)
	}
	if ids(rep.Results)["KM-0004"] == 0 {
		t.Error("the manifest next to the Dockerfiles was not scanned")
	}
	var hasDF, hasKM bool
	for _, m := range rep.Rules {
		hasDF = hasDF || strings.HasPrefix(m.ID, "DF-")
		hasKM = hasKM || strings.HasPrefix(m.ID, "KM-")
	}
	if !hasDF || !hasKM {
		t.Error("the report's rules must list both domains")
	}
}

func TestDockerfileFlagAndContext(t *testing.T) {
	dir := t.TempDir()
	df := write(t, dir, "build/app.df", "FROM alpine:3.20\nCOPY . /app\n")
	ctx := filepath.Join(dir, "src")
	write(t, dir, "src/.dockerignore", ".git\n")
	rep := run(t, Options{Dockerfiles: []string{df}, Context: ctx})
	if len(rep.Errors) != 0 || rep.Files != 1 || rep.Objects != 1 {
		t.Fatalf("files %d objects %d errors %v", rep.Files, rep.Objects, rep.Errors)
	}
	if ids(rep.Results)["DF-0017"] != 1 {
		t.Errorf("results %v", ids(rep.Results))
	}
	// An explicit Dockerfile path among PATHs is recognised by its name.
	rep = run(t, Options{Paths: []string{write(t, dir, "Containerfile", sudoDockerfile)}})
	if ids(rep.Results)["DF-0001"] != 1 {
		t.Errorf("results %v", ids(rep.Results))
	}
	if _, err := Run(Options{Paths: []string{dir}, Context: ctx}); err == nil {
		t.Error("--context without --dockerfile is a usage error")
	}
}

func TestDockerfileParseErrorDoesNotStopTheRun(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a/Dockerfile", "FROM debian:12\nRUN <<EOF\necho\n")
	write(t, dir, "b/Dockerfile", sudoDockerfile)
	write(t, dir, "c/Dockerfile", "FROM debian:12\n")
	write(t, dir, "c/.dockerignore", "[\n")
	rep := run(t, Options{Paths: []string{dir}})
	if len(rep.Errors) != 2 {
		t.Fatalf("errors %+v", rep.Errors)
	}
	if e := rep.Errors[0]; !strings.HasSuffix(e.File, "a/Dockerfile") || e.Line != 2 || !strings.Contains(e.Message, "unterminated heredoc") {
		t.Errorf("parse error %+v", e)
	}
	if e := rep.Errors[1]; !strings.HasSuffix(e.File, "c/.dockerignore") || e.Line != 1 {
		t.Errorf(".dockerignore error %+v", e)
	}
	if ids(rep.Results)["DF-0001"] != 1 || rep.Files != 3 {
		t.Errorf("the other Dockerfile must still be scanned: files %d, %v", rep.Files, ids(rep.Results))
	}
}

func TestDockerfileConfig(t *testing.T) {
	dir := t.TempDir()
	df := write(t, dir, "Dockerfile", sudoDockerfile+"WORKDIR app\n")
	cfg, err := config.Parse(".kharden.yaml", []byte("rules:\n  disable: [workdir-absolute]\n  severity:\n    DF-0001: critical\n"))
	if err != nil {
		t.Fatal(err)
	}
	rep := run(t, Options{Paths: []string{df}, Config: cfg})
	got := ids(rep.Results)
	if got["DF-0012"] != 0 || got["DF-0001"] != 1 {
		t.Errorf("results %v", got)
	}
	for _, r := range rep.Results {
		if r.Meta.ID == "DF-0001" && r.Severity != rule.Critical {
			t.Errorf("severity override: %s", r.Severity)
		}
	}
	bad, err := config.Parse(".kharden.yaml", []byte("rules:\n  enable: [no-such-rule]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(Options{Paths: []string{df}, Config: bad}); err == nil {
		t.Error("an unknown rule in the config is an error")
	}
	// A Pod Security profile runs only the Dockerfile rules the config enables.
	rep = run(t, Options{Paths: []string{df}, Profile: "pss-baseline"})
	if n := len(rep.Results); n != 0 {
		t.Errorf("pss-baseline ran Dockerfile rules: %v", ids(rep.Results))
	}
	on, _ := config.Parse(".kharden.yaml", []byte("rules:\n  enable: [no-sudo]\n"))
	rep = run(t, Options{Paths: []string{df}, Profile: "pss-baseline", Config: on})
	if got := ids(rep.Results); got["DF-0001"] != 1 || len(got) != 1 {
		t.Errorf("enabled rule under a PSS profile: %v", got)
	}
}

func TestLookupAny(t *testing.T) {
	for name, want := range map[string]string{"no-sudo": "DF-0001", "df-0017": "DF-0017", "privileged": "KM-0004", "KM-0004": "KM-0004"} {
		if m := LookupAny(name); m == nil || m.ID != want {
			t.Errorf("LookupAny(%q) = %v, want %s", name, m, want)
		}
	}
	if LookupAny("nope") != nil {
		t.Error("unknown rule found")
	}
	if n := len(AllRules()); n < 10 {
		t.Errorf("AllRules: %d", n)
	}
}
