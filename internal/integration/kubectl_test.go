package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// pluginDir is a directory holding kharden as kubectl-kharden, the name krew links it
// under (plugins/kharden.yaml) and kubectl looks for.
func pluginDir(t *testing.T) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("a symbolic link as kubectl-kharden.exe")
	}
	dir := t.TempDir()
	if err := os.Symlink(kharden, filepath.Join(dir, "kubectl-kharden")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// As kubectl-kharden, kharden does what kharden does, and says kubectl kharden.
func TestKubectlPlugin(t *testing.T) {
	plugin := filepath.Join(pluginDir(t), "kubectl-kharden")
	ws := workspace(t)
	for _, args := range [][]string{
		{"version"},
		{"--version"},
		{"scan", "--no-config", "examples/insecure"},
		{"scan", "--no-config", "-o", "json", "examples/hardened"},
		{"rules"},
	} {
		got, want := execute(t, ws, nil, plugin, args...), scanDirect(t, ws, args...)
		if got != want {
			t.Errorf("kubectl-kharden %v: exit %d, kharden %d; output\n%s\nwant\n%s", args, got.code, want.code, got.stdout+got.stderr, want.stdout+want.stderr)
		}
	}
	if r := execute(t, ws, nil, plugin, "scan", "--no-config", "examples/insecure"); r.code != 1 {
		t.Errorf("scan examples/insecure: exit %d", r.code)
	}
	r := execute(t, ws, nil, plugin, "audit", "cluster", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "kubectl kharden audit cluster [flags]") {
		t.Errorf("audit cluster --help: exit %d\n%s", r.code, r.stdout)
	}
	r = execute(t, ws, nil, kharden, "audit", "cluster", "--help")
	if r.code != 0 || strings.Contains(r.stdout, "kubectl kharden") || !strings.Contains(r.stdout, "kharden audit cluster [flags]") {
		t.Errorf("kharden audit cluster --help: exit %d\n%s", r.code, r.stdout)
	}
}

// kubectl itself finds kubectl-kharden on PATH and runs `kubectl kharden ...` with it,
// the flags after the plugin's name included: `kubectl kharden audit cluster
// --kubeconfig FILE` audits the cluster FILE names (here one that does not answer, so
// the audit is an operational error naming it; the audit itself is tested in
// internal/audit against a real API server).
func TestKubectlRunsPlugin(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("no kubectl on PATH")
	}
	t.Setenv("PATH", pluginDir(t)+string(os.PathListSeparator)+os.Getenv("PATH"))
	ws := workspace(t)
	got, want := execute(t, ws, nil, kubectl, "kharden", "version"), scanDirect(t, ws, "version")
	if got != want || !strings.HasPrefix(got.stdout, "kharden ") {
		t.Errorf("kubectl kharden version: %+v, want %+v", got, want)
	}
	r := execute(t, ws, nil, kubectl, "kharden", "scan", "--no-config", "examples/insecure/rbac.yaml")
	if want := scanDirect(t, ws, "scan", "--no-config", "examples/insecure/rbac.yaml"); r != want || r.code != 1 {
		t.Errorf("kubectl kharden scan: %+v, want %+v", r, want)
	}
	r = execute(t, ws, nil, kubectl, "kharden", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "kubectl kharden [command]") {
		t.Errorf("kubectl kharden --help: exit %d\n%s", r.code, r.stdout)
	}

	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	// Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
	cfg := `apiVersion: v1
kind: Config
clusters:
- name: nowhere
  cluster: {server: "https://127.0.0.1:9"}
users:
- name: someone
  user: {token: not-a-token}
contexts:
- name: nowhere
  context: {cluster: nowhere, user: someone}
current-context: nowhere
`
	if err := os.WriteFile(kubeconfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	r = execute(t, ws, nil, kubectl, "kharden", "audit", "cluster", "--no-config", "--kubeconfig", kubeconfig, "--connect-timeout", "5s")
	if r.code != 2 || !strings.Contains(r.stderr, "127.0.0.1:9") {
		t.Errorf("kubectl kharden audit cluster: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
