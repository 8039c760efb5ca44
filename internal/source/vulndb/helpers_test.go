package vulndb

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
)

// goVulnDB is data/osv of the golang.org/x/vulndb module that hack/vulndb/fetch.sh
// downloads (hack/test.sh exports KHARDEN_GOVULNDB). Absent, the test skips, or
// fails in CI.
func goVulnDB(t testing.TB) string {
	t.Helper()
	mod := os.Getenv("KHARDEN_GOVULNDB")
	if mod == "" {
		msg := "KHARDEN_GOVULNDB is not set: run hack/vulndb/fetch.sh and set it to the directory it prints"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (hack/test.sh does it)")
		}
		t.Skip(msg)
	}
	dir := filepath.Join(mod, "data", "osv")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("KHARDEN_GOVULNDB=%s: %v", mod, err)
	}
	return dir
}

var (
	goZipOnce sync.Once
	goZip     []byte
	goZipErr  error
)

// goVulnZip is an all.zip made of the Go vulnerability database's files, as the OSV
// bucket publishes one per ecosystem (built once per test binary).
func goVulnZip(t testing.TB) []byte {
	t.Helper()
	dir := goVulnDB(t)
	goZipOnce.Do(func() {
		ents, err := os.ReadDir(dir)
		if err != nil {
			goZipErr = err
			return
		}
		files := map[string][]byte{}
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				goZipErr = err
				return
			}
			files[e.Name()] = b
		}
		goZip = zipBytes(t, files)
	})
	if goZipErr != nil {
		t.Fatal(goZipErr)
	}
	return goZip
}

// zipBytes makes a zip of files, in name order.
func zipBytes(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// adv is an advisory affecting each package ("ecosystem/name" pairs) before 1.2.3.
func adv(id, modified string, pkgs ...[2]string) []byte {
	type ev map[string]string
	var aff []any
	for _, p := range pkgs {
		aff = append(aff, map[string]any{
			"package": map[string]string{"ecosystem": p[0], "name": p[1]},
			"ranges":  []any{map[string]any{"type": "ECOSYSTEM", "events": []ev{{"introduced": "0"}, {"fixed": "1.2.3"}}}},
		})
	}
	b, _ := json.MarshalIndent(map[string]any{"id": id, "modified": modified, "summary": "test " + id, "affected": aff}, "", "  ")
	return b
}

// writeFiles writes files (slash-separated names) under dir.
func writeFiles(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	for n, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// importT imports inputs into db and fails the test on an error.
func importT(t testing.TB, db string, add bool, inputs ...string) Stats {
	t.Helper()
	st, err := Import(context.Background(), db, inputs, ImportOptions{Add: add})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// lookupIDs opens db and returns the IDs of the advisories of one package.
func lookupIDs(t testing.TB, db, eco, name string) []string {
	t.Helper()
	d, err := Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	return ids(t, d, eco, name)
}

func ids(t testing.TB, d *DB, eco, name string) []string {
	t.Helper()
	es, err := d.Lookup(eco, name)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

func sameIDs(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func key2(eco, name string) [2]string { return [2]string{eco, name} }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
