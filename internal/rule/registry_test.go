package rule

import (
	"strings"
	"testing"
)

func TestValidateChanges(t *testing.T) {
	m := func(changes ...string) *Meta {
		return &Meta{ID: "KM-0001", Slug: "x", Title: "T", Severity: High, Practices: []string{"C1"},
			Rationale: "r", Remediation: "f", Since: "0.1.0", Changes: changes}
	}
	if err := Validate([]*Meta{m("0.2.0: runAsGroup: 0 fails")}); err != nil {
		t.Errorf("a well-formed change: %v", err)
	}
	for _, bad := range []string{"runAsGroup: 0 fails", "0.2: x", "0.2.0:", "0.2.0 x", "v0.2.0: x"} {
		if err := Validate([]*Meta{m(bad)}); err == nil || !strings.Contains(err.Error(), "VERSION: what changed") {
			t.Errorf("change %q: %v, want an error", bad, err)
		}
	}
}
