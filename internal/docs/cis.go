package docs

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/kharden/kharden/internal/benchmark"
	"github.com/kharden/kharden/internal/rule"
)

// cisCoverage counts the items of a benchmark that rules check.
type cisCoverage struct {
	automated, automatedChecked int
	manual, manualChecked       int
	// clusterAutomated counts the Automated items kharden audit cluster checks.
	clusterAutomated int
}

// checkersOf returns, by item of the CIS Kubernetes Benchmark, the rules whose Standards
// name it. The CIS items of the Dockerfile and image rules are those of the CIS Docker
// Benchmark, whose numbers overlap, and are left out.
func checkersOf(rules []*rule.Meta) map[string][]*rule.Meta {
	by := map[string][]*rule.Meta{}
	for _, m := range rules {
		if isDockerfileRule(m) || isImageRule(m) {
			continue
		}
		for _, id := range m.Standards.CIS {
			by[id] = append(by[id], m)
		}
	}
	return by
}

func coverage(b *benchmark.Benchmark, by map[string][]*rule.Meta) cisCoverage {
	var c cisCoverage
	for i := range b.Items {
		it := &b.Items[i]
		checked := len(by[it.ID]) > 0
		if !it.Automated() {
			c.manual++
			if checked {
				c.manualChecked++
			}
			continue
		}
		c.automated++
		if checked {
			c.automatedChecked++
		}
		for _, m := range by[it.ID] {
			if isClusterRule(m) {
				c.clusterAutomated++
				break
			}
		}
	}
	return c
}

// cisPage renders docs/cis-1.12.md: every item of the benchmark with the rules that
// check it, or what a person should do about it.
func cisPage(rules []*rule.Meta) []byte {
	bm := benchmark.CIS112()
	by := checkersOf(rules)
	c := coverage(bm, by)
	var b bytes.Buffer
	b.WriteString(header)
	fmt.Fprintf(&b, "# %s: what kharden checks\n\n", bm.Title)
	b.WriteString("Every item of sections 1 to 4 of the benchmark (control plane components, etcd, control plane configuration, " +
		"worker nodes), with the kharden rules that check it. The table is generated from the benchmark data " +
		"(`internal/benchmark`) and the CIS items each rule declares. `kharden audit node --benchmark cis-1.12` reports " +
		"on one node item by item, numbered like this table: see [audit-node.md](audit-node.md).\n\n")
	fmt.Fprintf(&b, "**Coverage: %d of %d Automated items checked, %d of %d Manual items checked.**\n\n",
		c.automatedChecked, c.automated, c.manualChecked, c.manual)
	fmt.Fprintf(&b, "`kharden audit node` runs every rule of this table, on the node it audits. `kharden audit cluster` runs "+
		"the KC rules only: it reads the control plane's flags from the static pods the API shows, which settles %d of the %d "+
		"Automated items; files, the kubelet and kube-proxy can only be checked on the node, and a control plane the API does "+
		"not show as pods (a managed cluster's) cannot be checked by either.\n\n",
		c.clusterAutomated, c.automated)
	b.WriteString("The numbers and the Automated/Manual split are the benchmark's; the titles and guidance are kharden's words. " +
		"A Manual item is one the benchmark leaves to a person: where a rule checks one, kharden decides it when the node's " +
		"configuration settles the question, and otherwise reports it as needing a person (WARN in the benchmark report) " +
		"with the evidence it found. An item no rule checks is listed with what to do about it.\n")
	bm.Walk(func(s benchmark.Group) { fmt.Fprintf(&b, "\n## %s %s\n", s.ID, s.Title) }, func(g benchmark.Group, own bool) {
		if !own {
			fmt.Fprintf(&b, "\n### %s %s\n", g.ID, g.Title)
		}
		b.WriteString("\n| CIS | item | assessment | checked by |\n|---|---|---|---|\n")
		for _, it := range g.Items {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", it.ID, cell(it.Title), it.Assessment, checkedBy(it, by[it.ID]))
		}
	})
	return b.Bytes()
}

// checkedBy is the table cell naming the rules that check an item, where each runs.
func checkedBy(it *benchmark.Item, rules []*rule.Meta) string {
	if len(rules) == 0 {
		if it.Automated() {
			return "**Not checked yet** — " + cell(it.Guidance)
		}
		return "Manual — " + cell(it.Guidance)
	}
	var parts []string
	for _, m := range rules {
		where := auditsOf(m)
		if len(where) == 0 {
			where = []string{"kharden scan"}
		}
		parts = append(parts, fmt.Sprintf("[%s](rules/%s.md) `%s` (`%s`)", m.ID, m.ID, m.Slug, strings.Join(where, "`, `")))
	}
	return strings.Join(parts, "<br>")
}
