package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProfileRecordCheckMerge(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("not root (CI=true: this test must run)")
		}
		t.Skip("not root: kharden profile check loads seccomp filters without no_new_privs")
	}
	dir := t.TempDir()
	code, out, errOut := run("", "profile", "record", "--format", "all", "--name", "echo", "--namespace", "shop", "--output", dir, "--", "sh", "-c", "echo recorded; ls / >/dev/null")
	if code != 0 || out != "recorded\n" || !strings.Contains(errOut, "wrote "+filepath.Join(dir, "echo.json")) {
		t.Fatalf("record: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, f := range []string{"echo.json", "echo.apparmor", "echo.seccompprofile.yaml", "echo.apparmorprofile.yaml", "echo.recording.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	prof := filepath.Join(dir, "echo.json")
	code, out, errOut = run("", "profile", "check", "--profile", prof, "--count", "2", "--", "sh", "-c", "echo recorded; ls / >/dev/null")
	if code != 0 || out != "recorded\nrecorded\n" || !strings.Contains(errOut, "succeeded under the profile in 2 of 2 runs") {
		t.Errorf("check: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = run("", "profile", "check", "--profile", filepath.Join(dir, "echo.seccompprofile.yaml"), "--", "unshare", "-u", "true")
	if code != 1 || !strings.Contains(errOut, "first denied:") || !strings.Contains(errOut, "unshare") {
		t.Errorf("check unshare: exit %d, stderr %q", code, errOut)
	}
	// A command that succeeds though something was denied: fine, unless --strict.
	code, _, errOut = run("", "profile", "check", "--profile", prof, "--", "sh", "-c", "unshare -u true 2>/dev/null; exit 0")
	if code != 0 || !strings.Contains(errOut, "first denied:") {
		t.Errorf("tolerated denial: exit %d, stderr %q", code, errOut)
	}
	code, _, _ = run("", "profile", "check", "--strict", "--profile", prof, "--", "sh", "-c", "unshare -u true 2>/dev/null; exit 0")
	if code != 1 {
		t.Errorf("--strict: exit %d, want 1", code)
	}
	// merge: recordings, and profiles.
	code, _, errOut = run("", "profile", "merge", "--format", "all", "--name", "both", "--output", dir, filepath.Join(dir, "echo.recording.json"), filepath.Join(dir, "echo.recording.json"))
	if code != 0 {
		t.Errorf("merge recordings: exit %d %s", code, errOut)
	}
	code, _, errOut = run("", "profile", "merge", "--name", "p", "--output", dir, prof, filepath.Join(dir, "both.json"))
	if code != 0 {
		t.Errorf("merge profiles: exit %d %s", code, errOut)
	}
	// A failing command: profiles written, exit 1.
	code, _, errOut = run("", "profile", "record", "--name", "fails", "--output", dir, "--", "sh", "-c", "exit 3")
	if _, err := os.Stat(filepath.Join(dir, "fails.json")); code != 1 || err != nil || !strings.Contains(errOut, "exit status 3") {
		t.Errorf("failing command: exit %d, %v, %q", code, err, errOut)
	}
}

func TestProfileBadInput(t *testing.T) {
	dir := t.TempDir()
	malformed := filepath.Join(dir, "bad.json")
	os.WriteFile(malformed, []byte("{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"syscalls\": [{\"names\": [\"read\"], \"action\": \"ALLOW\"}]}\n"), 0o644)
	truncated := filepath.Join(dir, "truncated.json")
	os.WriteFile(truncated, []byte("{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"syscalls\": [\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"profile", "check", "--profile", malformed, "--", "true"}, `bad.json: syscalls[0]: action "ALLOW" is not a seccomp action`},
		{[]string{"profile", "check", "--profile", truncated, "--", "true"}, "truncated.json: line 2: not a seccomp profile"},
		{[]string{"profile", "check", "--profile", filepath.Join(dir, "none.json"), "--", "true"}, "no such file"},
		{[]string{"profile", "check", "--profile", dir, "--", "true"}, "not a regular file"},
		{[]string{"profile", "check", "--", "true"}, "--profile is required"},
		{[]string{"profile", "check", "--profile", malformed}, "no command"},
		{[]string{"profile", "record", "--output", dir, "--", "kharden-no-such-command"}, "kharden-no-such-command: command not found"},
		{[]string{"profile", "record", "--format", "xml", "--", "true"}, `unknown format "xml"`},
		{[]string{"profile", "record", "--runtime", "podman", "--", "true"}, `no baseline for runtime "podman"`},
		{[]string{"profile", "record", "--name", "a/b", "--output", dir, "--", "true"}, `profile name "a/b"`},
		{[]string{"profile", "merge", malformed}, "neither a kharden recording nor a seccomp profile"},
		{[]string{"profile", "record", "--image", "rootfs:" + dir, "--runtime", "none"}, "--image runs the image with a container runtime"},
		{[]string{"profile", "record", "--platform", "linux/arm64", "--", "true"}, "--platform applies to --image, which is not given"},
	} {
		code, _, errOut := run("", c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%q: exit %d, stderr %q, want 2 and %q", c.args, code, errOut, c.want)
		}
	}
	code, out, _ := run("", "profile", "record", "--help")
	if code != 0 || !strings.Contains(out, "kharden profile record --output profiles -- ./server") || !strings.Contains(out, "Exit codes") {
		t.Errorf("record --help: %d %q", code, out)
	}
}

// profile record --image: a shell pipeline recorded inside a Debian root filesystem by
// runc, the AppArmor profile at the container's paths; and what cannot run.
func TestProfileRecordImage(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("not root (CI=true: this test must run)")
		}
		t.Skip("not root: --image runs runc")
	}
	rootfs := os.Getenv("KHARDEN_DEBIAN_ROOTFS")
	if rootfs == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("KHARDEN_DEBIAN_ROOTFS is not set (CI=true: this test must run)")
		}
		t.Skip("KHARDEN_DEBIAN_ROOTFS is not set (hack/debian-rootfs/build.sh builds it)")
	}
	version, err := os.ReadFile(filepath.Join(rootfs, "etc/debian_version"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	code, out, errOut := run("", "profile", "record", "--image", "rootfs:"+rootfs, "--format", "all", "--no-new-privs", "--output", dir,
		"--", "sh", "-c", "cat /etc/debian_version | tr -d .")
	if code != 0 || out != strings.ReplaceAll(string(version), ".", "") || !strings.Contains(errOut, "wrote "+filepath.Join(dir, "kharden-sh.json")) {
		t.Fatalf("record --image: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	ap, err := os.ReadFile(filepath.Join(dir, "kharden-sh.apparmor"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"/usr/bin/dash", "/usr/bin/tr", "/etc/debian_version"} {
		if !strings.Contains(string(ap), want) {
			t.Errorf("the AppArmor profile lacks %s:\n%s", want, ap)
		}
	}
	if strings.Contains(string(ap), rootfs) {
		t.Errorf("the AppArmor profile names host paths:\n%s", ap)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--image", "rootfs:" + rootfs}, "the image has no entrypoint or command"},
		{[]string{"--image", "oci:" + filepath.Join(dir, "none")}, "no such file"},
		{[]string{"--image", "rootfs:" + rootfs, "--", "/no/such/program"}, "did not start the container's program"},
	} {
		code, _, errOut := run("", append([]string{"profile", "record", "--output", dir}, c.args...)...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%q: exit %d, stderr %q, want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}
