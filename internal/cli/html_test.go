package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// -o html writes the one-page report, to standard output or --output, with the verdict's
// exit code; audit node --benchmark writes it too (the findings page, not nothing).
func TestHTMLOutput(t *testing.T) {
	file := filepath.Join(t.TempDir(), "report.html")
	code, out, errOut := run("", "scan", "--no-config", "-o", "html", "--output", file, "../../examples/insecure")
	if code != ExitFindings || out != "" {
		t.Fatalf("scan -o html --output: exit %d, stdout %q, stderr %s", code, out, errOut)
	}
	page, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<!DOCTYPE html>", `http-equiv="Content-Security-Policy" content="default-src 'none'`, `class="kh-data">{"s":[`, `"KM-`, "</html>\n"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("scan -o html lacks %q", want)
		}
	}

	root := t.TempDir()
	for _, args := range [][]string{{}, {"--benchmark", "cis-1.12"}} {
		_, out, errOut = run("", append([]string{"audit", "node", "--root", root, "--no-config", "--no-vulns", "-o", "html"}, args...)...)
		if !strings.HasPrefix(out, "<!DOCTYPE html>") || !strings.HasSuffix(out, "</html>\n") {
			t.Errorf("audit node -o html %v: not a page (stderr %s):\n%.200s", args, errOut, out)
		}
	}
}
