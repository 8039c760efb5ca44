package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// goProgram builds a real Go program (no dependencies: its modules are the standard
// library at the test's toolchain version) at path.
func goProgram(t *testing.T, path string) {
	t.Helper()
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "go.mod"), []byte("module example.com/kubelet\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"kubelet\") }\n"), 0o644)
	os.MkdirAll(filepath.Dir(path), 0o755)
	cmd := exec.Command("go", "build", "-o", path, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod", "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
}

// A node's packages and the Go programs of its components are matched against the
// database: findings at each package's file, as other node checks are.
func TestAuditNodeVulnerabilities(t *testing.T) {
	root := t.TempDir()
	for p, body := range map[string]string{
		"etc/os-release":      "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
		"var/lib/dpkg/status": dpkgStatus + "\nPackage: oldpkg\nStatus: deinstall ok config-files\nVersion: 1.0\n",
	} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
		if err := os.WriteFile(filepath.Join(root, p), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goProgram(t, filepath.Join(root, "usr/bin/kubelet"))
	// A link from a second directory is the same program, read once.
	os.MkdirAll(filepath.Join(root, "usr/local/bin"), 0o755)
	os.Symlink("/usr/bin/kubelet", filepath.Join(root, "usr/local/bin/kubelet"))
	// A program that is not Go is passed over.
	os.WriteFile(filepath.Join(root, "usr/bin/runc"), []byte("#!/bin/sh\n"), 0o755)

	adv := map[string]string{
		"GO-2099-0001.json": `{"id":"GO-2099-0001","modified":"2026-01-02T00:00:00Z","aliases":["CVE-2099-0001"],"summary":"net/http: everything",
			"affected":[{"package":{"ecosystem":"Go","name":"stdlib"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"99.0.0"}]}],
			"ecosystem_specific":{"imports":[{"path":"net/http"}]}}]}`,
		"GO-2099-0002.json": `{"id":"GO-2099-0002","modified":"2026-01-02T00:00:00Z","summary":"windows only",
			"affected":[{"package":{"ecosystem":"Go","name":"stdlib"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}],
			"ecosystem_specific":{"imports":[{"path":"os","goos":["windows"]}]}}]}`,
	}
	for k, v := range debianAdvisories {
		adv[k] = v
	}
	db := importAdvisories(t, adv)
	code, out, errOut := run("", "audit", "node", "--root", root, "--no-config", "--db", db, "-o", "json")
	if code != ExitFindings && code != ExitError {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	validateReport(t, "../../docs/schema/report.schema.json", out)
	rep := parseJSONReport(t, out)
	var got []string
	for _, r := range rep.Results {
		if r.Vulnerability.ID != "" {
			got = append(got, r.RuleID+" "+r.Location.File+" "+r.Location.FieldPath+" "+strings.Join(r.Practices, ","))
		}
	}
	slices.Sort(got)
	want := []string{
		"DEBIAN-CVE-2026-0002 /var/lib/dpkg/status libc6 A3",
		"DSA-9001-1 /var/lib/dpkg/status curl A3",
		"GO-2099-0001 /usr/bin/kubelet stdlib A3",
	}
	if !slices.Equal(got, want) {
		t.Errorf("vulnerability results:\n%s\nwant\n%s\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), out)
	}
	for _, e := range rep.Errors {
		if strings.Contains(e.File, "runc") || strings.Contains(e.File, "kubelet") {
			t.Errorf("error: %+v", e)
		}
	}

	// SARIF lists the advisories found as rules.
	_, out, _ = run("", "audit", "node", "--root", root, "--no-config", "--db", db, "-o", "sarif")
	for _, id := range []string{`"id": "GO-2099-0001"`, `"id": "DSA-9001-1"`} {
		if !strings.Contains(out, id) {
			t.Errorf("SARIF rules lack %s", id)
		}
	}
	// --no-vulns, and the benchmark, match nothing; without a database, a note.
	for _, args := range [][]string{{"--no-vulns"}, {"--benchmark", "cis-1.12"}} {
		_, out, _ = run("", append([]string{"audit", "node", "--root", root, "--no-config", "--db", db, "-o", "json"}, args...)...)
		if strings.Contains(out, `"vulnerability"`) {
			t.Errorf("%v: vulnerability results", args)
		}
	}
	_, out, _ = run("", "audit", "node", "--root", root, "--no-config", "--db", filepath.Join(root, "none"), "-o", "json")
	if !strings.Contains(out, "no vulnerability database") {
		t.Errorf("no note without a database:\n%s", out)
	}
}
