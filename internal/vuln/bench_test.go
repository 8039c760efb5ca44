package vuln

import (
	"fmt"
	"slices"
	"testing"

	"github.com/kharden/kharden/internal/source/osv"
)

// BenchmarkMatch1000 matches an inventory of 1,000 packages against the whole Go
// vulnerability database plus 100,000 synthetic Debian advisories, in memory: 500 Go
// modules of the database at v0.0.1 (below most fixes) and the standard library, and
// 499 Debian source packages, each with 100 advisories (ECOSYSTEM ranges, half of them
// affecting the installed version, CVE aliases shared in pairs so that merging has work).
func BenchmarkMatch1000(b *testing.B) {
	_, goEntries := goVulnDB(b)
	src := newMemSource(goEntries...)
	const names, perName = 1000, 100
	for n := range names {
		name := fmt.Sprintf("syn-%d", n)
		for k := range perName {
			e := &osv.Entry{
				ID:      fmt.Sprintf("DEBIAN-SYN-%d-%d", n, k),
				Aliases: []string{fmt.Sprintf("CVE-2099-%d", n*perName+k/2)},
				Summary: "synthetic",
				Affected: []osv.Affected{{
					Package: osv.Package{Ecosystem: "Debian:12", Name: name},
					Ranges: []osv.Range{{Type: "ECOSYSTEM", Events: []osv.Event{
						{Introduced: "0"}, {Fixed: fmt.Sprintf("1.%d-1", k)},
					}}},
				}},
				Severity: []osv.Severity{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H"}},
			}
			src.add(e)
		}
	}
	var modules []string
	for k := range src {
		if k[0] == "Go" && k[1] != "stdlib" && k[1] != "toolchain" {
			modules = append(modules, k[1])
		}
	}
	slices.Sort(modules)
	pkgs := make([]Package, 0, 1000)
	for _, m := range modules[:500] {
		pkgs = append(pkgs, goPkg(m, "v0.0.1"))
	}
	pkgs = append(pkgs, goPkg("stdlib", "1.20.0"))
	for n := range 499 {
		pkgs = append(pkgs, Package{Name: fmt.Sprintf("syn-%d-bin", n), Version: "1.50-1", Source: fmt.Sprintf("syn-%d", n),
			Ecosystem: "Debian:12", Location: Location{File: "/var/lib/dpkg/status"}})
	}
	b.ReportAllocs()
	b.ResetTimer()
	var res Result
	cpu := cpuTime()
	for b.Loop() {
		var err error
		res, err = Match(pkgs, src, Options{})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
	if len(pkgs) != 1000 || len(res.Findings) < 499*25 {
		b.Fatalf("%d packages, %d findings: the benchmark does not match what it says", len(pkgs), len(res.Findings))
	}
	b.ReportMetric(float64(len(res.Findings)), "findings")
	b.ReportMetric(float64(res.Stats.Advisories), "advisories")
}
