package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/scan"
)

const seccompDirPod = `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
    - name: web
      image: registry.example.com/web:1.0
      securityContext:
        seccompProfile: {type: Localhost, localhostProfile: profiles/web.json}
    - name: gone
      image: registry.example.com/web:1.0
      securityContext:
        seccompProfile: {type: Localhost, localhostProfile: profiles/gone.json}
    - name: climb
      image: registry.example.com/web:1.0
      securityContext:
        seccompProfile: {type: Localhost, localhostProfile: ../../etc/passwd}
    - name: link
      image: registry.example.com/web:1.0
      securityContext:
        seccompProfile: {type: Localhost, localhostProfile: escape.json}
    - name: linked-dir
      image: registry.example.com/web:1.0
      securityContext:
        seccompProfile: {type: Localhost, localhostProfile: shared/web.json}
`

// seccompDirTree makes base/repo/seccomp, the --seccomp-dir, holding profiles/web.json,
// a link escape.json to base/outside.json, and a link shared to base/outside; every
// file outside it is a valid profile, which the scan would accept had it read it:
// base/etc/passwd is where ../../etc/passwd leads from the directory.
func seccompDirTree(t *testing.T) (base, dir string) {
	t.Helper()
	base = t.TempDir()
	dir = filepath.Join(base, "repo", "seccomp")
	const profile = `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}`
	for _, f := range []string{"repo/seccomp/profiles/web.json", "outside.json", "etc/passwd", "outside/web.json"} {
		p := filepath.Join(base, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(profile), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../../outside.json", filepath.Join(dir, "escape.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(base, "outside"), filepath.Join(dir, "shared")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "pod.yaml"), []byte(seccompDirPod), 0o644); err != nil {
		t.Fatal(err)
	}
	return base, dir
}

func TestScanSeccompDir(t *testing.T) {
	base, dir := seccompDirTree(t)
	code, out, errOut := run("", "scan", "--no-config", "-o", "json", "--seccomp-dir", dir, filepath.Join(base, "pod.yaml"))
	// The profiles behind the links were not read: "could not check" is an error (exit 2).
	if code != ExitError {
		t.Errorf("exit %d, want %d; stderr %q", code, ExitError, errOut)
	}
	var rep struct {
		Results []struct {
			RuleID   string `json:"ruleID"`
			Status   string `json:"status"`
			Message  string `json:"message"`
			Location struct {
				Line      int    `json:"line"`
				FieldPath string `json:"fieldPath"`
			} `json:"location"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	type got struct {
		status, message string
		line            int
	}
	var results []got
	for _, r := range rep.Results {
		if r.RuleID == "KM-0058" {
			results = append(results, got{r.Status, r.Message, r.Location.Line})
			if !strings.HasSuffix(r.Location.FieldPath, ".securityContext.seccompProfile.localhostProfile") {
				t.Errorf("finding at %s", r.Location.FieldPath)
			}
		}
	}
	want := []got{
		{"fail", `container "gone" names Localhost seccomp profile "profiles/gone.json", but ` + dir + "/profiles/gone.json does not exist", 13},
		{"fail", `container "climb" names Localhost seccomp profile "../../etc/passwd", which contains ".." and which the API server refuses: give a path inside the nodes' seccomp directory`, 17},
		{"error", `container "link" names Localhost seccomp profile "escape.json", which kharden could not check: ` + dir + "/escape.json is a symbolic link (-> ../../outside.json) that leaves " + dir + ": not read, so not checked", 21},
		{"error", `container "linked-dir" names Localhost seccomp profile "shared/web.json", which kharden could not check: ` + dir + "/shared/web.json could not be read inside " + dir + " (statat shared/web.json: path escapes from parent): not checked", 25},
	}
	if !slices.Equal(results, want) {
		t.Errorf("KM-0058 results:\n%+v\nwant\n%+v", results, want)
	}
}

// Without --seccomp-dir the rule does not run: no result, and no report lists it.
func TestScanWithoutSeccompDir(t *testing.T) {
	base, dir := seccompDirTree(t)
	pod := filepath.Join(base, "pod.yaml")
	code, out, _ := run("", "scan", "--no-config", "-o", "json", pod)
	if code != ExitFindings || strings.Contains(out, "KM-0058") {
		t.Errorf("exit %d (want %d), KM-0058 in the report: %v", code, ExitFindings, strings.Contains(out, "KM-0058"))
	}
	for _, d := range []string{"", dir} {
		sc, err := scan.New(scan.Options{Paths: []string{pod}, SeccompDir: d})
		if err != nil {
			t.Fatal(err)
		}
		has := false
		for _, m := range sc.Head().Rules {
			has = has || m.ID == "KM-0058"
		}
		if has != (d != "") {
			t.Errorf("--seccomp-dir %q: KM-0058 among the rules that ran: %v", d, has)
		}
	}
	// Enabled by name, it still cannot run, and the user is told.
	_, _, errOut := run("", "scan", "--no-config", "--enable", "seccomp-localhost-profile", pod)
	if want := "kharden: warning: KM-0058 seccomp-localhost-profile is enabled, but it runs only with --seccomp-dir DIR, which is not given\n"; !strings.Contains(errOut, want) {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
	if _, _, errOut := run("", "scan", "--no-config", "--enable", "KM-0058", "--seccomp-dir", dir, pod); strings.Contains(errOut, "warning") {
		t.Errorf("stderr %q", errOut)
	}
}

func TestSeccompDirUsage(t *testing.T) {
	base, _ := seccompDirTree(t)
	pod := filepath.Join(base, "pod.yaml")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"scan", "--no-config", "--seccomp-dir", filepath.Join(base, "none"), pod}, "kharden: --seccomp-dir: " + base + "/none does not exist\n"},
		{[]string{"scan", "--no-config", "--seccomp-dir", pod, pod}, "kharden: --seccomp-dir: " + pod + " is not a directory\n"},
		// Refused before any cluster is reached.
		{[]string{"audit", "cluster", "--no-config", "--kubeconfig", filepath.Join(base, "none"), "--seccomp-dir", pod}, "kharden: --seccomp-dir: " + pod + " is not a directory\n"},
	} {
		code, out, errOut := run("", c.args...)
		if code != ExitError || errOut != c.want || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2, %q", c.args, code, out, errOut, c.want)
		}
	}
}
