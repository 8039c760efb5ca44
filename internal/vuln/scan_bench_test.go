package vuln

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kharden/kharden/internal/source/vulndb"
)

// scanBench is the shape of BenchmarkScanMatch: the synthetic advisories and the
// inventory that asks for them.
const (
	synDebianNames   = 3000 // Debian:12 source packages with synthetic advisories
	synDebianPerName = 30   // 90,000 advisories
	synGoModules     = 1000 // synthetic Go modules
	synGoPerModule   = 10   // 10,000 advisories
	invRealGo        = 299  // Go modules of the real database in the inventory, besides stdlib
	invSynGo         = 100  // synthetic Go modules in the inventory
	invDebianSources = 400  // Debian source packages in the inventory: 600 binaries
)

// synAdvisory is the JSON of one synthetic advisory.
func synAdvisory(id, alias, eco, name, rangeType string, events []map[string]string) []byte {
	b, err := json.Marshal(map[string]any{
		"id": id, "modified": "2026-01-01T00:00:00Z", "aliases": []string{alias},
		"summary":  "synthetic advisory " + id,
		"details":  "A synthetic advisory of the end-to-end matching benchmark, about as long as a real one's details.",
		"severity": []map[string]string{{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H"}},
		"affected": []any{map[string]any{
			"package": map[string]string{"ecosystem": eco, "name": name},
			"ranges":  []any{map[string]any{"type": rangeType, "events": events}},
		}},
		"references": []map[string]string{{"type": "ADVISORY", "url": "https://example.com/" + id}},
	})
	if err != nil {
		panic(err)
	}
	return b
}

// synDebianVersion is the version of advisory k of a synthetic Debian package: the
// shapes of real Debian versions (epochs, +debNuM, ~, binNMUs) in an order that
// interleaves with the installed versions.
func synDebianVersion(n, k int) string {
	switch k % 5 {
	case 0:
		return fmt.Sprintf("2.%d.%d-%d", k, n%7, 1+k%3)
	case 1:
		return fmt.Sprintf("2.%d.%d-%d+deb12u%d", k, n%7, 1+k%3, 1+k%4)
	case 2:
		return fmt.Sprintf("2.%d.%d~rc%d-1", k, n%7, 1+k%3)
	case 3:
		return fmt.Sprintf("2.%d.%d-%d+b%d", k, n%7, 1+k%3, 1+k%2)
	}
	return fmt.Sprintf("2.%d.%d+dfsg-%d", k, n%7, 1+k%3)
}

// synZip writes the 100,000 synthetic advisories as an all.zip: Debian:12 advisories
// (introduced 0 and fixed, or last_affected, or unfixed) and Go advisories (SEMVER,
// two stretches), CVE aliases shared in pairs so that findings merge.
func synZip(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	add := func(id string, js []byte) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: id + ".json", Method: zip.Store})
		if err != nil {
			b.Fatal(err)
		}
		w.Write(js)
	}
	cve := 0
	for n := range synDebianNames {
		name := fmt.Sprintf("syn-src-%d", n)
		for k := range synDebianPerName {
			var events []map[string]string
			switch k % 10 {
			case 8:
				events = []map[string]string{{"introduced": "0"}}
			case 9:
				events = []map[string]string{{"introduced": "0"}, {"last_affected": synDebianVersion(n, k)}}
			default:
				events = []map[string]string{{"introduced": "0"}, {"fixed": synDebianVersion(n, k)}}
			}
			add(fmt.Sprintf("DEBIAN-CVE-2099-%d", cve), synAdvisory(fmt.Sprintf("DEBIAN-CVE-2099-%d", cve),
				fmt.Sprintf("CVE-2099-%d", cve/2*2), "Debian:12", name, "ECOSYSTEM", events))
			cve++
		}
	}
	for n := range synGoModules {
		mod := fmt.Sprintf("example.com/syn/mod%d", n)
		for k := range synGoPerModule {
			events := []map[string]string{{"introduced": "0"}, {"fixed": fmt.Sprintf("1.%d.0", k)},
				{"introduced": fmt.Sprintf("2.%d.0", k)}, {"fixed": fmt.Sprintf("2.%d.3", k)}}
			add(fmt.Sprintf("GO-2099-%d", cve), synAdvisory(fmt.Sprintf("GO-2099-%d", cve),
				fmt.Sprintf("CVE-2099-%d", cve/2*2), "Go", mod, "SEMVER", events))
			cve++
		}
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
}

