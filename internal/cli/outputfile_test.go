package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --output FILE: the report goes to FILE, whole, and nothing to standard output; a run
// that fails before its report leaves the previous FILE; --output given a format, as the
// flag was before, is read as -o with a warning; --version is `kharden version`.
func TestOutputFile(t *testing.T) {
	dir := t.TempDir()
	pod := filepath.Join(dir, "pod.yaml")
	os.WriteFile(pod, []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  hostNetwork: true\n  containers:\n  - name: c\n    image: x\n"), 0o644)
	report := filepath.Join(dir, "out", "kharden.sarif")
	os.Mkdir(filepath.Dir(report), 0o755)

	code, out, errOut := run("", "scan", "--no-config", "-o", "sarif", "--output", report, pod)
	if code != 1 || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	b, err := os.ReadFile(report)
	if err != nil || !strings.Contains(string(b), `"version": "2.1.0"`) || !strings.HasSuffix(string(b), "}\n") {
		t.Fatalf("report file: %v\n%s", err, b)
	}
	if fi, _ := os.Stat(report); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", fi.Mode())
	}
	entries, _ := os.ReadDir(filepath.Dir(report))
	if len(entries) != 1 {
		t.Errorf("files left beside the report: %v", entries)
	}

	// A run that fails before writing its report keeps the previous one.
	if code, _, _ := run("", "scan", "--no-config", "-o", "sarif", "--output", report, "--fail-on", "severe", pod); code != 2 {
		t.Fatalf("exit %d", code)
	}
	if again, _ := os.ReadFile(report); string(again) != string(b) {
		t.Error("the previous report was replaced by a failed run")
	}
	entries, _ = os.ReadDir(filepath.Dir(report))
	if len(entries) != 1 {
		t.Errorf("files left beside the report: %v", entries)
	}

	// The flag as it was: a format.
	code, out, errOut = run("", "scan", "--no-config", "--output", "json", pod)
	if code != 1 || !strings.HasPrefix(out, "{") || !strings.Contains(errOut, "warning: --output json read as -o/--format json") {
		t.Errorf("--output json: exit %d, stderr %q\n%s", code, errOut, out)
	}
	// A directory that does not exist: an error, before any work.
	if code, _, errOut := run("", "scan", "--no-config", "--output", filepath.Join(dir, "nope", "r.json"), pod); code != 2 || !strings.Contains(errOut, "--output "+filepath.Join(dir, "nope", "r.json")) {
		t.Errorf("missing directory: exit %d, stderr %q", code, errOut)
	}

	_, v1, _ := run("", "version")
	_, v2, _ := run("", "--version")
	if v1 == "" || v1 != v2 {
		t.Errorf("version %q, --version %q", v1, v2)
	}
}
