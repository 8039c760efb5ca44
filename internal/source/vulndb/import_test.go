package vulndb

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/source/osv"
)

// The real Go vulnerability database, imported from its directory and from a zip of
// it, against counts taken here without the package: every file is an advisory,
// every (ecosystem, module) it names finds exactly the advisories naming it.
func TestImportGoVulnDB(t *testing.T) {
	dir := goVulnDB(t)
	ents, err := os.ReadDir(dir)
	must(t, err)
	want := map[[2]string][]string{}
	seenIDs := map[string]bool{}
	// The advisory as encoding/json reads the file, written again: what Lookup must
	// give back, field for field.
	canonical := map[string]string{}
	files, withdrawn := 0, 0
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		must(t, err)
		var a struct {
			ID        string
			Withdrawn string
			Affected  []struct {
				Package struct{ Ecosystem, Name string }
			}
		}
		must(t, json.Unmarshal(b, &a))
		files++
		seenIDs[a.ID] = true
		var e osv.Entry
		must(t, json.Unmarshal(b, &e))
		c, err := json.Marshal(&e)
		must(t, err)
		canonical[a.ID] = string(c)
		if a.Withdrawn != "" {
			withdrawn++
		}
		seen := map[[2]string]bool{}
		for _, af := range a.Affected {
			k := key2(af.Package.Ecosystem, af.Package.Name)
			if !seen[k] {
				seen[k] = true
				want[k] = append(want[k], a.ID)
			}
		}
	}
	if files != 4789 || len(seenIDs) != files {
		t.Fatalf("the pinned module has %d files and %d ids; expected 4789 each", files, len(seenIDs))
	}
	zipPath := filepath.Join(t.TempDir(), "all.zip")
	must(t, os.WriteFile(zipPath, goVulnZip(t), 0o644))

	for _, in := range []string{dir, zipPath} {
		t.Run(filepath.Base(in), func(t *testing.T) {
			db := t.TempDir()
			st := importT(t, db, false, in)
			s := st.Sources[0]
			if s.Advisories != files || s.Ecosystems["Go"] != files || len(s.Ecosystems) != 1 || s.Withdrawn != withdrawn || s.SkippedTotal() != 0 || s.Ignored != 0 {
				t.Fatalf("import: %+v; want %d advisories (Go), %d withdrawn, none skipped", s, files, withdrawn)
			}
			d, err := Open(db)
			must(t, err)
			defer d.Close()
			checked := map[string]*osv.Entry{}
			for k, w := range want {
				es, err := d.Lookup(k[0], k[1])
				must(t, err)
				var got []string
				for _, e := range es {
					got = append(got, e.ID)
					checked[e.ID] = e
				}
				if !sameIDs(got, w) {
					t.Fatalf("Lookup(%q, %q) = %v, want %v", k[0], k[1], got, w)
				}
			}
			if len(checked) != files {
				t.Errorf("%d advisories found through their packages, want %d", len(checked), files)
			}
			if got := ids(t, d, "Go", "no.such/module"); len(got) != 0 {
				t.Errorf("an unknown module finds %v", got)
			}
			es, err := d.Lookup("Go", "stdlib")
			must(t, err)
			var found bool
			for _, e := range es {
				if e.ID == "GO-2021-0159" {
					found = e.Summary == "Request smuggling due to improper header parsing in net/http" && len(e.Aliases) == 3 && e.Affected[0].Ranges[0].Events[1].Fixed == "1.4.3"
				}
			}
			if !found {
				t.Errorf("GO-2021-0159 missing or misread among stdlib's %d advisories", len(es))
			}
			// The entries are the caller's, whole, once the database is closed (its data
			// files unmapped): compared only now.
			must(t, d.Close())
			if _, err := d.Lookup("Go", "stdlib"); err == nil {
				t.Error("a lookup after Close succeeded")
			}
			for id, e := range checked {
				c, err := json.Marshal(e)
				must(t, err)
				if string(c) != canonical[id] {
					t.Fatalf("%s as Lookup returns it:\n%s\nas encoding/json reads the file:\n%s", id, c, canonical[id])
				}
			}
		})
	}
}

