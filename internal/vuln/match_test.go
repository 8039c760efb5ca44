package vuln

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/osv"
)

func goPkg(name, version string) Package {
	return Package{Name: name, Version: version, Ecosystem: "Go", Platform: "linux/amd64", Location: Location{File: "/bin/app", Layer: 2}}
}

// Advisories that are aliases of one another are one finding per package: the Go
// advisory is primary in the Go ecosystem, the others its aliases, transitively.
func TestMatchMergesAliases(t *testing.T) {
	src := newMemSource(
		entry(t, `{"id":"GO-2022-1059","aliases":["CVE-2022-32149"],"summary":"DoS in language",
			"affected":[{"package":{"ecosystem":"Go","name":"golang.org/x/text"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.3.8"}]}]}],
			"references":[{"type":"FIX","url":"https://go.dev/cl/442235"}]}`),
		entry(t, `{"id":"GHSA-69ch-w2m2-3vjp","aliases":["CVE-2022-32149"],
			"affected":[{"package":{"ecosystem":"Go","name":"golang.org/x/text"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.3.8"}]}]}],
			"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}],
			"references":[{"type":"FIX","url":"https://go.dev/cl/442235"},{"type":"ADVISORY","url":"https://nvd.nist.gov/vuln/detail/CVE-2022-32149"}]}`),
		// Linked to the group only through GHSA-xxxx, which names the GHSA above.
		entry(t, `{"id":"GHSA-zzzz-zzzz-zzzz","aliases":["GHSA-69ch-w2m2-3vjp"],
			"affected":[{"package":{"ecosystem":"Go","name":"golang.org/x/text"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.3.9"}]}]}]}`),
		// Another vulnerability of the same module: its own finding.
		entry(t, `{"id":"GO-2021-0113","aliases":["CVE-2021-38561"],
			"affected":[{"package":{"ecosystem":"Go","name":"golang.org/x/text"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.3.7"}]}]}]}`),
	)
	res, err := Match([]Package{goPkg("golang.org/x/text", "v0.3.5")}, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 2 {
		t.Fatalf("%d findings, want 2: %+v", len(res.Findings), res.Findings)
	}
	f := res.Findings[1]
	if res.Findings[0].ID != "GO-2021-0113" || f.ID != "GO-2022-1059" {
		t.Fatalf("findings %s, %s; want GO-2021-0113, GO-2022-1059 in ID order", res.Findings[0].ID, f.ID)
	}
	if want := []string{"CVE-2022-32149", "GHSA-69ch-w2m2-3vjp", "GHSA-zzzz-zzzz-zzzz"}; !reflect.DeepEqual(f.Aliases, want) {
		t.Errorf("aliases %v, want %v", f.Aliases, want)
	}
	if want := []string{"GHSA-69ch-w2m2-3vjp", "GHSA-zzzz-zzzz-zzzz"}; !reflect.DeepEqual(f.Merged, want) {
		t.Errorf("merged %v, want %v", f.Merged, want)
	}
	if want := []string{"0.3.8", "0.3.9"}; !reflect.DeepEqual(f.Fixed, want) {
		t.Errorf("fixed %v, want %v", f.Fixed, want)
	}
	// The GHSA's vector rates the group: 7.5, high.
	if f.Rating.Source != "CVSS_V3" || f.Rating.Score != 7.5 || f.Rating.Severity != rule.High || f.Rating.Advisory != "GHSA-69ch-w2m2-3vjp" {
		t.Errorf("rating %+v, want the GHSA's CVSS v3 7.5 high", f.Rating)
	}
	if f.Summary != "DoS in language" || len(f.References) != 2 {
		t.Errorf("summary %q, %d references; want the primary's summary and 2 distinct references", f.Summary, len(f.References))
	}
	if f.Package.Location.File != "/bin/app" || f.Installed != "v0.3.5" {
		t.Errorf("package %+v installed %q", f.Package, f.Installed)
	}
	if res.Stats.Advisories != 4 || res.Stats.Lookups != 1 || res.Stats.Ecosystems["Go"] != 1 {
		t.Errorf("stats %+v", res.Stats)
	}
	// Without an ecosystem ID in the group, the first ID in lexical order is primary.
	src2 := newMemSource(
		entry(t, `{"id":"GHSA-bbbb","aliases":["CVE-1"],"affected":[{"package":{"ecosystem":"npm","name":"x"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`),
		entry(t, `{"id":"GHSA-aaaa","aliases":["CVE-1"],"affected":[{"package":{"ecosystem":"npm","name":"x"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`),
	)
	res, _ = Match([]Package{{Name: "x", Version: "1.0.0", Ecosystem: "npm"}}, src2, Options{})
	if len(res.Findings) != 1 || res.Findings[0].ID != "GHSA-aaaa" {
		t.Errorf("findings %+v, want one with GHSA-aaaa primary", res.Findings)
	}
}

func TestMatchWithdrawnAndUnfixed(t *testing.T) {
	src := newMemSource(
		entry(t, `{"id":"GO-1","withdrawn":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Go","name":"m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`),
		entry(t, `{"id":"GO-2","affected":[{"package":{"ecosystem":"Go","name":"m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`),
		entry(t, `{"id":"GO-3","affected":[{"package":{"ecosystem":"Go","name":"m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"2.0.0"}]}]}]}`),
		entry(t, `{"id":"GO-4","affected":[{"package":{"ecosystem":"Go","name":"m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"last_affected":"1.0.0"}]}]}]}`),
	)
	pkgs := []Package{goPkg("m", "v1.0.0")}
	res, err := Match(pkgs, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(res); !reflect.DeepEqual(got, []string{"GO-2", "GO-3", "GO-4"}) {
		t.Errorf("findings %v, want GO-2, GO-3, GO-4 (GO-1 withdrawn)", got)
	}
	if res.Stats.Withdrawn != 1 || res.Stats.Advisories != 4 {
		t.Errorf("stats %+v, want 4 advisories, 1 withdrawn", res.Stats)
	}
	res, _ = Match(pkgs, src, Options{IgnoreUnfixed: true})
	if got := ids(res); !reflect.DeepEqual(got, []string{"GO-3"}) || res.Stats.Unfixed != 2 {
		t.Errorf("with IgnoreUnfixed: findings %v, %d unfixed; want GO-3, 2", got, res.Stats.Unfixed)
	}
}

func ids(res Result) []string {
	var out []string
	for _, f := range res.Findings {
		out = append(out, f.ID)
	}
	return out
}

// Severity: a CVSS vector first (v4 before v3), a package's own before the advisory's,
// then the ecosystem's rating, then unknown.
func TestMatchSeverity(t *testing.T) {
	for _, c := range []struct {
		name, advisory string
		want           Rating
	}{
		{"v3 vector", `"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]`,
			Rating{Severity: rule.Critical, Score: 9.8, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Source: "CVSS_V3"}},
		{"v4 before v3", `"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},{"type":"CVSS_V4","score":"CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N"}]`,
			Rating{Severity: rule.Info, Vector: "CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", Source: "CVSS_V4"}},
		{"bad vector passed over", `"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N"},{"type":"Ubuntu","score":"high"}]`,
			Rating{Severity: rule.High, Source: "Ubuntu"}},
		{"Ubuntu negligible", `"severity":[{"type":"Ubuntu","score":"negligible"}]`, Rating{Severity: rule.Info, Source: "Ubuntu"}},
		{"GHSA rating", `"database_specific":{"severity":"MODERATE"}`, Rating{Severity: rule.Medium, Source: "GHSA"}},
		{"Debian urgency", `"database_specific":{"urgency":"low"}`, Rating{Severity: rule.Low, Source: "Debian"}},
		{"nothing", `"summary":"x"`, Rating{Severity: UnknownSeverity, Source: "unknown"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			id := "GHSA-test"
			src := newMemSource(entry(t, `{"id":"`+id+`",`+c.advisory+`,
				"affected":[{"package":{"ecosystem":"npm","name":"x"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`))
			res, err := Match([]Package{{Name: "x", Version: "1.0.0", Ecosystem: "npm"}}, src, Options{})
			if err != nil || len(res.Findings) != 1 {
				t.Fatalf("%v, %+v", err, res)
			}
			want := c.want
			if want.Source != "unknown" {
				want.Advisory = id
			}
			if got := res.Findings[0].Rating; got != want {
				t.Errorf("rating %+v, want %+v", got, want)
			}
		})
	}
	// A package's own severity wins over the advisory's.
	src := newMemSource(entry(t, `{"id":"X-1","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
		"affected":[{"package":{"ecosystem":"npm","name":"x"},"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N"}],
		"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`))
	res, _ := Match([]Package{{Name: "x", Version: "1.0.0", Ecosystem: "npm"}}, src, Options{})
	if r := res.Findings[0].Rating; r.Score != 3.1 || r.Severity != rule.Low {
		t.Errorf("rating %+v, want the package's 3.1 low", r)
	}
	if len(res.Stats.Notes) != 0 {
		t.Errorf("notes %v", res.Stats.Notes)
	}
}

// Distribution advisories are asked by source package at the source version; Red Hat's
// three streams, by binary and source RPM; one finding per advisory.
func TestMatchKeys(t *testing.T) {
	src := newMemSource(
		entry(t, `{"id":"DSA-1","affected":[{"package":{"ecosystem":"Debian:12","name":"util-linux"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.38.1-5+deb12u4"}]}]}]}`),
		entry(t, `{"id":"RHSA-1","affected":[
			{"package":{"ecosystem":"Red Hat:enterprise_linux:9::appstream","name":"openssl-libs"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:3.0.7-25.el9"}]}]},
			{"package":{"ecosystem":"Red Hat:enterprise_linux:9::baseos","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:3.0.7-25.el9"}]}]}]}`),
		entry(t, `{"id":"RLSA-1","affected":[{"package":{"ecosystem":"Rocky Linux:9","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:3.0.7-25.el9"}]}]}]}`),
	)
	pkgs := []Package{
		// bsdutils carries an epoch its source does not: compared as a binary, it would
		// sort after the fix.
		{Name: "bsdutils", Version: "1:2.38.1-5+deb12u3", Source: "util-linux", SourceVersion: "2.38.1-5+deb12u3", Ecosystem: "Debian:12"},
		{Name: "openssl-libs", Version: "1:3.0.7-24.el9", Source: "openssl", SourceVersion: "3.0.7-24.el9", Ecosystem: "Red Hat:enterprise_linux:9"},
		{Name: "openssl-libs", Version: "1:3.0.7-24.el9", Source: "openssl", SourceVersion: "3.0.7-24.el9", Ecosystem: "Rocky Linux:9"},
		{Name: "nothing", Version: "1.0"},
	}
	res, err := Match(pkgs, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.ID+" "+f.Ecosystem+" "+f.Name+" "+f.Installed+" "+strings.Join(f.Fixed, ","))
	}
	want := []string{
		"DSA-1 Debian:12 util-linux 2.38.1-5+deb12u3 2.38.1-5+deb12u4",
		"RHSA-1 Red Hat:enterprise_linux:9::baseos openssl 1:3.0.7-24.el9 1:3.0.7-25.el9",
		"RLSA-1 Rocky Linux:9 openssl 1:3.0.7-24.el9 1:3.0.7-25.el9",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if res.Stats.Unmatched != 1 || res.Stats.Packages != 4 {
		t.Errorf("stats %+v, want 4 packages, 1 unmatched", res.Stats)
	}
}

// A Go advisory whose packages are all for other platforms does not apply.
func TestMatchGoPlatform(t *testing.T) {
	src := newMemSource(entry(t, `{"id":"GO-W","affected":[{"package":{"ecosystem":"Go","name":"m"},
		"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}],
		"ecosystem_specific":{"imports":[{"path":"m/win","goos":["windows"]},{"path":"m/arm","goos":["linux"],"goarch":["arm64"]}]}}]}`))
	for platform, want := range map[string]int{"linux/amd64": 0, "windows/amd64": 1, "linux/arm64": 1, "": 1} {
		p := goPkg("m", "v1.0.0")
		p.Platform = platform
		res, _ := Match([]Package{p}, src, Options{})
		if len(res.Findings) != want {
			t.Errorf("platform %q: %d findings, want %d", platform, len(res.Findings), want)
		}
	}
}

type failingSource struct{}

func (failingSource) Lookup(string, string) ([]*osv.Entry, error) {
	return nil, errors.New("disk on fire")
}

func TestMatchSourceError(t *testing.T) {
	_, err := Match([]Package{goPkg("m", "v1.0.0")}, failingSource{}, Options{})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") || !strings.Contains(err.Error(), "Go m") {
		t.Errorf("error %v, want the source's, naming the lookup", err)
	}
}

// Findings come out in the same order whatever the order of the packages and of the
// database's answers.
func TestMatchDeterministic(t *testing.T) {
	_, all := goVulnDB(t)
	pkgs := []Package{goPkg("golang.org/x/net", "v0.0.0-20210520170846-37e1c6afe023"), goPkg("stdlib", "1.20.0"),
		goPkg("golang.org/x/text", "v0.3.5"), goPkg("golang.org/x/crypto", "v0.0.0-20200622213623-75b288015ac9")}
	first, err := Match(pkgs, newMemSource(all...), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Findings) < 20 {
		t.Fatalf("%d findings, want many from these old versions", len(first.Findings))
	}
	rev := slices.Clone(all)
	slices.Reverse(rev)
	pk := slices.Clone(pkgs)
	slices.Reverse(pk)
	second, _ := Match(pk, newMemSource(rev...), Options{})
	if !reflect.DeepEqual(first.Findings, second.Findings) {
		t.Error("findings differ with the packages and advisories reversed")
	}
}

// mayRate passes over only what encoding/json would find no severity or urgency in.
func FuzzMayRate(f *testing.F) {
	for _, s := range []string{`{"severity":"HIGH"}`, `{"SEVERITY":"low"}`, `{"Urgency":"medium"}`, `{"sev\u0065rity":"high"}`,
		`{"ſeverity":"high"}`, `{"url":"https://pkg.go.dev/vuln/GO-2024-1234"}`, `{"imports":[{"path":"x","symbols":["Severity"]}]}`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if mayRate(raw) {
			return
		}
		var ds struct {
			Severity string `json:"severity"`
			Urgency  string `json:"urgency"`
		}
		if json.Unmarshal(raw, &ds) == nil && (ds.Severity != "" || ds.Urgency != "") {
			t.Errorf("mayRate(%q) = false, but it holds severity %q, urgency %q", raw, ds.Severity, ds.Urgency)
		}
	})
}
