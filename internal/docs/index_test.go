package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docs/README.md lists every page under docs/ (the rule pages through
// rules/README.md), and every page it links to exists.
func TestDocsIndex(t *testing.T) {
	const dir = "../../docs"
	b, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	linked := map[string]bool{}
	for _, m := range regexp.MustCompile(`\]\(([^)#]+)\)`).FindAllStringSubmatch(string(b), -1) {
		linked[m[1]] = true
		if _, err := os.Stat(filepath.Join(dir, m[1])); err != nil {
			t.Errorf("docs/README.md links to %s: %v", m[1], err)
		}
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(p, dir+"/"))
		if rel == "README.md" || (strings.HasPrefix(rel, "rules/") && rel != "rules/README.md") {
			return nil
		}
		if !linked[rel] {
			t.Errorf("docs/%s is not listed in docs/README.md", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