// Malformed advisories are skipped and counted by reason, with examples; the rest
// are imported.
func TestImportSkipsMalformed(t *testing.T) {
	in := t.TempDir()
	badEvents := func(events string) []byte {
		return []byte(`{"id":"X","affected":[{"package":{"ecosystem":"npm","name":"p"},"ranges":[{"type":"SEMVER","events":` + events + `}]}]}`)
	}
	writeFiles(t, in, map[string][]byte{
		"ok.json":               adv("OK-1", "2024-01-01T00:00:00Z", key2("npm", "left-pad")),
		"nested/deeper/ok.json": adv("OK-2", "2024-01-01T00:00:00Z", key2("Debian:12", "openssl"), key2("Android", "x")),
		"dup-old.json":          adv("DUP", "2023-01-01T00:00:00Z", key2("npm", "old-copy")),
		"dup-new.json":          adv("DUP", "2024-06-01T00:00:00Z", key2("npm", "new-copy")),
		"README.md":             []byte("not an advisory"),
		"broken.json":           []byte(`{"id": "B", "affected": [`),
		"wrongtype.json":        []byte(`{"id": 7}`),
		"badtime.json":          []byte(`{"id": "T", "modified": "yesterday"}`),
		"noid.json":             adv("", "2024-01-01T00:00:00Z", key2("npm", "a")),
		"noaffected.json":       []byte(`{"id": "NA"}`),
		"unknown-eco.json":      adv("UE", "2024-01-01T00:00:00Z", key2("Hackage", "aeson"), key2("debian", "lowercase")),
		"noname.json":           adv("NN", "2024-01-01T00:00:00Z", key2("npm", "")),
		"noevents.json":         badEvents(`[]`),
		"two-in-one.json":       badEvents(`[{"introduced":"0","fixed":"1"}]`),
		"empty-event.json":      badEvents(`[{"introduced":"0"},{}]`),
		"no-introduced.json":    badEvents(`[{"fixed":"1"}]`),
		"fixed-and-last.json":   badEvents(`[{"introduced":"0"},{"fixed":"1"},{"last_affected":"2"}]`),
		"badtype.json":          []byte(`{"id":"R","affected":[{"package":{"ecosystem":"npm","name":"p"},"ranges":[{"type":"CALVER","events":[{"introduced":"0"}]}]}]}`),
		"gitnorepo.json":        []byte(`{"id":"G","affected":[{"package":{"ecosystem":"npm","name":"p"},"ranges":[{"type":"GIT","events":[{"introduced":"0"}]}]}]}`),
		"big.json":              append(adv("BIG", "2024-01-01T00:00:00Z", key2("npm", "big")), bytes.Repeat([]byte(" "), 2000)...),
	})
	must(t, os.Symlink("/etc/passwd", filepath.Join(in, "escape.json")))
	must(t, os.Symlink("ok.json", filepath.Join(in, "inside.json")))

	db := t.TempDir()
	st, err := Import(context.Background(), db, []string{in}, ImportOptions{Limits: Limits{MaxFileSize: 1000}})
	must(t, err)
	s := st.Sources[0]
	wantSkips := map[string][]string{
		SkipInvalidJSON:  {"badtime.json", "broken.json", "wrongtype.json"},
		SkipMissingID:    {"noid.json"},
		SkipNoAffected:   {"noaffected.json"},
		SkipUnknownEco:   {"unknown-eco.json"},
		SkipNoName:       {"noname.json"},
		SkipNoEvents:     {"noevents.json"},
		SkipBadEvents:    {"empty-event.json", "fixed-and-last.json", "no-introduced.json", "two-in-one.json"},
		SkipBadRangeType: {"badtype.json", "gitnorepo.json"},
		SkipTooLarge:     {"big.json"},
		SkipDuplicate:    {"dup-old.json", "inside.json"},
		SkipNotRegular:   {"escape.json"},
	}
	for reason, files := range wantSkips {
		k := s.Skipped[reason]
		if k == nil || k.Count != len(files) {
			t.Errorf("%s: %+v, want %d", reason, k, len(files))
			continue
		}
		wantEx := files[:min(len(files), maxExamples)]
		if !sameIDs(k.Examples, wantEx) {
			t.Errorf("%s: examples %v, want %v", reason, k.Examples, wantEx)
		}
	}
	if len(s.Skipped) != len(wantSkips) {
		t.Errorf("skipped for %d reasons, want %d: %v", len(s.Skipped), len(wantSkips), s.Skipped)
	}
	// OK-1 twice (the link inside.json, then ok.json: the same id and time, so the
	// later wins and the earlier is counted as a duplicate), OK-2, DUP.
	if s.Advisories != 3 || s.Ignored != 1 || s.Ecosystems["npm"] != 2 || s.Ecosystems["Debian"] != 1 {
		t.Errorf("advisories %d (want 3), ignored %d (want 1), ecosystems %v", s.Advisories, s.Ignored, s.Ecosystems)
	}
	if got := lookupIDs(t, db, "npm", "new-copy"); !sameIDs(got, []string{"DUP"}) {
		t.Errorf("the newer copy of DUP: %v", got)
	}
	if got := lookupIDs(t, db, "npm", "old-copy"); len(got) != 0 {
		t.Errorf("the older copy of DUP is still indexed: %v", got)
	}
	if got := lookupIDs(t, db, "Debian:12", "openssl"); !sameIDs(got, []string{"OK-2"}) {
		t.Errorf("Debian:12 openssl: %v", got)
	}
	if got := lookupIDs(t, db, "Android", "x"); len(got) != 0 {
		t.Errorf("an unrecognised ecosystem is indexed: %v", got)
	}
	if got := lookupIDs(t, db, "Debian", "openssl"); len(got) != 0 {
		t.Errorf("the ecosystem is matched without its release: %v", got)
	}
}

