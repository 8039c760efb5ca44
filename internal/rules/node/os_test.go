package node

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/profile/modules"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

// osRules are the rules of the node's operating system (practices A1, A2, A4, A6).
var osRules = []*Rule{
	SSHDRootLogin, SSHDPasswordAuth, SSHDAllowedUsers, SudoNoPasswd, SudoersFilePermissions,
	SysctlBaseline, MandatoryAccessControl, KernelVersion, KernelModulesBlocked, PAMEmptyPasswords,
}

// osWant is a finding a scenario must give: rule, status, file, line (0: none) and a
// part of the message.
type osWant struct {
	id     string
	status rule.Status
	file   string
	line   int
	text   string
}

// osCount is how many findings of a status a rule gives in a scenario.
type osCount struct {
	id     string
	status rule.Status
	n      int
}

// osScenarios are the host fixtures of testdata/hosts/os-*. For a rule with counts, the
// counts are all its findings and its wants must be among them; for a rule with wants
// only, its findings are exactly the wants, in order.
var osScenarios = []struct {
	scenario string
	want     []osWant
	counts   []osCount
}{
	{
		scenario: "os-hardened",
		want: []osWant{
			{"KN-0030", rule.Pass, "/etc/ssh/sshd_config.d/10-hardening.conf", 1, "PermitRootLogin no: root cannot"},
			{"KN-0030", rule.Pass, "/etc/ssh/sshd_config", 12, `matching "Address 10.0.0.0/8"`},
			{"KN-0031", rule.Pass, "/etc/ssh/sshd_config.d/10-hardening.conf", 2, "PasswordAuthentication no"},
			{"KN-0031", rule.Pass, "/etc/ssh/sshd_config.d/10-hardening.conf", 3, "KbdInteractiveAuthentication no"},
			{"KN-0031", rule.Pass, "/etc/ssh/sshd_config.d/10-hardening.conf", 4, "PermitEmptyPasswords no"},
			{"KN-0032", rule.Pass, "/etc/ssh/sshd_config.d/10-hardening.conf", 5, "AllowGroups ssh-admins"},
			{"KN-0033", rule.Pass, "/etc/sudoers", 0, "rules read: 2"},
			{"KN-0033", rule.Pass, "/etc/sudoers.d/README", 0, "rules read: 0"},
			{"KN-0033", rule.Pass, "/etc/sudoers.d/ops", 0, "rules read: 1"},
			{"KN-0034", rule.Pass, "/etc/sudoers", 0, "0440 root:root"},
			{"KN-0034", rule.Pass, "/etc/sudoers.d/README", 0, "0440 root:root"},
			{"KN-0034", rule.Pass, "/etc/sudoers.d/ops", 0, "0440 root:root"},
			{"KN-0035", rule.Pass, "/etc/sysctl.d/90-kharden.conf", 2, "kernel.kptr_restrict is 1 (want 1 to 2), set at boot"},
			{"KN-0035", rule.Pass, "/proc/sys/kernel/randomize_va_space", 0, "no sysctl.d file sets it"},
			{"KN-0035", rule.Pass, "/etc/sysctl.d/90-kharden.conf", 6, "kernel.perf_event_paranoid is 4 (want 2 or more)"},
			{"KN-0035", rule.Pass, "/etc/sysctl.d/90-kharden.conf", 21, "net.ipv6.conf.all.accept_redirects is 0"},
			{"KN-0036", rule.Pass, "/sys/kernel/security/apparmor/profiles", 0, "3 of its 4 loaded profiles in enforce mode"},
			{"KN-0037", rule.Pass, "/proc/sys/kernel/osrelease", 0, "6.8.0-45-generic (Ubuntu 24.04.1 LTS) is on a maintained line"},
			{"KN-0038", rule.Pass, "/etc/modprobe.d/kharden-blacklist.conf", -1, "dccp cannot be loaded: install dccp /bin/false"},
			{"KN-0039", rule.Pass, "/etc/pam.d", 0, "pam_unix lines: 2"},
		},
		counts: []osCount{
			{"KN-0035", rule.Pass, len(BaselineSysctls)},
			{"KN-0038", rule.Pass, len(modules.List())},
		},
	},
	{
		scenario: "os-insecure",
		want: []osWant{
			{"KN-0030", rule.Fail, "/etc/ssh/sshd_config", 0, "its default, prohibit-password, which still lets root log in with a key"},
			{"KN-0030", rule.Fail, "/etc/ssh/sshd_config", 7, `PermitRootLogin yes for connections matching "User deploy"`},
			{"KN-0031", rule.Fail, "/etc/ssh/sshd_config", 3, "PasswordAuthentication yes: sshd accepts passwords"},
			{"KN-0031", rule.Fail, "/etc/ssh/sshd_config", 0, "KbdInteractiveAuthentication is not set"},
			{"KN-0031", rule.Fail, "/etc/ssh/sshd_config", 4, "PermitEmptyPasswords yes"},
			{"KN-0031", rule.Fail, "/etc/ssh/sshd_config", 8, `PasswordAuthentication yes for connections matching "User deploy"`},
			{"KN-0032", rule.Fail, "/etc/ssh/sshd_config", 0, "neither AllowUsers nor AllowGroups"},
			{"KN-0033", rule.Pass, "/etc/sudoers", 0, "rules read: 1"},
			{"KN-0033", rule.Fail, "/etc/sudoers.d/90-cloud-init-users", 2, "ubuntu may run every command as root without a password"},
			{"KN-0033", rule.Fail, "/etc/sudoers.d/deploy", 1, "Defaults:deploy !authenticate turns off"},
			{"KN-0034", rule.Pass, "/etc/sudoers", 0, "0440 root:root"},
			{"KN-0034", rule.Fail, "/etc/sudoers.d/90-cloud-init-users", 0, "mode 0666, which allows group write, others write"},
			{"KN-0034", rule.Fail, "/etc/sudoers.d/deploy", 0, "owned by deploy:deploy"},
			{"KN-0035", rule.Fail, "/etc/sysctl.d/99-local.conf", 1, "kernel.kptr_restrict is 0, as this line sets it"},
			{"KN-0035", rule.Fail, "/etc/sysctl.d/50-kharden.conf", 2, "kernel.dmesg_restrict is 0; want 1, a value that keeps"},
			{"KN-0035", rule.Fail, "/proc/sys/kernel/unprivileged_bpf_disabled", 0, "set kernel.unprivileged_bpf_disabled = 1 in /etc/sysctl.d"},
			{"KN-0035", rule.Fail, "/etc/sysctl.d/99-local.conf", 2, "fs.protected_hardlinks is 1 now, but this line sets it to 0 at the next boot"},
			{"KN-0035", rule.Fail, "/etc/sysctl.conf", 1, "net.ipv4.tcp_syncookies is 0"},
			{"KN-0036", rule.Fail, "/sys/fs/selinux/enforce", 0, "SELinux is permissive"},
			{"KN-0037", rule.Fail, "/proc/sys/kernel/osrelease", 0, "5.4.281-0-lts (Alpine Linux v3.12) is on the 5.4 longterm line"},
			{"KN-0038", rule.Fail, "/etc/modprobe.d/blacklist.conf", 2, "dccp is only blacklisted"},
			{"KN-0038", rule.Fail, "/etc/modprobe.d/blacklist.conf", 2, "it is loaded now, until modprobe -r dccp"},
			{"KN-0038", rule.Fail, "/etc/modprobe.d/blacklist.conf", 4, `loading sctp runs "/sbin/modprobe --ignore-install sctp"`},
			{"KN-0038", rule.Fail, "", 0, "nothing in modprobe.d blocks rds"},
			{"KN-0039", rule.Fail, "/etc/pam.d/common-auth", 1, "pam_unix.so nullok:"},
			{"KN-0039", rule.Fail, "/etc/pam.d/common-password", 1, "pam_unix.so nullok_secure:"},
		},
		counts: []osCount{
			{"KN-0035", rule.Fail, len(BaselineSysctls)},
			{"KN-0038", rule.Fail, len(modules.List())},
		},
	},
	{
		scenario: "os-bare",
		want: []osWant{
			{"KN-0030", rule.Skipped, "/etc/ssh/sshd_config", 0, "no OpenSSH server"},
			{"KN-0031", rule.Skipped, "/etc/ssh/sshd_config", 0, "no OpenSSH server"},
			{"KN-0032", rule.Skipped, "/etc/ssh/sshd_config", 0, "no OpenSSH server"},
			{"KN-0033", rule.Skipped, "/etc/sudoers", 0, "sudo is not configured"},
			{"KN-0034", rule.Skipped, "/etc/sudoers", 0, "sudo is not configured"},
			{"KN-0035", rule.Skipped, "/proc/sys/kernel/yama/ptrace_scope", 0, "this kernel has no kernel.yama.ptrace_scope"},
			{"KN-0036", rule.Error, "", 0, "neither SELinux"},
			{"KN-0037", rule.Error, "/proc/sys/kernel/osrelease", 0, "no such file or directory"},
			{"KN-0038", rule.Fail, "", 0, "nothing in modprobe.d blocks dccp"},
			{"KN-0039", rule.Skipped, "/etc/pam.d", 0, "PAM is not configured"},
		},
		counts: []osCount{
			{"KN-0035", rule.Skipped, len(BaselineSysctls)},
			{"KN-0038", rule.Fail, len(modules.List())},
		},
	},
	{
		scenario: "os-key-first",
		want: []osWant{
			{"KN-0030", rule.Fail, "/etc/ssh/sshd_config", 5, "forced-commands-only lets root log in"},
			{"KN-0031", rule.Pass, "/etc/ssh/sshd_config", 4, "requires a public key first: it is only a second factor"},
			{"KN-0031", rule.Pass, "/etc/ssh/sshd_config", 3, "KbdInteractiveAuthentication is not set (default yes), but AuthenticationMethods"},
			{"KN-0031", rule.Pass, "/etc/ssh/sshd_config", 0, "PermitEmptyPasswords is not set"},
			{"KN-0031", rule.Fail, "/etc/ssh/sshd_config", 10, `PasswordAuthentication yes for connections matching "Group contractors"`},
			{"KN-0031", rule.Fail, "/etc/ssh/sshd_config", 11, "KbdInteractiveAuthentication yes for connections"},
			{"KN-0032", rule.Pass, "/etc/ssh/sshd_config", 6, "AllowUsers alice bob"},
			{"KN-0033", rule.Pass, "/etc/sudoers", 0, "rules read: 2"},
			{"KN-0033", rule.Error, "/etc/sudoers.local", 0, "cannot read /etc/sudoers.local: permission denied"},
			{"KN-0034", rule.Pass, "/etc/sudoers", 0, "0440 root:root"},
			{"KN-0034", rule.Pass, "/etc/sudoers.local", 0, "0440 root:root"},
			{"KN-0036", rule.Pass, "/sys/fs/selinux/enforce", 0, "SELinux is enforcing"},
			{"KN-0037", rule.Pass, "/proc/sys/kernel/osrelease", 0, "6.1.112-flatcar"},
			{"KN-0038", rule.Pass, "/proc/sys/kernel/modules_disabled", 0, "until a reboot: dccp, tipc"},
			{"KN-0039", rule.Pass, "/etc/pam.d", 0, "pam_unix lines: 1"},
		},
	},
	{
		scenario: "os-selinux-next-boot",
		want: []osWant{
			{"KN-0036", rule.Fail, "/etc/selinux/config", 2, "sets SELINUX=permissive for the next boot"},
			{"KN-0037", rule.Fail, "/proc/sys/kernel/osrelease", 0, "3.10.0-1160.el7.x86_64 (CentOS Linux 7 (Core)) is older than 4.18"},
		},
	},
	{
		scenario: "os-apparmor-complain",
		want: []osWant{
			{"KN-0036", rule.Fail, "/sys/kernel/security/apparmor/profiles", 0, "none of its 2 loaded profiles is in enforce mode"},
		},
	},
	{
		scenario: "os-apparmor-off",
		want: []osWant{
			{"KN-0036", rule.Fail, "/sys/module/apparmor/parameters/enabled", 0, `disabled (enabled is "N")`},
		},
	},
	{
		scenario: "os-unreadable",
		want: []osWant{
			{"KN-0030", rule.Error, "/etc/ssh/sshd_config.d/50-cloud-init.conf", 0, "permission denied"},
			{"KN-0031", rule.Error, "/etc/ssh/sshd_config.d/50-cloud-init.conf", 0, "permission denied"},
			{"KN-0032", rule.Error, "/etc/ssh/sshd_config.d/50-cloud-init.conf", 0, "permission denied"},
			{"KN-0033", rule.Error, "/etc/sudoers", 0, "cannot read /etc/sudoers: permission denied"},
			{"KN-0034", rule.Pass, "/etc/sudoers", 0, "0440 root:root"},
			{"KN-0035", rule.Error, "/proc/sys/kernel/kptr_restrict", 0, "permission denied"},
			{"KN-0035", rule.Error, "/etc/sysctl.d/10-secret.conf", 0, "persisted for the next boot may differ"},
			{"KN-0036", rule.Error, "/sys/kernel/security/apparmor/profiles", 0, "permission denied"},
			{"KN-0037", rule.Error, "/proc/sys/kernel/osrelease", 0, "permission denied"},
			{"KN-0038", rule.Error, "/etc/modprobe.d/secret.conf", 0, "no modprobe.d file read blocks dccp"},
			{"KN-0039", rule.Error, "/etc/pam.d/common-auth", 0, "permission denied"},
		},
		counts: []osCount{
			{"KN-0035", rule.Error, 2},
			{"KN-0035", rule.Skipped, len(BaselineSysctls) - 1},
			{"KN-0038", rule.Error, len(modules.List())},
		},
	},
}

