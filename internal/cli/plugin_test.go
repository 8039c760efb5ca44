package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestProgramName(t *testing.T) {
	for argv0, want := range map[string]string{
		"kharden":                           "kharden",
		"/usr/local/bin/kharden":            "kharden",
		"bin/release/kharden_0.1.0_linux":   "kharden",
		"/home/u/.krew/bin/kubectl-kharden": "kubectl kharden",
		"kubectl-kharden":                   "kubectl kharden",
		"kubectl-kharden.exe":               "kubectl kharden",
		"KUBECTL-KHARDEN.EXE":               "kubectl kharden",
		"kubectl-kharden-old":               "kharden",
		"kubectl":                           "kharden",
	} {
		if got := ProgramName(argv0); got != want {
			t.Errorf("ProgramName(%q) = %q, want %q", argv0, got, want)
		}
	}
}

// Run as the kubectl plugin, kharden's help, usage, examples and hints say
// `kubectl kharden`; run as itself, `kharden`, never `kubectl kharden`.
func TestRunAsPlugin(t *testing.T) {
	run := func(name string, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Run(args, IO{In: strings.NewReader(""), Out: &out, Err: &errOut, Name: name})
		return code, out.String(), errOut.String()
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"  kubectl kharden [command]", `Use "kubectl kharden [command] --help"`}},
		{[]string{"audit", "cluster", "--help"}, []string{"  kubectl kharden audit cluster [flags]", "\n  kubectl kharden audit cluster --context prod"}},
		{[]string{"scan", "--help"}, []string{"  kubectl kharden scan [flags] PATH...", "| kubectl kharden scan -"}},
	} {
		code, out, _ := run("kubectl kharden", c.args...)
		for _, w := range c.want {
			if code != 0 || !strings.Contains(out, w) {
				t.Errorf("%v: exit %d, output lacks %q:\n%s", c.args, code, w, out)
			}
		}
		if code, out, _ := run("", c.args...); code != 0 || strings.Contains(out, "kubectl kharden") || !strings.Contains(out, strings.Replace(c.want[0], "kubectl ", "", 1)) {
			t.Errorf("%v as kharden: exit %d\n%s", c.args, code, out)
		}
	}
	code, _, errOut := run("kubectl kharden", "audit", "cluster", "--no-such-flag")
	if code != ExitError || !strings.Contains(errOut, "Run 'kubectl kharden audit cluster --help' for usage.") {
		t.Errorf("unknown flag: exit %d\n%s", code, errOut)
	}
	code, _, errOut = run("kubectl kharden", "no-such-command")
	if code != ExitError || !strings.Contains(errOut, "Run 'kubectl kharden --help' for usage.") {
		t.Errorf("unknown command: exit %d\n%s", code, errOut)
	}
}

// The commands are known by their own path whatever the name typed: the webhook
// drains on a signal under kubectl too.
func TestCommandPathAsPlugin(t *testing.T) {
	root := newRoot(IO{Name: "kubectl kharden"})
	c, _, err := root.Find([]string{"webhook", "serve"})
	if err != nil {
		t.Fatal(err)
	}
	if c.CommandPath() != "kubectl kharden webhook serve" || !drains[commandPath(c)] {
		t.Errorf("CommandPath %q, commandPath %q: not a draining command", c.CommandPath(), commandPath(c))
	}
}