func TestRecognisedEcosystems(t *testing.T) {
	for eco, want := range map[string]string{
		"Debian": "Debian", "Debian:12": "Debian", "Ubuntu:22.04:LTS": "Ubuntu", "Ubuntu:Pro:18.04:LTS": "Ubuntu",
		"Alpine:v3.20": "Alpine", "Red Hat:enterprise_linux:9::appstream": "Red Hat", "Rocky Linux:9": "Rocky Linux",
		"AlmaLinux:8": "AlmaLinux", "Go": "Go", "PyPI": "PyPI", "npm": "npm", "Maven": "Maven", "crates.io": "crates.io",
		"debian": "", "Android": "", "": "", "Go2": "", "RedHat": "", "Maven:https://maven.google.com": "Maven",
	} {
		if got := BaseEcosystem(eco); got != want {
			t.Errorf("BaseEcosystem(%q) = %q, want %q", eco, got, want)
		}
	}
}

// A zip's entry names are names, never paths: an entry called ../../x.json is read
// as an advisory and nothing is written outside the database directory.
func TestImportZipNamesAreNotPaths(t *testing.T) {
	root := t.TempDir()
	zp := filepath.Join(root, "in", "all.zip")
	must(t, os.MkdirAll(filepath.Dir(zp), 0o755))
	must(t, os.WriteFile(zp, zipBytes(t, map[string][]byte{
		"../../escape.json":    adv("E-1", "2024-01-01T00:00:00Z", key2("PyPI", "django")),
		"/abs/escape.json":     adv("E-2", "2024-01-01T00:00:00Z", key2("PyPI", "django")),
		"dir/":                 nil,
		"C:\\win\\x.json":      adv("E-3", "2024-01-01T00:00:00Z", key2("PyPI", "django")),
		"notes.txt":            []byte("x"),
		"\x1b[31mred\x07.json": []byte("{"),
	}), 0o644))
	db := filepath.Join(root, "db")
	st := importT(t, db, false, zp)
	if got := lookupIDs(t, db, "PyPI", "django"); !sameIDs(got, []string{"E-1", "E-2", "E-3"}) {
		t.Errorf("django: %v", got)
	}
	if s := st.Sources[0]; s.Ignored != 1 || s.Skipped[SkipInvalidJSON].Count != 1 {
		t.Errorf("ignored %d, skipped %v", s.Ignored, s.Skipped)
	}
	var paths []string
	filepath.Walk(root, func(p string, _ os.FileInfo, _ error) error {
		paths = append(paths, p)
		return nil
	})
	for _, p := range paths {
		if strings.Contains(p, "escape") || strings.Contains(p, "win") {
			t.Errorf("an entry name became a file: %s", p)
		}
	}
}

