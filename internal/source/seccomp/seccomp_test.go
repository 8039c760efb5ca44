package seccomp

import (
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/source/manifest"
)

func TestSniff(t *testing.T) {
	for _, c := range []struct {
		data string
		want bool
	}{
		{`{"defaultAction": "SCMP_ACT_ERRNO"}`, true},
		{"\ufeff  {\"architectures\": [], \"defaultAction\": \"SCMP_ACT_ERRNO\"}", true},
		{`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": [}`, true}, // broken after the key: still a profile
		{`{"apiVersion": "v1", "kind": "ConfigMap", "defaultAction": "x"}`, false},
		{`{"spec": {"defaultAction": "SCMP_ACT_ERRNO"}}`, false},
		{`{"name": "package.json"}`, false},
		{`defaultAction: SCMP_ACT_ERRNO`, false},
		{`[{"defaultAction": "SCMP_ACT_ERRNO"}]`, false},
		{``, false},
	} {
		if got := Sniff([]byte(c.data)); got != c.want {
			t.Errorf("Sniff(%q) = %v, want %v", c.data, got, c.want)
		}
	}
}

// TestMalformed: a profile a runtime would refuse is an error at the offending field
// (file:line:column), and is not judged.
func TestMalformed(t *testing.T) {
	for _, c := range []struct{ name, data, want string }{
		{"action", "{\n \"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"syscalls\": [\n  {\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOWW\"}\n ]\n}", `p.json:4:23: seccomp profile: action "SCMP_ACT_ALLOWW" is not a seccomp action`},
		{"default", "{\n \"defaultAction\": \"ALLOW\"\n}", `p.json:2:2: seccomp profile: defaultAction "ALLOW" is not a seccomp action`},
		{"arch", "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"architectures\": [\"SCMP_ARCH_X86_64\", \"x86\"]}", `p.json:2:40: seccomp profile: "x86" is not a seccomp architecture`},
		{"name", "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"syscalls\": [{\"names\": [\"read\", \"Write\"], \"action\": \"SCMP_ACT_ALLOW\"}]}", `p.json:2:34: seccomp profile: "Write" is not a syscall name`},
		{"no names", "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"syscalls\": [\n {\"action\": \"SCMP_ACT_ALLOW\"}]}", `p.json:3:2: seccomp profile: syscalls[0] has no names`},
		{"op", "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\",\n \"args\": [{\"index\": 7, \"value\": 1, \"op\": \"EQ\"}]}]}", `p.json:2:12: seccomp profile: argument index 7`},
		{"type", "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"syscalls\": [{\"names\": \"read\", \"action\": \"SCMP_ACT_ALLOW\"}]}", `p.json:2:25: SeccompProfile p.json: field syscalls.names must be a list`},
		{"missing", "{\"defaultAction\": \"\"}", `p.json:1:1: seccomp profile: defaultAction is missing`},
		{"syntax", "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"syscalls\": [\n}", `p.json:3:`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := Load("p.json", []byte(c.data))
			var got []string
			for _, e := range r.Errors {
				got = append(got, e.Error())
			}
			for _, d := range r.Docs {
				p, errs, _ := Decode(d)
				if p != nil {
					t.Errorf("judged a malformed profile")
				}
				for _, e := range errs {
					got = append(got, e.Error())
				}
			}
			if len(got) == 0 || !strings.HasPrefix(got[0], c.want) {
				t.Errorf("errors %q, want the first to start with %q", got, c.want)
			}
		})
	}
}

func TestDecodeSPOAndNotes(t *testing.T) {
	src := "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata: {name: web}\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n  disabled: false\n  defaultAktion: SCMP_ACT_ALLOW\n  syscalls:\n  - names: [read]\n    action: SCMP_ACT_ALLOW\n    commment: typo\n"
	r := manifest.Load("spo.yaml", []byte(src))
	if len(r.Docs) != 1 || !Is(r.Docs[0]) {
		t.Fatalf("not a profile: %+v", r)
	}
	p, errs, notes := Decode(r.Docs[0])
	if p == nil || len(errs) > 0 {
		t.Fatalf("errors %v", errs)
	}
	if p.Base != "spec" || p.DefaultAction != "SCMP_ACT_ERRNO" || len(p.Syscalls) != 1 || p.Syscalls[0].Names[0] != "read" {
		t.Errorf("profile %+v", p)
	}
	var got []string
	for _, n := range notes {
		got = append(got, n.Error())
	}
	want := []string{"spo.yaml:7:3: seccomp profile: unknown field spec.defaultAktion: runtimes ignore it",
		"spo.yaml:11:5: seccomp profile: unknown field spec.syscalls[0].commment: runtimes ignore it"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("notes\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
