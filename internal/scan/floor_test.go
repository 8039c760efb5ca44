package scan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The floor reads what the scan reads: every manifest and Dockerfile, small files whole
// and a file over manifest.WholeFileSize by streaming, a link that leaves the tree not at
// all; on one worker or many.
func TestParseOnly(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", "a: 1\n---\nb: 2\n")
	write("sub/c.yml", "c: 3\n")
	write("sub/Dockerfile", "FROM scratch\n")
	write("notes.txt", "not a manifest\n")
	doc := "kind: ConfigMap\ndata:\n  k: " + strings.Repeat("x", 1000) + "\n---\n"
	big := strings.Repeat(doc, (1<<20)/len(doc)+10)
	write("big.yaml", big)
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "x.yaml"), []byte("x: 1\n---\ny: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "x.yaml"), filepath.Join(dir, "out.yaml")); err != nil {
		t.Fatal(err)
	}
	// big.yaml's last separator starts one more, empty, document.
	wantDocs := 2 + 1 + 1 + strings.Count(big, "---\n") + 1
	for _, workers := range []int{1, 0} {
		files, docs := ParseOnly([]string{dir}, workers)
		if files != 4 || docs != wantDocs {
			t.Errorf("workers %d: %d files, %d documents; want 4, %d", workers, files, docs, wantDocs)
		}
	}
}