// Hostile zips: too many entries, an expansion beyond the ratio, an entry larger
// than its header says, a damaged entry, a truncated archive, something that is not
// a zip. Each fails the import and leaves the database as it was.
func TestImportHostileZips(t *testing.T) {
	root := t.TempDir()
	db := filepath.Join(root, "db")
	good := filepath.Join(root, "good.zip")
	must(t, os.WriteFile(good, zipBytes(t, map[string][]byte{"A.json": adv("A-1", "2024-01-01T00:00:00Z", key2("crates.io", "regex"))}), 0o644))
	importT(t, db, false, good)

	many := map[string][]byte{}
	for i := range 11 {
		many[string(rune('a'+i))+".json"] = adv("M", "2024-01-01T00:00:00Z", key2("npm", "m"))
	}
	// Five 4 MiB advisories of blanks: 20 MiB from a zip of some 20 KiB.
	bomb := map[string][]byte{}
	for i := range 5 {
		bomb[string(rune('a'+i))+".json"] = append(adv("B", "2024-01-01T00:00:00Z", key2("npm", "b")), bytes.Repeat([]byte(" "), 4<<20)...)
	}
	valid := zipBytes(t, map[string][]byte{"A.json": adv("A-2", "2024-01-01T00:00:00Z", key2("npm", "a"))})
	damaged := bytes.Clone(valid)
	// Flip a byte of the entry's compressed data (after its 30-byte local header and name).
	damaged[30+len("A.json")+5] ^= 0xff

	cases := []struct {
		name string
		data []byte
		lim  Limits
		want string
	}{
		{"entries", zipBytes(t, many), Limits{MaxEntries: 10}, "11 entries, more than the limit of 10"},
		{"bomb", zipBytes(t, bomb), Limits{}, "expands to more than"},
		{"lying header", rawZip(t, 10, 0), Limits{}, "zip: not a valid zip file"},
		{"bad crc", rawZip(t, -1, 1), Limits{}, "checksum error"},
		{"damaged", damaged, Limits{}, "entry \"A.json\""},
		{"truncated", valid[:len(valid)/2], Limits{}, "not a readable zip archive"},
		{"not a zip", []byte("PK but not really a zip file at all"), Limits{}, "not a readable zip archive"},
		{"empty", nil, Limits{}, "not a readable zip archive"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(root, c.name+".zip")
			must(t, os.WriteFile(p, c.data, 0o644))
			_, err := Import(context.Background(), db, []string{p}, ImportOptions{Limits: c.lim})
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("error %v, want an InputError naming %s and saying %q", err, p, c.want)
			}
			t.Log(err)
			if got := lookupIDs(t, db, "crates.io", "regex"); !sameIDs(got, []string{"A-1"}) {
				t.Fatalf("the old database changed: %v", got)
			}
			assertClean(t, db)
		})
	}
}

