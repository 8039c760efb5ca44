package docs

import (
	"os"
	"path/filepath"
	"strings"
)

// Write writes generated files under root and removes stale rule pages.
func Write(root string, files map[string][]byte) error {
	old, _ := filepath.Glob(filepath.Join(root, "docs/rules/*.md"))
	for _, f := range old {
		rel, _ := filepath.Rel(root, f)
		if _, keep := files[filepath.ToSlash(rel)]; !keep {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	for name, data := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Stale compares generated files with those on disk and names the ones that differ.
func Stale(root string, files map[string][]byte) []string {
	var out []string
	for name, data := range files {
		got, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil || string(got) != string(data) {
			out = append(out, name)
		}
	}
	old, _ := filepath.Glob(filepath.Join(root, "docs/rules/*.md"))
	for _, f := range old {
		rel, _ := filepath.Rel(root, f)
		if _, ok := files[filepath.ToSlash(rel)]; !ok && !strings.HasSuffix(f, "README.md") {
			out = append(out, filepath.ToSlash(rel)+" (no longer generated)")
		}
	}
	return out
}