// osFacts collects the facts of a host fixture.
func osFacts(t *testing.T, dir string) *node.Facts {
	t.Helper()
	h, err := node.OpenFixture(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	f := node.Collect(h)
	for _, err := range f.Errors {
		t.Errorf("collector: %v", err)
	}
	return f
}

func (w osWant) matches(f Finding) bool {
	status := f.Status
	if status == "" {
		status = rule.Fail
	}
	return status == w.status && f.File == w.file && (f.Line == w.line || w.line < 0 && f.Line > 0) &&
		strings.Contains(f.Message, w.text)
}

func (w osWant) String() string {
	return fmt.Sprintf("%s %s %s:%d %q", w.id, w.status, w.file, w.line, w.text)
}

func TestOSRules(t *testing.T) {
	seen := map[string]map[rule.Status]bool{}
	for _, sc := range osScenarios {
		t.Run(sc.scenario, func(t *testing.T) {
			f := osFacts(t, filepath.Join("testdata", "hosts", sc.scenario))
			for _, r := range osRules {
				got := r.Check(f)
				if seen[r.ID] == nil {
					seen[r.ID] = map[rule.Status]bool{}
				}
				for _, g := range got {
					seen[r.ID][g.Status] = true
				}
				var want []osWant
				for _, w := range sc.want {
					if w.id == r.ID {
						want = append(want, w)
					}
				}
				counted := false
				for _, c := range sc.counts {
					if c.id != r.ID {
						continue
					}
					counted = true
					n := 0
					for _, g := range got {
						if g.Status == c.status {
							n++
						}
					}
					if n != c.n {
						t.Errorf("%s: %d findings %s, want %d", r.ID, n, c.status, c.n)
					}
				}
				if counted {
					total := 0
					for _, c := range sc.counts {
						if c.id == r.ID {
							total += c.n
						}
					}
					if len(got) != total {
						t.Errorf("%s: %d findings, want %d (the counts)", r.ID, len(got), total)
					}
					for _, w := range want {
						if !slices.ContainsFunc(got, w.matches) {
							t.Errorf("missing %s", w)
						}
					}
				} else if len(want) > 0 {
					ok := len(got) == len(want)
					for i := 0; ok && i < len(got); i++ {
						ok = want[i].matches(got[i])
					}
					if !ok {
						t.Errorf("%s findings:\n%s\nwant:\n%s", r.ID, osJoin(got), osJoin(want))
					}
				}
			}
			if t.Failed() && sc.scenario == "os-hardened" {
				t.Log("if the module list of kharden profile modules changed, regenerate the fixture: kharden profile " +
					"modules -o testdata/hosts/os-hardened/root/etc/modprobe.d/kharden-blacklist.conf")
			}
		})
	}
	// Every OS rule is seen to pass and to fail.
	for _, r := range osRules {
		if !seen[r.ID][rule.Pass] || !seen[r.ID][rule.Fail] {
			t.Errorf("%s: no scenario gives both Pass and Fail (seen %v)", r.ID, seen[r.ID])
		}
	}
}

func osJoin[T fmt.Stringer](xs []T) string {
	var b strings.Builder
	for _, x := range xs {
		fmt.Fprintf(&b, "\t%s\n", x)
	}
	return b.String()
}

func TestOSRulesRegistered(t *testing.T) {
	all := All()
	for _, r := range osRules {
		if !slices.Contains(all, r) {
			t.Errorf("%s is not in All()", r.ID)
		}
	}
	if err := rule.Validate(Metas(osRules)); err != nil {
		t.Error(err)
	}
}

func TestBaselineSysctls(t *testing.T) {
	keys := map[string]bool{}
	for _, s := range BaselineSysctls {
		if keys[s.Key] {
			t.Errorf("%s: twice in the baseline", s.Key)
		}
		keys[s.Key] = true
		if !slices.Contains(node.DefaultSysctls, s.Key) {
			t.Errorf("%s: not in node.DefaultSysctls, so never collected", s.Key)
		}
		if s.Min > s.Max || s.Set < s.Min || s.Set > s.Max {
			t.Errorf("%s: Set %d outside %d..%d", s.Key, s.Set, s.Min, s.Max)
		}
		if s.Reason == "" {
			t.Errorf("%s: no reason", s.Key)
		}
	}
	for _, k := range []string{"net.ipv4.ip_forward", "net.ipv4.conf.all.rp_filter", "net.ipv6.conf.all.accept_ra"} {
		if keys[k] {
			t.Errorf("%s is in the baseline: Kubernetes nodes need it as their CNI plugin sets it", k)
		}
	}
}

// TestKernelModulesBlockedGenerated checks that the file kharden profile modules writes
// passes KN-0038, read through the collector.
func TestKernelModulesBlockedGenerated(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "root", modules.InstallPath)
	if err := os.MkdirAll(filepath.Dir(conf), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, modules.Generate(modules.Options{}), 0o644); err != nil {
		t.Fatal(err)
	}
	got := KernelModulesBlocked.Check(osFacts(t, dir))
	if len(got) != len(modules.List()) {
		t.Errorf("%d findings, want one per module (%d)", len(got), len(modules.List()))
	}
	for _, g := range got {
		if g.Status != rule.Pass || g.File != modules.InstallPath {
			t.Errorf("%s", g)
		}
	}
}