// rawZip has one entry of 1 MiB, with a header that says size bytes (-1: the true
// size) and its CRC-32 plus crcDelta.
func rawZip(t *testing.T, size int64, crcDelta uint32) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	big := append(adv("L", "2024-01-01T00:00:00Z", key2("npm", "l")), bytes.Repeat([]byte(" "), 1<<20)...)
	t.Helper()
	// Compress with archive/zip's deflate, in a zip of its own, and take the raw data.
	var inner bytes.Buffer
	iw := zip.NewWriter(&inner)
	w, _ := iw.CreateHeader(&zip.FileHeader{Name: "x", Method: zip.Deflate})
	w.Write(big)
	iw.Close()
	r, err := zip.NewReader(bytes.NewReader(inner.Bytes()), int64(inner.Len()))
	must(t, err)
	raw, err := r.File[0].OpenRaw()
	must(t, err)
	var data bytes.Buffer
	data.ReadFrom(raw)
	if size < 0 {
		size = int64(len(big))
	}
	h := &zip.FileHeader{Name: "L.json", Method: zip.Deflate, CRC32: r.File[0].CRC32 + crcDelta, CompressedSize64: uint64(data.Len()), UncompressedSize64: uint64(size)}
	rw, err := zw.CreateRaw(h)
	must(t, err)
	rw.Write(data.Bytes())
	must(t, zw.Close())
	return buf.Bytes()
}

// assertClean checks that the database directory holds one generation and nothing
// an interrupted build left.
func assertClean(t *testing.T, db string) {
	t.Helper()
	ents, err := os.ReadDir(db)
	must(t, err)
	gens := 0
	for _, e := range ents {
		switch n := e.Name(); {
		case strings.HasPrefix(n, genPrefix):
			gens++
		case n == currentFile, n == "lock", n == downloadsDir:
		default:
			t.Errorf("left in %s: %s", db, n)
		}
	}
	if gens != 1 {
		t.Errorf("%d generations in %s, want 1", gens, db)
	}
}

// --add keeps the sources not named again; naming one again replaces it; an import
// without --add holds exactly its inputs. An advisory in two sources is returned
// once, as its later-modified copy.
func TestImportAdd(t *testing.T) {
	root := t.TempDir()
	db := filepath.Join(root, "db")
	a := filepath.Join(root, "a")
	writeFiles(t, a, map[string][]byte{"A.json": adv("A-1", "2024-01-01T00:00:00Z", key2("Go", "example.com/m"))})
	b := filepath.Join(root, "b.zip")
	must(t, os.WriteFile(b, zipBytes(t, map[string][]byte{
		"B.json":  adv("B-1", "2024-01-01T00:00:00Z", key2("Alpine:v3.20", "musl")),
		"A1.json": adv("A-1", "2025-01-01T00:00:00Z", key2("Go", "example.com/m")),
	}), 0o644))

	importT(t, db, false, a)
	st := importT(t, db, true, b)
	if len(st.Kept) != 1 || st.Kept[0].Input != a || len(st.Sources) != 1 || st.Sources[0].Input != b {
		t.Fatalf("kept %v, imported %v", st.Kept, st.Sources)
	}
	d, err := Open(db)
	must(t, err)
	es, err := d.Lookup("Go", "example.com/m")
	must(t, err)
	if len(es) != 1 || es[0].Modified.Year() != 2025 {
		t.Errorf("A-1 in two sources: %d entries, want the 2025 copy once", len(es))
	}
	if got := ids(t, d, "Alpine:v3.20", "musl"); !sameIDs(got, []string{"B-1"}) {
		t.Errorf("musl: %v", got)
	}
	d.Close()

	// a again, changed, with --add: replaced, b kept.
	writeFiles(t, a, map[string][]byte{"A2.json": adv("A-2", "2024-01-01T00:00:00Z", key2("Go", "example.com/m"))})
	st = importT(t, db, true, a)
	if len(st.Kept) != 1 || st.Kept[0].Input != b {
		t.Fatalf("kept %v", st.Kept)
	}
	if got := lookupIDs(t, db, "Go", "example.com/m"); !sameIDs(got, []string{"A-1", "A-2"}) {
		t.Errorf("after replacing a: %v", got)
	}
	d, err = Open(db)
	must(t, err)
	if n := len(d.Status().Sources); n != 2 {
		t.Errorf("%d sources, want 2", n)
	}
	d.Close()

	// Without --add: only b.
	importT(t, db, false, b)
	d, err = Open(db)
	must(t, err)
	defer d.Close()
	if s := d.Status().Sources; len(s) != 1 || s[0].Input != b {
		t.Errorf("sources %v, want only %s", s, b)
	}
	assertClean(t, db)
}
