package node_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/benchmark"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/rules/cluster"
	noderules "github.com/kharden/kharden/internal/rules/node"
	"github.com/kharden/kharden/internal/source/node"
	"github.com/kharden/kharden/internal/testkit"
)

var update = flag.Bool("update", false, "rewrite the want.golden files of the host fixtures")

// Every host fixture under testdata/hosts (a node in the format of node.OpenFixture) is
// audited with every rule of the node audit; its want.golden lists each verdict, one per
// line: status, CIS item (- for none), rule, place and message. Rewrite them with
// `go test ./internal/rules/node/ -run TestHosts -update` and read the diff.

// nodeAuditRules are the rules kharden audit node runs.
func nodeAuditRules() []*noderules.Rule {
	return append(noderules.FromCluster(cluster.All()), noderules.All()...)
}

type verdict struct {
	rule string
	noderules.Finding
}

func auditHost(t *testing.T, dir string) []verdict {
	t.Helper()
	h, err := node.OpenFixture(dir)
	if err != nil {
		t.Fatal(err)
	}
	facts := node.Collect(h)
	var out []verdict
	for _, r := range nodeAuditRules() {
		for _, f := range r.Check(facts) {
			if f.Status == "" {
				f.Status = rule.Fail
			}
			out = append(out, verdict{r.ID, f})
		}
	}
	return out
}

func hostDirs(t *testing.T) []string {
	dirs, err := filepath.Glob("testdata/hosts/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no host fixtures: %v", err)
	}
	return dirs
}

func TestHosts(t *testing.T) {
	for _, dir := range hostDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var b strings.Builder
			for _, v := range auditHost(t, dir) {
				control, loc := v.Control, v.File
				if control == "" {
					control = "-"
				}
				if loc == "" {
					loc = "-"
				}
				if v.Line > 0 {
					loc = fmt.Sprintf("%s:%d", loc, v.Line)
				}
				fmt.Fprintf(&b, "%-7s %-6s %s %s %s\n", v.Status, control, v.rule, loc, v.Message)
			}
			testkit.Golden(t, filepath.Join(dir, "want.golden"), []byte(b.String()), *update)
		})
	}
}

// TestHostsCoverage: across the host fixtures, every Automated item of the benchmark's
// sections 1 to 4 passes somewhere and fails somewhere, and so does every rule (or,
// for the rules whose question only a person can settle, is Manual somewhere).
func TestHostsCoverage(t *testing.T) {
	seen := map[string]map[rule.Status]bool{}
	note := func(key string, s rule.Status) {
		if seen[key] == nil {
			seen[key] = map[rule.Status]bool{}
		}
		seen[key][s] = true
	}
	for _, dir := range hostDirs(t) {
		for _, v := range auditHost(t, dir) {
			note(v.rule, v.Status)
			if v.Control != "" {
				note(v.Control, v.Status)
			}
		}
	}
	var automated, manual, missing []string
	b := benchmark.CIS112()
	for _, it := range b.Items {
		s := seen[it.ID]
		switch {
		case s[rule.Pass] && s[rule.Fail]:
			if it.Automated() {
				automated = append(automated, it.ID)
			} else {
				manual = append(manual, it.ID)
			}
		case it.Automated():
			missing = append(missing, fmt.Sprintf("%s (seen %v)", it.ID, keys(s)))
		}
	}
	if len(missing) > 0 {
		t.Errorf("Automated CIS items without both a pass and a fail in the host fixtures: %s", strings.Join(missing, ", "))
	}
	t.Logf("CIS 1.12 sections 1-4: %d Automated items pass and fail in the fixtures; %d Manual items too", len(automated), len(manual))
	for _, r := range nodeAuditRules() {
		if s := seen[r.ID]; !(s[rule.Pass] || s[rule.Manual]) || !s[rule.Fail] {
			t.Errorf("%s (%s) lacks a pass or a fail in the host fixtures (seen %v)", r.ID, r.Slug, keys(s))
		}
	}
}

func keys(m map[rule.Status]bool) []string {
	var out []string
	for k := range m {
		out = append(out, string(k))
	}
	slices.Sort(out)
	return out
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(m.Run())
}