// TestSudoersIncludeDir covers a policy directory, which the collector may record.
func TestSudoersIncludeDir(t *testing.T) {
	f := &node.Facts{OS: node.OSFacts{Sudoers: []node.SudoersFile{
		{Path: "/etc/sudoers", File: node.File{Path: "/etc/sudoers", Mode: 0o440, User: "root", Group: "root"},
			Lines: []node.SudoersLine{{Kind: node.SudoIncludeDir, Who: "/etc/sudoers.d", Pos: node.Pos{File: "/etc/sudoers", Line: 1}}}},
		{Path: "/etc/sudoers.d", File: node.File{Path: "/etc/sudoers.d", Mode: 0o777 | os.ModeDir, Dir: true, UID: 0, User: "root", Group: "root"}},
		{Path: "/etc/sudoers.d/gone", Err: node.FileError{Path: "/etc/sudoers.d/gone", Err: os.ErrNotExist}},
	}}}
	got := SudoersFilePermissions.Check(f)
	want := []osWant{
		{"KN-0034", rule.Pass, "/etc/sudoers", 0, "sudoers file /etc/sudoers is 0440 root:root"},
		{"KN-0034", rule.Fail, "/etc/sudoers.d", 0, "sudoers directory /etc/sudoers.d has mode 0777, which allows group write, others write"},
	}
	if len(got) != len(want) || !want[0].matches(got[0]) || !want[1].matches(got[1]) {
		t.Errorf("KN-0034:\n%s\nwant:\n%s", osJoin(got), osJoin(want))
	}
	got = SudoNoPasswd.Check(f)
	if len(got) != 1 || got[0].Status != rule.Pass || got[0].File != "/etc/sudoers" {
		t.Errorf("KN-0033:\n%s\nwant one Pass for /etc/sudoers", osJoin(got))
	}
}

func TestKeyRequired(t *testing.T) {
	for _, c := range []struct {
		value string
		want  bool
	}{
		{"any", false},
		{"", false},
		{"publickey", true},
		{"publickey,keyboard-interactive", true},
		{"publickey,password publickey,keyboard-interactive:pam", true},
		{"publickey,password password", false},
		{"keyboard-interactive,publickey", true},
		{"gssapi-with-mic publickey", false},
	} {
		if got := keyRequired(node.Setting{Value: c.value}, true); got != c.want {
			t.Errorf("keyRequired(%q) = %v, want %v", c.value, got, c.want)
		}
	}
	if keyRequired(node.Setting{Value: "publickey"}, false) {
		t.Error("keyRequired of an unset AuthenticationMethods is true")
	}
}
