package cli

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A file name and object names written to take over the terminal come out escaped in
// text, and JUnit stays well-formed.
func TestScanOutputSurvivesHostileInput(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "x\x1b[2J\r\u202e.yaml")
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: \"p\\e]0;owned\\a\\u202e\", namespace: \"ns\\r\\n  12:7  critical  forged\"}\n" +
		"spec:\n  containers:\n  - name: \"c\\e[31m\"\n    image: x\n    securityContext: {privileged: true}\n"
	if err := os.WriteFile(name, []byte(pod), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run("", "scan", "--no-config", dir)
	if code != ExitFindings {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if i := strings.IndexFunc(out, func(r rune) bool { return r < 0x20 && r != '\n' || r >= 0x202a && r <= 0x202e }); i >= 0 {
		t.Errorf("text output holds %q at %d:\n%s", out[i], i, out)
	}
	if strings.Contains(out, "\n  12:7  critical  forged") {
		t.Errorf("a namespace forged a line:\n%s", out)
	}
	if !strings.Contains(out, `x\x1b[2J\r\u202e.yaml`) {
		t.Errorf("the file name is not shown escaped:\n%s", out)
	}

	_, out, _ = run("", "scan", "--no-config", "-o", "junit", dir)
	dec := xml.NewDecoder(strings.NewReader(out))
	for {
		_, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("JUnit output is not well-formed: %v\n%s", err, out)
		}
	}
	if !bytes.Contains([]byte(out), []byte("<testsuite ")) {
		t.Errorf("no suite:\n%s", out)
	}
}
