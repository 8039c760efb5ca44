package audit_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/audit"
	"github.com/kharden/kharden/internal/benchmark"
	"github.com/kharden/kharden/internal/rule"
)

func TestWriteBenchmark(t *testing.T) {
	meta := &rule.Meta{ID: "KC-0019", Slug: "apiserver-anonymous-auth"}
	file := "/etc/kubernetes/manifests/kube-apiserver.yaml"
	res := func(control string, s rule.Status, line int, msg string) rule.Result {
		return rule.Result{Meta: meta, Status: s, Control: control, Message: msg, Location: rule.Location{File: file, Line: line}}
	}
	results := []rule.Result{
		res("1.2.1", rule.Fail, 12, "kube-apiserver ("+file+"): --anonymous-auth=true; set --anonymous-auth=false (CIS 1.2.1)"),
		res("1.2.2", rule.Pass, 0, "--token-auth-file is not set (CIS 1.2.2)"),
		// The worst verdict of an item wins: a pass and an error are an error.
		res("1.2.4", rule.Pass, 0, "set"),
		res("1.2.4", rule.Error, 0, "cannot read"),
		res("2.1", rule.Skipped, 0, "etcd does not run on this node (CIS 2.1)"),
		res("1.2.20", rule.Manual, 0, "--request-timeout is not set"),
	}
	var b bytes.Buffer
	totals, err := audit.WriteBenchmark(&b, benchmark.CIS112(), "heading", results)
	if err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"heading\n",
		"\n1 Control plane components\n",
		"[FAIL] 1.2.1 ",
		"       KC-0019 " + file + ":12: kube-apiserver: --anonymous-auth=true; set --anonymous-auth=false\n",
		"[PASS] 1.2.2 ",
		"[ERROR] 1.2.4 ",
		"[SKIP] 2.1 ",
		"       etcd does not run on this node\n",
		"[WARN] 1.2.20 ",
		"guidance: ",
		// An item no result speaks of is a person's to judge.
		"[WARN] 3.1.1 ",
		"no rule decides this item here",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if totals["FAIL"] != 1 || totals["PASS"] != 1 || totals["ERROR"] != 1 || totals["SKIP"] != 1 {
		t.Errorf("totals %v", totals)
	}
	if n := len(benchmark.CIS112().Items); totals["FAIL"]+totals["PASS"]+totals["ERROR"]+totals["SKIP"]+totals["WARN"] != n {
		t.Errorf("totals %v do not add up to %d items", totals, n)
	}
}

func TestControlStatus(t *testing.T) {
	r := func(s rule.Status) rule.Result { return rule.Result{Status: s} }
	for _, c := range []struct {
		in   []rule.Result
		want rule.Status
	}{
		{[]rule.Result{r(rule.Pass), r(rule.Fail)}, rule.Fail},
		{[]rule.Result{r(rule.Manual), r(rule.Error)}, rule.Error},
		{[]rule.Result{r(rule.Skipped), r(rule.Pass)}, rule.Pass},
		{[]rule.Result{r(rule.Skipped)}, rule.Skipped},
		{[]rule.Result{r(rule.Pass), r(rule.Manual)}, rule.Manual},
		{nil, ""},
	} {
		if got := audit.ControlStatus(c.in); got != c.want {
			t.Errorf("%v: %s, want %s", c.in, got, c.want)
		}
	}
}

// A node's files are input: a message quoting one cannot draw on the terminal.
func TestWriteBenchmarkEscapes(t *testing.T) {
	meta := &rule.Meta{ID: "KN-0001", Slug: "x"}
	results := []rule.Result{{Meta: meta, Status: rule.Fail, Control: "1.2.1",
		Message:  "kube-apiserver: --anonymous-auth=\x1b[2J\nforged line",
		Location: rule.Location{File: "/etc/ku\x1b[31mbe.yaml"}}}
	var b bytes.Buffer
	if _, err := audit.WriteBenchmark(&b, benchmark.CIS112(), "heading", results); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, "\x1b") || strings.Contains(out, "\nforged line") {
		t.Errorf("raw control characters in the listing:\n%q", out)
	}
	if !strings.Contains(out, `--anonymous-auth=\x1b[2J\nforged line`) || !strings.Contains(out, `/etc/ku\x1b[31mbe.yaml`) {
		t.Errorf("escaped message or path missing:\n%s", out)
	}
}
