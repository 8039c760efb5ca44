package vulndb

import (
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

// FuzzIndex damages an index and fixes its checksum, so that the damage reaches the
// reader: parseIndex and find may refuse it but never panic or read out of bounds.
func FuzzIndex(f *testing.F) {
	dir := f.TempDir()
	p := filepath.Join(dir, "s0.idx")
	posts := map[string][]uint32{key("npm", "a"): {0, 1}, key("npm", "b"): {1}, key("Go", "stdlib"): {2}}
	recs := []record{{0, 10, 1}, {11, 20, 2}, {32, 5, 3}}
	if err := writeIndex(p, posts, recs); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, 0, byte(0))
	f.Add(good, 9, byte(0xff))
	f.Add(good, headerSize+4, byte(0x80))
	f.Add(good, len(good)-8, byte(1))
	f.Fuzz(func(t *testing.T, b []byte, at int, x byte) {
		b = append([]byte(nil), b...)
		if len(b) > 0 {
			b[(at%len(b)+len(b))%len(b)] ^= x
		}
		if len(b) >= 4 {
			binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.Checksum(b[:len(b)-4], castagnoli))
		}
		ix, err := parseIndex(b, 40)
		if err != nil {
			return
		}
		for _, k := range []string{key("npm", "a"), key("npm", "b"), key("Go", "stdlib"), key("x", "y"), ""} {
			recs, err := ix.find(k)
			if err != nil {
				continue
			}
			for _, r := range recs {
				if r.off+uint64(r.len) > 40 {
					t.Fatalf("record %+v beyond the data file", r)
				}
			}
		}
	})
}

func TestIndexRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s0.idx")
	posts := map[string][]uint32{key("npm", "a"): {0, 1}, key("npm", "b"): {1}, key("Go", "stdlib"): {2}}
	recs := []record{{0, 10, 1}, {11, 20, 2}, {32, 5, 3}}
	must(t, writeIndex(p, posts, recs))
	b, err := os.ReadFile(p)
	must(t, err)
	ix, err := parseIndex(b, 37)
	must(t, err)
	for k, want := range posts {
		got, err := ix.find(k)
		must(t, err)
		if len(got) != len(want) {
			t.Fatalf("%q: %v", k, got)
		}
		for i, r := range want {
			if got[i] != recs[r] {
				t.Errorf("%q: %v, want %v", k, got[i], recs[r])
			}
		}
	}
	for _, k := range []string{key("npm", ""), key("npm", "c"), key("A", "a"), key("z", "z"), "", "npm"} {
		if got, err := ix.find(k); err != nil || len(got) != 0 {
			t.Errorf("%q: %v %v", k, got, err)
		}
	}
	// A record past the end of the data file is refused.
	ix, err = parseIndex(b, 36)
	must(t, err)
	if _, err := ix.find(key("Go", "stdlib")); err == nil {
		t.Error("a record beyond the data file was returned")
	}
}

// FuzzParseAdvisory: any bytes are an advisory or a reason to skip one, never a
// panic; an accepted one is indexed under at least one key and reads back as stored.
func FuzzParseAdvisory(f *testing.F) {
	f.Add(adv("A-1", "2024-01-01T00:00:00Z", key2("npm", "a"), key2("Debian:12", "b")))
	f.Add([]byte(`{"id":"X","affected":[{"package":{"ecosystem":"npm","name":"p"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1"}]}],"versions":["0.1"]}]}`))
	f.Add([]byte(`{"id":"G","withdrawn":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Go","name":"stdlib"},"ecosystem_specific":{"imports":[{"path":"net/http"}]}}]}`))
	f.Add([]byte(`{"id": 7}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, why := parseAdvisory(b)
		if why != "" {
			if p != nil {
				t.Fatal("skipped, but returned")
			}
			return
		}
		if len(p.keys) == 0 || p.entry.ID == "" {
			t.Fatalf("accepted without keys or id: %+v", p)
		}
		var e struct{ ID string }
		if err := entryJSON.Unmarshal(p.raw, &e); err != nil || e.ID != p.entry.ID {
			t.Fatalf("stored form reads back as %q, %v", e.ID, err)
		}
	})
}
