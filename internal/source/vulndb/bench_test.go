package vulndb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// synthEcosystems are the ecosystems of the synthetic advisories.
var synthEcosystems = []string{"PyPI", "npm", "Debian:12", "Alpine:v3.20", "Maven", "crates.io"}

// synthZip writes an all.zip of n synthetic advisories: advisory i affects package
// synth-(i mod 25000) of an ecosystem that follows from the name, so that each
// package has n/25000 advisories.
func synthZip(b *testing.B, path string, n int) {
	files := make(map[string][]byte, n)
	for i := range n {
		name := i % 25000
		eco := synthEcosystems[name%len(synthEcosystems)]
		id := fmt.Sprintf("SYN-%06d", i)
		a := adv(id, "2025-06-01T00:00:00Z", key2(eco, fmt.Sprintf("synth-%d", name)))
		files[id+".json"] = a
	}
	if err := os.WriteFile(path, zipBytes(b, files), 0o644); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkLookup1000 is the matching budget of issue 15: a scan of an inventory of
// 1,000 packages (300 Go modules the Go database knows, stdlib among them, 400
// synthetic packages with 4 advisories each, 300 packages no advisory names) against
// the whole Go database plus 100,000 synthetic advisories. One op is Open, 1,000
// Lookups and Close, with a cold cache.
func BenchmarkLookup1000(b *testing.B) {
	goDir := goVulnDB(b)
	root := b.TempDir()
	zp := filepath.Join(root, "synth.zip")
	synthZip(b, zp, 100_000)
	db := filepath.Join(root, "db")
	st, err := Import(context.Background(), db, []string{goDir, zp}, ImportOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if st.Sources[0].Advisories != 4789 || st.Sources[1].Advisories != 100_000 {
		b.Fatalf("imported %d and %d advisories", st.Sources[0].Advisories, st.Sources[1].Advisories)
	}
	// The Go modules: stdlib and the first 299 others in name order.
	d, err := Open(db)
	if err != nil {
		b.Fatal(err)
	}
	x := d.srcs[0].x
	var goMods []string
	for i := range x.nkeys {
		k, _ := x.keyAt(i)
		goMods = append(goMods, k[len("Go\x00"):])
	}
	d.Close()
	slices.Sort(goMods)
	type pkg struct{ eco, name string }
	inv := []pkg{{"Go", "stdlib"}}
	for _, m := range goMods {
		if len(inv) == 300 {
			break
		}
		if m != "stdlib" {
			inv = append(inv, pkg{"Go", m})
		}
	}
	for i := range 400 {
		name := i * 61 % 25000
		inv = append(inv, pkg{synthEcosystems[name%len(synthEcosystems)], fmt.Sprintf("synth-%d", name)})
	}
	for i := range 300 {
		inv = append(inv, pkg{synthEcosystems[i%len(synthEcosystems)], fmt.Sprintf("absent-%d", i)})
	}
	b.ReportAllocs()
	b.ResetTimer()
	var found int
	cpu := cpuTime()
	for b.Loop() {
		d, err := Open(db)
		if err != nil {
			b.Fatal(err)
		}
		found = 0
		for _, p := range inv {
			es, err := d.Lookup(p.eco, p.name)
			if err != nil {
				b.Fatal(err)
			}
			found += len(es)
		}
		d.Close()
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
	b.ReportMetric(float64(found), "advisories/op")
	if found < 1600 {
		b.Fatalf("found %d advisories", found)
	}
}

// BenchmarkImportGo is `kharden db import` of the Go vulnerability database's
// directory (4,789 files).
func BenchmarkImportGo(b *testing.B) {
	goDir := goVulnDB(b)
	root := b.TempDir()
	b.ReportAllocs()
	i := 0
	cpu := cpuTime()
	for b.Loop() {
		db := filepath.Join(root, fmt.Sprint(i))
		i++
		if _, err := Import(context.Background(), db, []string{goDir}, ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkImportGoZip is the same from an all.zip of it, as kharden db update
// imports a download.
func BenchmarkImportGoZip(b *testing.B) {
	root := b.TempDir()
	zp := filepath.Join(root, "all.zip")
	if err := os.WriteFile(zp, goVulnZip(b), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	cpu := cpuTime()
	for b.Loop() {
		db := filepath.Join(root, fmt.Sprint(i))
		i++
		if _, err := Import(context.Background(), db, []string{zp}, ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
}
