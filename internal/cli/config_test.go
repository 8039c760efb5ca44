package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A third-party tree may carry a .kharden.yaml that quiets kharden. The run still
// applies a config it finds (the project's own settings are the common case), but every
// output names the file, and stderr says so when it came from inside the scanned path.
func TestScanNamesTheConfigItApplies(t *testing.T) {
	top := t.TempDir()
	tree := filepath.Join(top, "vendored")
	os.MkdirAll(filepath.Join(tree, "sub"), 0o755)
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers:\n  - name: c\n    image: x\n    securityContext: {privileged: true}\n"
	os.WriteFile(filepath.Join(tree, "sub", "pod.yaml"), []byte(pod), 0o644)
	cfg := filepath.Join(tree, ".kharden.yaml")
	os.WriteFile(cfg, []byte("failOn: critical\nrules:\n  disable: [privileged]\n"), 0o644)

	type jsonConfig struct{ File, Source string }
	jsonRun := func(args ...string) (code int, c jsonConfig, errOut string) {
		t.Helper()
		code, out, errOut := run("", append([]string{"scan", "-o", "json"}, args...)...)
		var doc struct{ Config jsonConfig }
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errOut)
		}
		return code, doc.Config, errOut
	}

	// Found inside the scanned path: applied, named, and noticed on stderr.
	code, c, errOut := jsonRun(tree)
	if code != 0 || c != (jsonConfig{cfg, "found"}) {
		t.Errorf("found inside: exit %d, config %+v", code, c)
	}
	if !strings.Contains(errOut, cfg) || !strings.Contains(errOut, "inside the scanned path") ||
		!strings.Contains(errOut, "--no-config") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("found inside: stderr %q, want one line naming %s and --no-config", errOut, cfg)
	}
	// Found above the scanned path: the user's own, applied and named without a notice.
	code, c, errOut = jsonRun(filepath.Join(tree, "sub"))
	if code != 0 || c != (jsonConfig{cfg, "found"}) || errOut != "" {
		t.Errorf("found above: exit %d, config %+v, stderr %q", code, c, errOut)
	}
	// --no-config: built-in defaults, the privileged pod fails the run.
	code, c, errOut = jsonRun("--no-config", tree)
	if code != 1 || c != (jsonConfig{"", "disabled"}) || errOut != "" {
		t.Errorf("--no-config: exit %d, config %+v, stderr %q", code, c, errOut)
	}
	// --config: the user's choice, no notice.
	code, c, errOut = jsonRun("--config", cfg, tree)
	if code != 0 || c != (jsonConfig{cfg, "flag"}) || errOut != "" {
		t.Errorf("--config: exit %d, config %+v, stderr %q", code, c, errOut)
	}

	// A Dockerfile's build context is scanned too (its .dockerignore is read).
	os.WriteFile(filepath.Join(tree, "Dockerfile"), []byte("FROM scratch\n"), 0o644)
	_, _, errOut = run("", "scan", "-o", "json", "--dockerfile", filepath.Join(tree, "Dockerfile"))
	if !strings.Contains(errOut, "inside the scanned path "+tree) {
		t.Errorf("--dockerfile in the tree: stderr %q", errOut)
	}
	os.Remove(filepath.Join(tree, "Dockerfile"))

	// The other formats name it too.
	_, out, _ := run("", "scan", tree)
	if first, _, _ := strings.Cut(out, "\n"); first != "config: "+cfg+" (found upward from the first path; --no-config ignores it)" {
		t.Errorf("text header %q", first)
	}
	_, out, _ = run("", "scan", "-o", "sarif", tree)
	if !strings.Contains(out, `"properties": {"config": {"file":`+jsonString(cfg)+`,"source":"found"}}`) {
		t.Errorf("SARIF run properties do not name the config:\n%s", out)
	}
	_, out, _ = run("", "scan", "-o", "junit", tree)
	if !strings.Contains(out, `<property name="kharden.config" value="`+cfg+`"></property>`) {
		t.Errorf("JUnit properties do not name the config:\n%s", out)
	}

	// A found config that is a symbolic link is refused by name, not followed.
	linked := filepath.Join(top, "linked")
	os.MkdirAll(linked, 0o755)
	os.WriteFile(filepath.Join(linked, "pod.yaml"), []byte(pod), 0o644)
	os.Symlink("/etc/passwd", filepath.Join(linked, ".kharden.yaml"))
	code, out, errOut = run("", "scan", linked)
	if code != ExitError || !strings.Contains(errOut, "is a symbolic link") || strings.Contains(errOut, "root:") || out != "" {
		t.Errorf("linked config: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
