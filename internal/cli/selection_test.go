package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --enable, --disable and --severity, over the config; --build-context, and the old
// --context with a deprecation note.
func TestRuleSelectionFlags(t *testing.T) {
	dir := t.TempDir()
	pod := filepath.Join(dir, "pod.yaml")
	os.WriteFile(pod, []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  hostNetwork: true\n  containers:\n  - name: c\n    image: x\n    securityContext: {privileged: true}\n"), 0o644)
	cfg := filepath.Join(dir, "k.yaml")
	os.WriteFile(cfg, []byte("rules:\n  disable: [apparmor-profile-set]\n"), 0o644)

	ids := func(args ...string) (int, string, string) {
		code, out, errOut := run("", append([]string{"scan", "--config", cfg, "--fail-on", "info"}, args...)...)
		return code, out, errOut
	}
	_, base, _ := ids(pod)
	if !strings.Contains(base, "KM-0004") || strings.Contains(base, "KM-0023") {
		t.Fatalf("baseline:\n%s", base)
	}
	if _, out, _ := ids("--disable", "privileged", pod); strings.Contains(out, "KM-0004") {
		t.Errorf("--disable privileged:\n%s", out)
	}
	// The command line wins over the config, which disables it.
	if _, out, errOut := ids("--enable", "KM-0023", pod); !strings.Contains(out, "KM-0023") {
		t.Errorf("--enable KM-0023: %s\n%s", errOut, out)
	}
	code, out, _ := ids("--severity", "critical", pod)
	if code != 1 || !strings.Contains(out, "KM-0004") || strings.Contains(out, " high ") || !strings.Contains(out, "1 finding (1 critical, 0 high") {
		t.Errorf("--severity critical: exit %d\n%s", code, out)
	}
	if code, out, _ := ids("--severity", "info", pod); code != 0 || strings.Contains(out, "KM-0004") {
		t.Errorf("--severity info: exit %d\n%s", code, out)
	}
	for args, want := range map[string]string{
		"--enable nope":                         "--enable nope: no such rule",
		"--enable privileged --disable KM-0004": "--enable and --disable both name KM-0004",
		"--severity severe":                     "--severity: ",
	} {
		if code, _, errOut := ids(append(strings.Fields(args), pod)...); code != 2 || !strings.Contains(errOut, want) {
			t.Errorf("%s: exit %d, stderr %q", args, code, errOut)
		}
	}

	df := filepath.Join(dir, "build", "Dockerfile")
	os.MkdirAll(filepath.Dir(df), 0o755)
	os.WriteFile(df, []byte("FROM scratch\nCOPY . /\nUSER 65532\n"), 0o644)
	_, _, errOut := run("", "scan", "--no-config", "--dockerfile", df, "--build-context", dir)
	if strings.Contains(errOut, "deprecated") {
		t.Errorf("--build-context: %s", errOut)
	}
	if _, _, errOut := run("", "scan", "--no-config", "--dockerfile", df, "--context", dir); !strings.Contains(errOut, "--context is now --build-context") {
		t.Errorf("--context: %q", errOut)
	}
}