// scanInventory is the 1,000 packages of BenchmarkScanMatch: stdlib and 299 modules
// of the real Go database at v0.0.1 (below most fixes), 100 synthetic Go modules, and
// 600 Debian binary packages of 400 source packages (200 with two binaries, as libc6
// and libc-bin are glibc's), at versions that fall among the advisories' events.
func scanInventory(goMods []string) []Package {
	pkgs := make([]Package, 0, 1000)
	pkgs = append(pkgs, goPkg("stdlib", "1.20.0"))
	for _, m := range goMods[:invRealGo] {
		pkgs = append(pkgs, goPkg(m, "v0.0.1"))
	}
	for n := range invSynGo {
		pkgs = append(pkgs, goPkg(fmt.Sprintf("example.com/syn/mod%d", n*synGoModules/invSynGo), fmt.Sprintf("v2.%d.1", n%synGoPerModule)))
	}
	for i := range invDebianSources {
		n := i * synDebianNames / invDebianSources
		src := fmt.Sprintf("syn-src-%d", n)
		v := synDebianVersion(n, synDebianPerName/2)
		bins := 1
		if i%2 == 0 {
			bins = 2
		}
		for b := range bins {
			pkgs = append(pkgs, Package{Name: fmt.Sprintf("%s-bin%d", src, b), Version: v, Source: src,
				Ecosystem: "Debian:12", Location: Location{File: "/var/lib/dpkg/status"}})
		}
	}
	return pkgs
}

// heapInUse is the heap's in-use bytes as runtime/metrics counts them (no
// stop-the-world, unlike runtime.ReadMemStats).
func heapInUse(s []metrics.Sample) uint64 {
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// BenchmarkScanMatch is what a scan does with the vulnerability database (issue 15's
// matching budget, end to end): open the on-disk database — built once by Import from
// the real Go vulnerability database and 100,000 synthetic advisories over Debian and
// Go packages — and Match an inventory of 1,000 packages through its Lookup. One op is
// Open, Match and Close, with the database's cache cold. Besides ns/op and B/op
// (allocated per op), it reports the CPU time per op, and the peak heap growth of one
// more op beyond the inventory (sampled every 100µs) and what stays in use while the
// result is held.
func BenchmarkScanMatch(b *testing.B) {
	goDir, goEntries := goVulnDB(b)
	root := b.TempDir()
	zp := filepath.Join(root, "synthetic.zip")
	synZip(b, zp)
	db := filepath.Join(root, "db")
	st, err := vulndb.Import(context.Background(), db, []string{goDir, zp}, vulndb.ImportOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if st.Sources[1].Advisories != synDebianNames*synDebianPerName+synGoModules*synGoPerModule {
		b.Fatalf("imported %d synthetic advisories", st.Sources[1].Advisories)
	}
	var goMods []string
	for k := range newMemSource(goEntries...) {
		if k[0] == "Go" && k[1] != "stdlib" && k[1] != "toolchain" {
			goMods = append(goMods, k[1])
		}
	}
	slices.Sort(goMods)
	pkgs := scanInventory(goMods)
	if len(pkgs) != 1000 {
		b.Fatalf("%d packages in the inventory", len(pkgs))
	}
	scan := func() Result {
		d, err := vulndb.Open(db)
		if err != nil {
			b.Fatal(err)
		}
		defer d.Close()
		res, err := Match(pkgs, d, Options{})
		if err != nil {
			b.Fatal(err)
		}
		return res
	}
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	var res Result
	cpu := cpuTime()
	for b.Loop() {
		res = scan()
	}
	cpuPerOp := float64(cpuTime()-cpu) / float64(b.N)
	b.StopTimer()
	if len(res.Findings) < 5000 || res.Stats.Lookups != 1+invRealGo+invSynGo+invDebianSources || len(res.Stats.Notes) != 0 {
		b.Fatalf("%d findings, %d lookups, notes %v: the benchmark does not match what it says", len(res.Findings), res.Stats.Lookups, res.Stats.Notes)
	}
	// One more op, measured: the heap's peak while it runs, and what it leaves in use
	// with its result held, beyond the heap with the inventory alone.
	res = Result{}
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	base := heapInUse(s)
	var peak atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		ss := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(100 * time.Microsecond)
		defer t.Stop()
		for {
			if h := heapInUse(ss); h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	res = scan()
	if h := heapInUse(s); h > peak.Load() {
		peak.Store(h)
	}
	close(done)
	<-stopped
	runtime.GC()
	held := heapInUse(s)
	runtime.KeepAlive(res)
	b.ReportMetric(cpuPerOp/1e6, "cpu-ms/op")
	b.ReportMetric(float64(peak.Load()-min(base, peak.Load()))/(1<<20), "peak-MiB")
	b.ReportMetric(float64(held-min(base, held))/(1<<20), "held-MiB")
	b.ReportMetric(float64(res.Stats.Advisories), "advisories")
	b.ReportMetric(float64(len(res.Findings)), "findings")
}
