package vulndb

import (
	"path/filepath"
	"testing"
)

// A PyPI project is found however its name is written, on either side (PEP 503).
func TestPyPINamesNormalised(t *testing.T) {
	src := filepath.Join(t.TempDir(), "osv")
	writeFiles(t, src, map[string][]byte{
		"PYSEC-1.json": adv("PYSEC-1", "2026-01-01T00:00:00Z", key2("PyPI", "PyYAML")),
		"PYSEC-2.json": adv("PYSEC-2", "2026-01-01T00:00:00Z", key2("PyPI", "zope.interface")),
		"GO-1.json":    adv("GO-1", "2026-01-01T00:00:00Z", key2("Go", "Example.com/M")),
	})
	db := filepath.Join(t.TempDir(), "db")
	importT(t, db, false, src)
	for _, c := range []struct{ eco, name, want string }{
		{"PyPI", "pyyaml", "PYSEC-1"}, {"PyPI", "PyYAML", "PYSEC-1"},
		{"PyPI", "zope-interface", "PYSEC-2"}, {"PyPI", "Zope_Interface", "PYSEC-2"},
		{"Go", "Example.com/M", "GO-1"}, {"Go", "example.com/m", ""}, // Go module paths are case-sensitive
	} {
		got := lookupIDs(t, db, c.eco, c.name)
		if (c.want == "" && len(got) != 0) || (c.want != "" && (len(got) != 1 || got[0] != c.want)) {
			t.Errorf("%s %s: %v, want %q", c.eco, c.name, got, c.want)
		}
	}
}
