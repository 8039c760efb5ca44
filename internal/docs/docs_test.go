package docs

import (
	"sort"
	"strings"
	"testing"

	kcrules "github.com/kharden/kharden/internal/rules/cluster"
	dfrules "github.com/kharden/kharden/internal/rules/dockerfile"
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
	metas := append(append(k8s.Metas(k8s.All()), dfrules.Metas(dfrules.All())...), kcrules.Metas(kcrules.All())...)
	for _, r := range metas {
		s := Explain(r)
		for _, want := range []string{r.ID, r.Slug, r.Title, r.Severity.String()} {
			if !strings.Contains(s, want) {
				t.Errorf("explain %s lacks %q", r.ID, want)
			}
		}
	}
}
