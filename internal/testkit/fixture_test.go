package testkit

import (
	"strings"
	"testing"
)

func TestParseWantsAndMatch(t *testing.T) {
	src := []byte("a: 1 # want KM-0001 \"runs as root\"\n# want DF-0002\nRUN x\nb: 2 # want KM-0001 KM-0001\n")
	wants, err := ParseWants(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(wants) != 4 || wants[0].Line != 1 || wants[1].Line != 3 || wants[2].Line != 4 || wants[3].Line != 4 {
		t.Fatalf("wants %+v", wants)
	}
	ok := map[int][]string{1: {"container runs as root"}, 4: {"x", "y"}}
	if d := Match("f", "KM-0001", wants, ok); len(d) != 0 {
		t.Errorf("agreeing findings: %q", d)
	}
	bad := map[int][]string{1: {"something else"}, 4: {"x"}, 7: {"z"}}
	d := strings.Join(Match("f", "KM-0001", wants, bad), "\n")
	for _, want := range []string{"f:1: no message matches", "f:4: want 2 finding(s)", "f:7: unexpected finding"} {
		if !strings.Contains(d, want) {
			t.Errorf("disagreements %q lack %q", d, want)
		}
	}
}

func TestWrapPodKeepsLines(t *testing.T) {
	src := []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostPID: true # want KM-0006\n")
	for kind := range Controllers {
		out, lm, ok := WrapPod(src, kind)
		if !ok {
			t.Fatalf("%s: not wrapped", kind)
		}
		lines := strings.Split(string(out), "\n")
		for i, orig := range lm {
			if orig == 6 && !strings.HasSuffix(lines[i], "hostPID: true # want KM-0006") {
				t.Errorf("%s: line %d maps to 6 but is %q", kind, i+1, lines[i])
			}
		}
	}
	if _, _, ok := WrapPod([]byte("apiVersion: v1\nkind: Service\nmetadata: {}\nspec: {}\n"), "Deployment"); ok {
		t.Error("a Service was wrapped")
	}
}
