package docs

import (
	"sort"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/audit"
	"github.com/kharden/kharden/internal/benchmark"
	"github.com/kharden/kharden/internal/scan"
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
	for _, r := range scan.AllRules() {
		s := Explain(r)
		for _, want := range []string{r.ID, r.Slug, r.Title, r.Severity.String()} {
			if !strings.Contains(s, want) {
				t.Errorf("explain %s lacks %q", r.ID, want)
			}
		}
		if inNodeAudit(r) && !strings.Contains(s, "kharden audit node") {
			t.Errorf("explain %s does not say it runs in kharden audit node", r.ID)
		}
	}
}

// TestDocsCISAutomatedCovered: every Automated item of the CIS Kubernetes Benchmark 1.12,
// sections 1 to 4, is checked by a rule of kharden audit node (an acceptance criterion
// of the node audit).
func TestDocsCISAutomatedCovered(t *testing.T) {
	by := map[string][]string{}
	for _, r := range audit.NodeRules() {
		for _, id := range r.Standards.CIS {
			by[id] = append(by[id], r.ID)
		}
	}
	b := benchmark.CIS112()
	var missing []string
	automated := 0
	for _, it := range b.Items {
		if !it.Automated() {
			continue
		}
		automated++
		if len(by[it.ID]) == 0 {
			missing = append(missing, it.ID)
		}
	}
	if automated != 65 {
		t.Errorf("CIS 1.12 sections 1-4 has %d Automated items, want 65", automated)
	}
	if len(missing) > 0 {
		t.Errorf("Automated CIS 1.12 items no rule of kharden audit node checks: %s", strings.Join(missing, ", "))
	}
}

// TestDocsCISItemsKnown: every CIS item a rule names is in the catalogue: all of them for
// the rules of the node audit (their verdicts are reported under the item), those of
// sections 1 to 4 for the others (the catalogue holds only those; the Dockerfile rules
// name items of the CIS Docker Benchmark).
func TestDocsCISItemsKnown(t *testing.T) {
	b := benchmark.CIS112()
	for _, r := range audit.NodeRules() {
		for _, id := range r.Standards.CIS {
			if _, ok := b.Lookup(id); !ok {
				t.Errorf("%s (%s) names CIS %s, which is not an item of %s", r.ID, r.Slug, id, b.Title)
			}
		}
	}
	for _, m := range scan.AllRules() {
		if isDockerfileRule(m) || isImageRule(m) { // items of the CIS Docker Benchmark
			continue
		}
		for _, id := range m.Standards.CIS {
			section, _, _ := strings.Cut(id, ".")
			if _, ok := b.Lookup(id); !ok && strings.Contains("1 2 3 4", section) && len(section) == 1 {
				t.Errorf("%s (%s) names CIS %s, which is not an item of %s", m.ID, m.Slug, id, b.Title)
			}
		}
	}
}

// TestDocsCISPage: the table has a row per item and the summary counts agree with it.
func TestDocsCISPage(t *testing.T) {
	page := string(cisPage(scan.AllRules()))
	b := benchmark.CIS112()
	rows := 0
	for _, line := range strings.Split(page, "\n") {
		if id, _, ok := strings.Cut(strings.TrimPrefix(line, "| "), " |"); ok && strings.HasPrefix(line, "| ") {
			if _, known := b.Lookup(id); known {
				rows++
			}
		}
	}
	if rows != len(b.Items) || rows != 97 {
		t.Errorf("%d item rows, want %d (97)", rows, len(b.Items))
	}
	c := coverage(b, checkersOf(scan.AllRules()))
	if c.automated != 65 || c.manual != 32 {
		t.Errorf("coverage counts %d Automated and %d Manual items, want 65 and 32", c.automated, c.manual)
	}
	for _, want := range []string{"of 65 Automated items checked", "of 32 Manual items checked",
		"[KN-0001](rules/KN-0001.md) `control-plane-manifest-files` (`kharden audit node`)",
		"[KC-0019](rules/KC-0019.md) `apiserver-anonymous-auth` (`kharden audit cluster`, `kharden audit node`)",
		"\n## 2 etcd\n", "\n### 4.2 Kubelet\n"} {
		if !strings.Contains(page, want) {
			t.Errorf("docs/cis-1.12.md lacks %q", want)
		}
	}
}
