package seccomp

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/kharden/kharden/internal/profile"
)

func TestParseRefuses(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"empty", "", "empty file"},
		{"truncated", "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [\n", "line 3: not a seccomp profile"},
		{"not json or yaml", "\t- [", "neither JSON nor YAML"},
		{"unknown field", `{"defaultAction":"SCMP_ACT_ERRNO","archMap":[]}`, `unknown field "archMap"`},
		{"no default", `{"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}`, "defaultAction is missing"},
		{"bad default", `{"defaultAction":"DENY"}`, `defaultAction "DENY" is not a seccomp action`},
		{"bad arch", `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["amd64"]}`, `"amd64" is not a seccomp architecture`},
		{"no names", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":[],"action":"SCMP_ACT_ALLOW"}]}`, "syscalls[0]: names is empty"},
		{"bad name", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","Open "],"action":"SCMP_ACT_ALLOW"}]}`, `syscalls[0].names[1]: "Open " is not a syscall name`},
		{"bad action", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"ALLOW"}]}`, `action "ALLOW"`},
		{"errno on allow", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","errnoRet":1}]}`, "errnoRet is only for"},
		{"bad index", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":6,"value":0,"op":"SCMP_CMP_EQ"}]}]}`, "index 6"},
		{"bad op", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"op":"EQ"}]}]}`, `op "EQ"`},
		{"wrong kind", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "v1 ConfigMap is not a seccomp profile"},
		{"spo without spec", "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata: {name: x}\n", "has no spec"},
		{"wrong type", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":{"names":["read"]}}`, "not a seccomp profile"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Parse([]byte(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	oci := `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["read","write","not_a_syscall"],"action":"SCMP_ACT_ALLOW"}]}`
	p, warnings, err := Parse([]byte(oci))
	if err != nil || p.DefaultAction != specs.ActErrno || len(p.Syscalls) != 1 {
		t.Fatalf("%+v %v", p, err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], `no syscall "not_a_syscall" on x86_64`) {
		t.Errorf("warnings %q", warnings)
	}
	spo := "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata: {name: web}\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n  - action: SCMP_ACT_ALLOW\n    names: [read, write]\n"
	p, _, err = Parse([]byte(spo))
	if err != nil || len(p.Syscalls) != 1 || strings.Join(p.Syscalls[0].Names, ",") != "read,write" {
		t.Fatalf("%+v %v", p, err)
	}
	// What MarshalSPO writes, Parse reads back.
	back, _, err := Parse(MarshalSPO(p, "web", "shop"))
	if err != nil || string(Marshal(back)) != string(Marshal(p)) {
		t.Errorf("SPO round trip: %v\n%s", err, Marshal(back))
	}
}

func TestGenerate(t *testing.T) {
	rec := profile.New([]string{"x"}, "x86_64")
	rec.Syscalls["read"] = 3
	rec.Syscalls["write"] = 1
	p, err := Generate(rec, Options{Baseline: &Baseline{Syscalls: []string{"capset", "read", "not_a_syscall"}}})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(AllowedNames(p), " ")
	want := "capset execve exit exit_group read restart_syscall rt_sigreturn write"
	if got != want || p.DefaultAction != specs.ActErrno || len(p.Architectures) != 1 || p.Architectures[0] != specs.ArchX86_64 {
		t.Errorf("allowed %q, want %q; %+v", got, want, p)
	}
	rec.GoRuntime = true
	p, _ = Generate(rec, Options{})
	if names := AllowedNames(p); !contains(names, "tgkill") || !contains(names, "futex") || contains(names, "capset") {
		t.Errorf("Go runtime: %v", names)
	}
	// An aarch64 recording: names only aarch64 has.
	arm := profile.New([]string{"x"}, "aarch64")
	arm.Syscalls["openat"] = 1
	p, _ = Generate(arm, Options{Baseline: &Baseline{Syscalls: []string{"open", "epoll_wait"}}})
	if names := AllowedNames(p); contains(names, "open") || contains(names, "epoll_wait") || p.Architectures[0] != specs.ArchAARCH64 {
		t.Errorf("aarch64 has no open or epoll_wait: %v %v", names, p.Architectures)
	}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func TestMerge(t *testing.T) {
	a := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Architectures: []specs.Arch{specs.ArchX86_64},
		Syscalls: []specs.LinuxSyscall{{Names: []string{"write", "read"}, Action: specs.ActAllow}}}
	b := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Architectures: []specs.Arch{specs.ArchAARCH64, specs.ArchX86_64},
		Syscalls: []specs.LinuxSyscall{{Names: []string{"openat", "read"}, Action: specs.ActAllow}, {Names: []string{"close"}, Action: specs.ActAllow}}}
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": [
    "SCMP_ARCH_AARCH64",
    "SCMP_ARCH_X86_64"
  ],
  "syscalls": [
    {
      "names": [
        "close",
        "openat",
        "read",
        "write"
      ],
      "action": "SCMP_ACT_ALLOW"
    }
  ]
}
`
	if got := string(Marshal(m)); got != want {
		t.Errorf("merged:\n%s", got)
	}
	deny := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"mount"}, Action: specs.ActErrno}}}
	if _, err := Merge(a, deny); err == nil || !strings.Contains(err.Error(), "only allow lists merge") {
		t.Errorf("deny list merged: %v", err)
	}
	kill := &specs.LinuxSeccomp{DefaultAction: specs.ActKillProcess}
	if _, err := Merge(a, kill); err == nil || !strings.Contains(err.Error(), "differs") {
		t.Errorf("different defaults merged: %v", err)
	}
	cond := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"personality"}, Action: specs.ActAllow,
		Args: []specs.LinuxSeccompArg{{Index: 0, Value: 0, Op: specs.OpEqualTo}}}}}
	if _, err := Merge(a, cond); err == nil || !strings.Contains(err.Error(), "argument conditions") {
		t.Errorf("conditional rule merged: %v", err)
	}
}

func TestCompileRefuses(t *testing.T) {
	x86, _ := LookupArch("x86_64")
	for _, c := range []struct {
		p    specs.LinuxSeccomp
		want string
	}{
		{specs.LinuxSeccomp{DefaultAction: specs.ActTrace}, "cannot enforce"},
		{specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActNotify}}}, "SCMP_ACT_NOTIFY"},
		{specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"clone"}, Action: specs.ActAllow,
			Args: []specs.LinuxSeccompArg{{Index: 0, Value: 1, ValueTwo: 1, Op: specs.OpMaskedEqual}}}}}, "SCMP_CMP_MASKED_EQ"},
	} {
		if _, err := Compile(&c.p, x86); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.p, err, c.want)
		}
	}
	// Deny actions and errnos kept per syscall.
	e := uint(38)
	f, err := Compile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"mount"}, Action: specs.ActErrno, ErrnoRet: &e}, {Names: []string{"ptrace"}, Action: specs.ActKillProcess}}}, x86)
	if err != nil {
		t.Fatal(err)
	}
	mount, _ := x86.SyscallNumber("mount")
	ptrace, _ := x86.SyscallNumber("ptrace")
	if d := f.Deny(mount); d.Action != specs.ActErrno || d.Errno != 38 {
		t.Errorf("mount: %+v", d)
	}
	if d := f.Deny(ptrace); d.Action != specs.ActKillProcess {
		t.Errorf("ptrace: %+v", d)
	}
	if len(f.Program)%8 != 0 || len(f.Program) == 0 {
		t.Errorf("program of %d bytes", len(f.Program))
	}
}

func TestBaselines(t *testing.T) {
	for _, nnp := range []bool{true, false} {
		b, err := LookupBaseline("runc", nnp)
		if err != nil {
			t.Fatal(err)
		}
		x86, _ := LookupArch("x86_64")
		for _, n := range b.Syscalls {
			if _, ok := x86.SyscallNumber(n); !ok {
				t.Errorf("runc baseline (nnp %v): %q is no x86_64 syscall", nnp, n)
			}
		}
	}
	if _, err := LookupBaseline("podman", false); err == nil || !strings.Contains(err.Error(), "runc") {
		t.Errorf("unknown runtime: %v", err)
	}
}
