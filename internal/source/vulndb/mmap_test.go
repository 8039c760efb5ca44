package vulndb

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// A data file cut short under an open database (by something other than kharden,
// which never writes a generation in use) makes a lookup fail with the file named,
// not crash the process, whether the file is mapped or read.
func TestLookupDataTruncatedWhileOpen(t *testing.T) {
	in := t.TempDir()
	files := map[string][]byte{}
	for i := range 200 {
		id := fmt.Sprintf("TEST-%03d", i)
		files[id+".json"] = adv(id, "2025-06-01T00:00:00Z", key2("PyPI", fmt.Sprintf("p%d", i)))
	}
	writeFiles(t, in, files)
	db := t.TempDir()
	importT(t, db, false, in)
	d, err := Open(db)
	must(t, err)
	defer d.Close()
	if got := ids(t, d, "PyPI", "p199"); len(got) != 1 {
		t.Fatalf("p199 finds %v before the damage", got)
	}
	gen, err := readCurrent(db)
	must(t, err)
	must(t, os.Truncate(filepath.Join(db, gen, "s0.dat"), 0))
	// p199 is cached now; p150's record lies pages beyond the new end.
	_, err = d.Lookup("PyPI", "p150")
	var ce *CorruptError
	if !errors.As(err, &ce) {
		t.Fatalf("lookup in a truncated data file: %v, want a CorruptError", err)
	}
	if ce.File != filepath.Join(db, gen, "s0.dat") {
		t.Errorf("the error names %s, not the data file", ce.File)
	}
	if _, err := d.Lookup("PyPI", "p199"); err != nil {
		t.Errorf("a cached advisory after the damage: %v", err)
	}
}
