package benchmark

import (
	"encoding/csv"
	"os"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/rules/flags"
)

// checksCSV is kube-bench's encoding of the benchmark (../shared/conformance/cis).
const checksCSV = "../../../shared/conformance/cis/checks.csv"

// csvRow is one item of checks.csv.
type csvRow struct {
	id, group, assessment, audits string
}

func readChecks(t *testing.T) []csvRow {
	t.Helper()
	f, err := os.Open(checksCSV)
	if err != nil {
		t.Fatalf("the CIS conformance data: %v", err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range records[0] {
		col[name] = i
	}
	for _, name := range []string{"id", "group", "automated_or_manual", "audit_kinds"} {
		if _, ok := col[name]; !ok {
			t.Fatalf("%s has no column %s", checksCSV, name)
		}
	}
	var out []csvRow
	for _, r := range records[1:] {
		out = append(out, csvRow{id: r[col["id"]], group: r[col["group"]], assessment: r[col["automated_or_manual"]], audits: r[col["audit_kinds"]]})
	}
	return out
}

// TestConformance: every item of sections 1 to 4 in checks.csv is in the catalogue once,
// in the same order, with the same group and classification, and nothing else is.
func TestConformance(t *testing.T) {
	b := CIS112()
	var want []csvRow
	for _, r := range readChecks(t) {
		if s := strings.SplitN(r.id, ".", 2)[0]; s >= "1" && s <= "4" {
			want = append(want, r)
		}
	}
	if len(want) != 97 {
		t.Errorf("checks.csv has %d items in sections 1-4, want 97", len(want))
	}
	if len(b.Items) != len(want) {
		t.Errorf("the catalogue has %d items, checks.csv %d", len(b.Items), len(want))
	}
	for i := range min(len(want), len(b.Items)) {
		it, r := b.Items[i], want[i]
		if it.ID != r.id {
			t.Fatalf("item %d is %s, checks.csv has %s", i, it.ID, r.id)
		}
		if string(it.Assessment) != r.assessment {
			t.Errorf("%s is %s, checks.csv says %s", it.ID, it.Assessment, r.assessment)
		}
		if it.Group != r.group {
			t.Errorf("%s is in group %s, checks.csv says %s", it.ID, it.Group, r.group)
		}
		// File items agree on what they read; the others read flags, files flags name, or
		// nothing.
		switch {
		case r.audits == "file_permissions":
			if it.Audit != AuditFileMode {
				t.Errorf("%s: audit %s, checks.csv reads file permissions", it.ID, it.Audit)
			}
		case r.audits == "file_ownership":
			if it.Audit != AuditFileOwner {
				t.Errorf("%s: audit %s, checks.csv reads file ownership", it.ID, it.Audit)
			}
		case strings.Contains(r.audits, "config_file"):
			if it.Audit != AuditConfigFile {
				t.Errorf("%s: audit %s, checks.csv reads a config file (%s)", it.ID, it.Audit, r.audits)
			}
		case it.Audit == AuditFileMode || it.Audit == AuditFileOwner:
			t.Errorf("%s: audit %s, checks.csv reads %s", it.ID, it.Audit, r.audits)
		}
	}
	seen := map[string]bool{}
	for _, r := range want {
		if seen[r.id] {
			t.Errorf("checks.csv lists %s twice", r.id)
		}
		seen[r.id] = true
	}
	for _, it := range b.Items {
		if !seen[it.ID] {
			t.Errorf("%s is not in checks.csv", it.ID)
		}
	}
}

// TestFlagChecks: every flag check names an item of the catalogue.
func TestFlagChecks(t *testing.T) {
	b := CIS112()
	for _, c := range flags.All() {
		it, ok := b.Lookup(c.CIS)
		if !ok {
			t.Errorf("flag check %s (%s) is not in %s", c.CIS, c.Title, b.Name)
			continue
		}
		if it.Audit != AuditFlags && it.Audit != AuditConfigFile {
			t.Errorf("flag check %s: the catalogue says %s is audited by %s", c.CIS, it.ID, it.Audit)
		}
	}
}

func TestStructure(t *testing.T) {
	b := CIS112()
	if b.Name != "cis-1.12" || len(b.Sections()) != 4 {
		t.Errorf("%s: %d sections", b.Name, len(b.Sections()))
	}
	n := 0
	for _, g := range b.Groups() {
		if len(g.Items) == 0 {
			t.Errorf("group %s has no items", g.ID)
		}
		for _, it := range g.Items {
			if it.Group != g.ID || b.GroupOf(it).ID != g.ID {
				t.Errorf("%s listed under %s", it.ID, g.ID)
			}
			n++
		}
	}
	if n != len(b.Items) {
		t.Errorf("groups hold %d items, the benchmark %d", n, len(b.Items))
	}
	it, ok := b.Lookup("4.2.1")
	if !ok || it.Section != "4" || it.Group != "4.2" || !it.Automated() || b.GroupOf(it).Title != "Kubelet" {
		t.Errorf("Lookup(4.2.1) = %+v", it)
	}
	if it, ok := b.Lookup("2.7"); !ok || it.Group != "2" || it.Automated() {
		t.Errorf("Lookup(2.7) = %+v", it)
	}
	if _, ok := b.Lookup("5.1.1"); ok {
		t.Error("section 5 is not in the catalogue")
	}
	// The data is copied per call: a caller's change does not leak.
	b.Items[0].Title = "changed"
	if CIS112().Items[0].Title == "changed" {
		t.Error("CIS112 shares its items")
	}
}

func TestBuildRejectsBadData(t *testing.T) {
	good := item("1.1.1", Automated, AuditFileMode, "A title", "Some guidance.")
	cases := map[string][]Item{
		"duplicate":     {good, good},
		"unknown group": {item("9.1.1", Automated, AuditFlags, "A title", "Guidance.")},
		"full stop":     {item("1.1.2", Automated, AuditFlags, "A title.", "Guidance.")},
		"no guidance":   {item("1.1.2", Automated, AuditFlags, "A title", "")},
		"bad audit":     {item("1.1.2", Automated, "shell", "A title", "Guidance.")},
		"assessment":    {item("1.1.2", "Scored", AuditFlags, "A title", "Guidance.")},
	}
	for name, items := range cases {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: build accepted it", name)
				}
			}()
			build("test", "test", cis112Sections, cis112Groups, items)
		}()
	}
}
