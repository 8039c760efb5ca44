package k8s_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/engine"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/rules/k8s"
	"github.com/kharden/kharden/internal/source/manifest"
)

func scanLocalhost(t *testing.T, s k8s.Settings, file string, src []byte) *report.Report {
	t.Helper()
	res := manifest.Load(file, src)
	rep := &report.Report{}
	engine.New(engine.Options{Rules: []*k8s.Rule{k8s.SeccompLocalhostProfile}, Settings: s}).Scan(res.Docs, rep)
	return rep
}

// Without a seccomp directory the rule has nothing to look in, and judges nothing, not
// even the paths the API server refuses.
func TestSeccompLocalhostProfileNeedsADir(t *testing.T) {
	files, _ := filepath.Glob("testdata/seccomp-localhost-profile/fail/*.yaml")
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if rep := scanLocalhost(t, k8s.Settings{}, f, src); len(rep.Results) > 0 {
			t.Errorf("%s without a seccomp directory: %d results, first %q", f, len(rep.Results), rep.Results[0].Message)
		}
	}
}

// A profile kharden could not check (here, behind a link out of the directory, to a
// valid profile kharden does not read) is an error result, not a failure.
func TestSeccompLocalhostProfileUncheckedIsAnError(t *testing.T) {
	base := t.TempDir()
	node := filepath.Join(base, "node")
	os.Mkdir(node, 0o755)
	os.WriteFile(filepath.Join(base, "outside.json"), []byte(`{"defaultAction": "SCMP_ACT_ERRNO"}`), 0o644)
	if err := os.Symlink("../outside.json", filepath.Join(node, "web.json")); err != nil {
		t.Fatal(err)
	}
	pod := `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
    - name: web
      image: registry.example.com/web:1.0
      securityContext:
        seccompProfile:
          type: Localhost
          localhostProfile: web.json
`
	rep := scanLocalhost(t, k8s.Settings{SeccompDir: mustSeccompDir(node)}, "pod.yaml", []byte(pod))
	if len(rep.Results) != 1 {
		t.Fatalf("%d results, want 1: %+v", len(rep.Results), rep.Results)
	}
	r := rep.Results[0]
	want := `container "web" names Localhost seccomp profile "web.json", which kharden could not check: ` + node +
		"/web.json is a symbolic link (-> ../outside.json) that leaves " + node + ": not read, so not checked"
	if r.Status != rule.Error || r.Message != want || r.Location.Line != 11 ||
		r.Location.FieldPath != "spec.containers[0].securityContext.seccompProfile.localhostProfile" {
		t.Errorf("got %s at line %d (%s): %q\nwant error at line 11: %q", r.Status, r.Location.Line, r.Location.FieldPath, r.Message, want)
	}
	if strings.Contains(r.Message, "SCMP_ACT_ERRNO") {
		t.Error("the message quotes the file outside the directory")
	}
}
