package apparmor

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/profile"
)

// need skips a test whose tool is missing, or fails it in CI, where hack/profile/deps.sh
// installs it.
func need(t *testing.T, ok bool, why string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: hack/profile/deps.sh should have installed it)", why)
	}
	t.Skip(why)
}

func TestPattern(t *testing.T) {
	for in, want := range map[string]string{
		"/etc/passwd":               "/etc/passwd",
		"/proc/123/status":          "/proc/@{pid}/status",
		"/proc/123/task/124/comm":   "/proc/@{pid}/task/@{tid}/comm",
		"/proc/self/status":         "/proc/self/status",
		"/proc/sys/kernel/hostname": "/proc/sys/kernel/hostname",
		"/dev/pts/7":                "/dev/pts/*",
		"/dev/pts/ptmx":             "/dev/pts/ptmx",
		"/srv/a*b?[c]{d}^e":         `/srv/a\*b\?\[c\]\{d\}\^e`,
		"/srv/@{x}/@home":           `/srv/\@\{x\}/@home`,
	} {
		got, err := Pattern(in)
		if err != nil || got != want {
			t.Errorf("Pattern(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"relative/path", "/new\nline", "/tab\there"} {
		if _, err := Pattern(bad); err == nil {
			t.Errorf("Pattern(%q) accepted", bad)
		}
	}
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"web", "kharden-ls", "a.b_c-1"} {
		if err := CheckName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-x", "a b", "a/b", "x{y}", strings.Repeat("a", 201)} {
		if err := CheckName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestParserAccepts validates generated profiles with Debian's apparmor_parser against
// the abi 3.0 feature set: syntax and semantics (this kernel has no AppArmor to load
// them into).
func TestParserAccepts(t *testing.T) {
	parser, err := exec.LookPath("apparmor_parser")
	need(t, err == nil, "apparmor_parser is not installed (Debian's apparmor package)")
	abi := "/etc/apparmor.d/abi/3.0"
	_, err = os.Stat(abi)
	need(t, err == nil, abi+" is missing (Debian's apparmor package)")

	rec := profile.New([]string{"/srv/web"}, "x86_64")
	for p, a := range map[string]profile.Access{
		"/srv/web": profile.Read | profile.Map | profile.Execute, "/var/cache/web": profile.Read | profile.Write | profile.Dir,
		"/proc/42/task/43/stat": profile.Read, "/dev/pts/0": profile.Read | profile.Write, "/srv/odd name,#x": profile.Read,
		"/srv/glob*?[]{}^": profile.Read, "/srv/at@{x}": profile.Read, "/srv/link": profile.Write | profile.Link,
		"/": profile.Read | profile.Dir,
	} {
		rec.AddFile(p, a)
	}
	rec.AddCapability("net_bind_service")
	rec.AddCapability("chown")
	for _, s := range []profile.Socket{{Family: "inet", Type: "stream"}, {Family: "inet6", Type: "dgram"}, {Family: "unix", Type: "stream"}, {Family: "netlink", Type: "raw"}, {Family: "packet", Type: "raw"}} {
		rec.AddSocket(s)
	}
	p, err := Generate(rec, Options{Name: "kharden-web"})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "kharden-web")
	os.WriteFile(file, p.Marshal(), 0o644)
	if out, err := exec.Command(parser, "-Q", "-K", "-M", abi, file).CombinedOutput(); err != nil {
		t.Fatalf("apparmor_parser refused the profile: %v\n%s\n%s", err, out, p.Marshal())
	}
	// And the parser is a real judge: a directory rule without its slash, or a bad
	// permission, fails.
	bad := strings.Replace(string(p.Marshal()), "/var/cache/web/ rw,", "/var/cache/web/ rwq,", 1)
	os.WriteFile(file, []byte(bad), 0o644)
	if err := exec.Command(parser, "-Q", "-K", "-M", abi, file).Run(); err == nil {
		t.Error("apparmor_parser accepted a bad permission: the validation proves nothing")
	}
}
