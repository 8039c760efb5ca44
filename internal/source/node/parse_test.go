package node

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestExpandExec(t *testing.T) {
	env := map[string]envVar{
		"ARGS":  {"--a=1  --b=2", Pos{"/env", 1}},
		"DIR":   {"/var/lib/x y", Pos{"/unit.d/a.conf", 4}},
		"EMPTY": {"", Pos{"/env", 2}},
	}
	at := Pos{"/unit", 9}
	for _, c := range []struct{ exec, want string }{
		{`/bin/k $ARGS --c`, `/bin/k@/unit:9 --a=1@/env:1 --b=2@/env:1 --c@/unit:9`},
		{`/bin/k $UNSET $EMPTY --c`, `/bin/k@/unit:9 --c@/unit:9`},
		{`/bin/k --dir=${DIR}`, `/bin/k@/unit:9 "--dir=/var/lib/x y"@/unit.d/a.conf:4`},
		{`/bin/k ${DIR}${DIR}`, `/bin/k@/unit:9 "/var/lib/x y/var/lib/x y"@/unit:9`},
		{`/bin/k --x=$ARGS "$ARGS" $$ARGS ${bad-name}`, `/bin/k@/unit:9 --x=$ARGS@/unit:9 $ARGS@/unit:9 $ARGS@/unit:9 ${bad-name}@/unit:9`},
		{`/bin/k "--name=a b" 'c d' e\ f`, `/bin/k@/unit:9 "--name=a b"@/unit:9 "c d"@/unit:9 "e f"@/unit:9`},
	} {
		var got []string
		for _, w := range expandExec(c.exec, at, env) {
			text := w.text
			if strings.Contains(text, " ") {
				text = `"` + text + `"`
			}
			got = append(got, text+"@"+w.pos.String())
		}
		if s := strings.Join(got, " "); s != c.want {
			t.Errorf("expandExec(%s)\n got %s\nwant %s", c.exec, s, c.want)
		}
	}
}

func TestParseUnitAndEnvFile(t *testing.T) {
	unit := "[Service]\n# comment\nExecStart=/bin/k \\\n  # skipped comment\n  --a=1 \\\n  --b=2\n; other\n[Install]\nWantedBy=multi-user.target\n"
	var got []string
	for _, l := range parseUnit("/u", []byte(unit)) {
		got = append(got, fmt.Sprintf("%s.%s=%s@%d", l.section, l.key, l.value, l.pos.Line))
	}
	want := []string{"Service.ExecStart=/bin/k --a=1 --b=2@3", "Install.WantedBy=multi-user.target@9"}
	if !slices.Equal(got, want) {
		t.Errorf("parseUnit = %q", got)
	}
	env := parseEnvFile("/e", []byte("# c\nA=1\n B = two words \nC=\"quoted \\\"x\\\"\"\nD='single'\nE=con\\\ntinued\nexport F=f\nbad line\n9X=no\n"))
	for k, want := range map[string]string{"A": "1@2", "B": "two words@3", "C": `quoted "x"@4`, "D": "single@5", "E": "continued@6", "F": "f@8"} {
		if v := env[k]; fmt.Sprintf("%s@%d", v.value, v.pos.Line) != want {
			t.Errorf("env %s = %+v, want %s", k, v, want)
		}
	}
	if len(env) != 6 {
		t.Errorf("env has %d variables: %v", len(env), env)
	}
}

func TestSysctlKey(t *testing.T) {
	for in, want := range map[string]string{
		"kernel.kptr_restrict":             "kernel.kptr_restrict",
		"kernel/kptr_restrict":             "kernel.kptr_restrict",
		"net/ipv4/conf/eth0.100/rp_filter": "net.ipv4.conf.eth0/100.rp_filter",
		"net.ipv4.conf.eth0/100.rp_filter": "net.ipv4.conf.eth0/100.rp_filter",
	} {
		if got := sysctlKey(in); got != want {
			t.Errorf("sysctlKey(%s) = %s, want %s", in, got, want)
		}
	}
	if got := swapDots("net.ipv4.conf.eth0/100.rp_filter"); got != "net/ipv4/conf/eth0.100/rp_filter" {
		t.Errorf("path of a key = %s", got)
	}
}

func TestSudoersLine(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{"Defaults:alice !authenticate", "defaults"},
		{"User_Alias ADMINS = alice, bob", "alias"},
		{"# just a comment", ""},
		{"#includedir /etc/sudoers.d", `includedir "/etc/sudoers.d"`},
		{`@include "sudoers.local"`, `include "sudoers.local"`},
		{"#include_not a directive", ""},
		{"%admin ALL=(ALL) ALL", `rule "%admin" all`},
		{"bob host1 = (root) NOPASSWD: /bin/ls, /bin/cat # comment", `rule "bob" nopasswd`},
		{"carol ALL=(ALL:ALL) NOPASSWD:SETENV: /bin/ls, ALL", `rule "carol" nopasswd all`},
		{"dave ALL=(ALL) !ALL", `rule "dave"`},
		{"erin ALL=(ALL) /usr/bin/ALL", `rule "erin"`},
		{"frank ALL=(ALL) PASSWD: ALL", `rule "frank" all`},
		{"#1001 ALL=(ALL) ALL", `rule "#1001" all`},
	} {
		l, ok := sudoersLine(c.line, Pos{"/s", 1})
		got := ""
		if ok {
			got = l.Kind
			if l.Who != "" {
				got += fmt.Sprintf(" %q", l.Who)
			}
			if l.NoPasswd {
				got += " nopasswd"
			}
			if l.AllCommands {
				got += " all"
			}
		}
		if got != c.want {
			t.Errorf("sudoersLine(%s) = %s, want %s", c.line, got, c.want)
		}
	}
}

