package docs

import (
	"sort"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/rules/k8s"
)

func TestDocsFresh(t *testing.T) {
	files, err := Generate("../..")
	if err != nil {
		t.Fatal(err)
	}
	if stale := Stale("../..", files); len(stale) > 0 {
		sort.Strings(stale)
		t.Fatalf("generated docs are stale: %s\nrun: go generate ./internal/docs", strings.Join(stale, ", "))
	}
}

func TestExplainNamesEverything(t *testing.T) {
	for _, r := range k8s.All() {
		s := Explain(&r.Meta)
		for _, want := range []string{r.ID, r.Slug, r.Title, r.Severity.String()} {
			if !strings.Contains(s, want) {
				t.Errorf("explain %s lacks %q", r.ID, want)
			}
		}
	}
}
