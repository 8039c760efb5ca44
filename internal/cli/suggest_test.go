package cli

import (
	"strings"
	"testing"
)

// A mistyped rule name gets the nearest slugs; rules filters by kind, practice and
// severity; flag values complete.
func TestExplainSuggestsAndRulesFilter(t *testing.T) {
	code, _, errOut := run("", "explain", "host-port")
	if code != 2 || !strings.Contains(errOut, `no rule with ID or slug "host-port" (did you mean host-ports`) {
		t.Errorf("explain host-port: exit %d, %q", code, errOut)
	}
	if code, _, errOut := run("", "explain", "zzzzzzzz"); code != 2 || strings.Contains(errOut, "did you mean") {
		t.Errorf("explain zzzzzzzz: exit %d, %q", code, errOut)
	}

	_, out, _ := run("", "rules", "--kind", "image", "--severity", "high+")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 2 {
		t.Fatalf("rules --kind image --severity high+:\n%s", out)
	}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if !strings.HasPrefix(f[0], "IM-") || (f[2] != "high" && f[2] != "critical") {
			t.Errorf("rules --kind image --severity high+: %q", l)
		}
	}
	_, out, _ = run("", "rules", "--practice", "b9")
	if !strings.Contains(out, "IM-0002") || strings.Contains(out, "KM-0004 ") {
		t.Errorf("rules --practice b9:\n%s", out)
	}
	if code, _, errOut := run("", "rules", "--kind", "helm"); code != 2 || !strings.Contains(errOut, "--kind \"helm\": want one of cluster, dockerfile, image") {
		t.Errorf("rules --kind helm: exit %d, %q", code, errOut)
	}

	// Cobra's completion protocol: what a shell asks for on <TAB>.
	for args, want := range map[string]string{
		"__complete scan --fail-on ":     "critical",
		"__complete scan -o ":            "sarif",
		"__complete scan image -o ":      "cyclonedx",
		"__complete scan --enable host-": "host-ports",
		"__complete explain KM-000":      "KM-0004",
		"__complete rules --kind ":       "dockerfile",
	} {
		a := strings.Split(args, " ")
		_, out, _ := run("", a...)
		if !strings.Contains(out, want) {
			t.Errorf("%s: %q lacks %q", args, out, want)
		}
	}
}