func TestPAMAndSSHDLines(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{"auth required pam_faillock.so preauth deny=5", "auth|required|pam_faillock.so|[preauth deny=5]"},
		{"password [success=1 default=ignore] pam_unix.so obscure", "password|[success=1 default=ignore]|pam_unix.so|[obscure]"},
		{"@include common-password", "@include||common-password|[]"},
		{"# nothing", ""},
		{"session optional pam_motd.so # trailing", "session|optional|pam_motd.so|[]"},
	} {
		l, ok := pamLine(c.line, Pos{})
		got := ""
		if ok {
			got = fmt.Sprintf("%s|%s|%s|%v", l.Type, l.Control, l.Module, l.Args)
		}
		if got != c.want {
			t.Errorf("pamLine(%s) = %s, want %s", c.line, got, c.want)
		}
	}
	for in, want := range map[string]string{
		"PermitRootLogin no":       "PermitRootLogin|no",
		"PermitRootLogin=no":       "PermitRootLogin|no",
		"Ciphers  aes256-ctr,x   ": "Ciphers|aes256-ctr,x",
		"Key = value":              "Key|value",
		"Lonely":                   "Lonely|",
	} {
		if k, v := sshdSplit(strings.TrimSpace(in)); k+"|"+v != want {
			t.Errorf("sshdSplit(%s) = %s|%s", in, k, v)
		}
	}
}

func TestComponentOf(t *testing.T) {
	for argv, want := range map[string]string{
		"/usr/local/bin/kube-apiserver --x": APIServer,
		"etcd":                              Etcd,
		"/usr/bin/kubelet":                  Kubelet,
		"hyperkube kubelet --v=2":           Kubelet,
		"/hyperkube proxy":                  Proxy,
		"hyperkube kube-controller-manager": ControllerManager,
		"hyperkube":                         "",
		"etcdctl get":                       "",
		"/bin/sh -c kube-apiserver":         "",
	} {
		if got := componentOf(strings.Fields(argv)); got != want {
			t.Errorf("componentOf(%s) = %q, want %q", argv, got, want)
		}
	}
	if componentOf(nil) != "" {
		t.Error("componentOf(nil)")
	}
}

func TestPodCommand(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{"spec:\n  template:\n    spec:\n      containers:\n      - name: kube-proxy\n        command:\n        - /usr/local/bin/kube-proxy\n        - --config=/c\n",
			"/usr/local/bin/kube-proxy@7 --config=/c@8"},
		{"spec:\n  containers:\n  - name: x\n    args: [--a, --b]\n    env:\n    - {name: A, value: \"1\"}\n    - name: B\n      valueFrom: {}\n",
			"--a@4 --b@4 $A=1@/m:6"},
		{"spec:\n  containers:\n  - name: x\n    command: [hyperkube, proxy]\n  - name: y\n", "hyperkube@4 proxy@4"},
		{"", "error: empty manifest"},
		{"spec: {}\n", "error: no spec.containers"},
		{"spec:\n  containers:\n  - name: kube-proxy\n    command: /bin/kube-proxy\n", "error: line 4: command: not a list"},
		{"spec:\n  containers:\n  - name: kube-proxy\n    args: [{a: b}]\n", "error: line 4: args: line 4: not a string"},
	} {
		pa, err := podCommand(Proxy, "/m", []byte(c.doc))
		var got []string
		for i := range pa.argv {
			got = append(got, fmt.Sprintf("%s@%d", pa.argv[i], pa.lines[i]))
		}
		for i, v := range pa.env {
			got = append(got, fmt.Sprintf("$%s=%s@%s", pa.names[i], v.value, v.pos))
		}
		s := strings.Join(got, " ")
		if err != nil {
			s = "error: " + err.Error()
		}
		if s != c.want {
			t.Errorf("podCommand(%q) = %s, want %s", c.doc, s, c.want)
		}
	}
}

func TestModprobeDisables(t *testing.T) {
	for cmd, want := range map[string]bool{"/bin/false": true, "/bin/true": true, "/usr/bin/false": true, "/bin/false -x": true,
		"/sbin/modprobe --ignore-install dccp": false, "": false} {
		if got := (ModprobeRule{Kind: "install", Command: cmd}).Disables(); got != want {
			t.Errorf("install %q: Disables = %v", cmd, got)
		}
	}
	if (ModprobeRule{Kind: "blacklist", Module: "dccp"}).Disables() {
		t.Error("blacklist alone does not stop an explicit modprobe")
	}
}
