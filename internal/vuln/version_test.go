package vuln

import (
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/source/osv"
)

// ev parses "introduced:0 fixed:1.2" into events.
func ev(s string) []osv.Event {
	var out []osv.Event
	for _, f := range strings.Fields(s) {
		k, v, _ := strings.Cut(f, ":")
		// Debian versions hold colons (epochs): only the first one separates.
		switch k {
		case "i":
			out = append(out, osv.Event{Introduced: v})
		case "f":
			out = append(out, osv.Event{Fixed: v})
		case "la":
			out = append(out, osv.Event{LastAffected: v})
		case "l":
			out = append(out, osv.Event{Limit: v})
		}
	}
	return out
}

// One line per case: the ecosystem, the range type, the installed version, the
// events, and what OSV's evaluation says (affected, and the fix above the version).
func TestEvaluateRanges(t *testing.T) {
	for _, c := range []struct {
		name, eco, typ, version, events string
		affected                        bool
		fixed                           string
	}{
		{"introduced 0 fixed, below", "Go", "SEMVER", "v0.3.5", "i:0 f:0.3.8", true, "0.3.8"},
		{"installed == fixed", "Go", "SEMVER", "v0.3.8", "i:0 f:0.3.8", false, ""},
		{"above fixed", "Go", "SEMVER", "v0.4.0", "i:0 f:0.3.8", false, ""},
		{"installed == introduced", "Go", "SEMVER", "v1.2.0", "i:1.2.0 f:1.3.0", true, "1.3.0"},
		{"below introduced", "Go", "SEMVER", "v1.1.9", "i:1.2.0 f:1.3.0", false, ""},
		{"two stretches, in the second", "Go", "SEMVER", "v3.1.0", "i:1.0.0 f:1.0.2 i:3.0.0 f:3.2.5", true, "3.2.5"},
		{"two stretches, between", "Go", "SEMVER", "v2.0.0", "i:1.0.0 f:1.0.2 i:3.0.0 f:3.2.5", false, ""},
		{"two stretches, in the first", "Go", "SEMVER", "v1.0.1", "i:1.0.0 f:1.0.2 i:3.0.0 f:3.2.5", true, "1.0.2"},
		{"unsorted events", "Go", "SEMVER", "v3.1.0", "f:3.2.5 i:3.0.0 f:1.0.2 i:1.0.0", true, "3.2.5"},
		{"unsorted events, between", "Go", "SEMVER", "v2.0.0", "f:3.2.5 i:3.0.0 f:1.0.2 i:1.0.0", false, ""},
		{"unsorted, introduced 0 last", "Go", "SEMVER", "v0.1.0", "f:0.3.8 i:0", true, "0.3.8"},
		{"installed == last_affected", "Go", "SEMVER", "v1.4.0", "i:0 la:1.4.0", true, ""},
		{"above last_affected", "Go", "SEMVER", "v1.4.1", "i:0 la:1.4.0", false, ""},
		{"unfixed", "Go", "SEMVER", "v9.9.9", "i:0", true, ""},
		{"below limit", "Go", "SEMVER", "v1.5.0", "i:1.0.0 l:2.0.0", true, ""},
		{"at limit", "Go", "SEMVER", "v2.0.0", "i:1.0.0 l:2.0.0", false, ""},
		{"limit *", "Go", "SEMVER", "v7.0.0", "i:1.0.0 l:*", true, ""},
		{"two limits, below one", "Go", "SEMVER", "v2.5.0", "i:1.0.0 l:2.0.0 l:3.0.0", true, ""},
		{"Go pseudo-version below fix", "Go", "SEMVER", "v0.0.0-20210520170846-37e1c6afe023", "i:0 f:0.0.0-20220906165146-f3363e06e74c", true, "0.0.0-20220906165146-f3363e06e74c"},
		{"Go pseudo-version after fix", "Go", "SEMVER", "v0.0.0-20221012135044-0b7e1fb9d458", "i:0 f:0.0.0-20220906165146-f3363e06e74c", false, ""},
		{"Go pseudo-version of a prerelease base", "Go", "SEMVER", "v0.7.1-0.20230214000000-abcdef123456", "i:0 f:0.7.1", true, "0.7.1"},
		{"+incompatible, unfixed", "Go", "SEMVER", "v3.2.0+incompatible", "i:0", true, ""},
		{"+incompatible below fix", "Go", "SEMVER", "v3.2.0+incompatible", "i:0 f:4.0.0-preview1", true, "4.0.0-preview1"},
		{"stdlib prerelease introduced", "Go", "SEMVER", "1.22.3", "i:0 f:1.21.11 i:1.22.0-0 f:1.22.4", true, "1.22.4"},
		{"stdlib rc before release", "Go", "SEMVER", "1.22.0-rc.2", "i:0 f:1.21.11 i:1.22.0-0 f:1.22.4", true, "1.22.4"},
		{"stdlib fixed", "Go", "SEMVER", "1.22.4", "i:0 f:1.21.11 i:1.22.0-0 f:1.22.4", false, ""},
		{"Debian epoch beats upstream", "Debian:12", "ECOSYSTEM", "1:2.5.1-4", "i:0 f:2.9-1", false, ""},
		{"Debian epoch in the fix", "Debian:12", "ECOSYSTEM", "1:2.5.1-4", "i:0 f:1:2.5.1-5", true, "1:2.5.1-5"},
		{"Debian tilde before release", "Debian:12", "ECOSYSTEM", "5.7-0.5~deb12u1", "i:0 f:5.7-0.5", true, "5.7-0.5"},
		{"Debian binNMU after fix", "Debian:12", "ECOSYSTEM", "1.0.8-5+b1", "i:0 f:1.0.8-5", false, ""},
		{"Alpine revision", "Alpine:v3.20", "ECOSYSTEM", "3.3.1-r0", "i:0 f:3.3.1-r1", true, "3.3.1-r1"},
		{"Alpine _p after release", "Alpine:v3.20", "ECOSYSTEM", "9.7_p1-r0", "i:0 f:9.7-r0", false, ""},
		{"Red Hat epoch and release", "Red Hat:enterprise_linux:9::baseos", "ECOSYSTEM", "1:3.0.7-24.el9", "i:0 f:1:3.0.7-25.el9_3", true, "1:3.0.7-25.el9_3"},
		{"PyPI pre-release", "PyPI", "ECOSYSTEM", "2.0.0rc1", "i:0 f:2.0.0", true, "2.0.0"},
		{"PyPI post-release", "PyPI", "ECOSYSTEM", "2.0.0.post1", "i:0 f:2.0.0", false, ""},
		{"Maven qualifier", "Maven", "ECOSYSTEM", "2.14.0-rc1", "i:0 f:2.14.0", true, "2.14.0"},
		{"GIT range ignored", "Go", "GIT", "v0.1.0", "i:abc f:def", false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var n notes
			a := osv.Affected{Package: osv.Package{Ecosystem: c.eco, Name: "p"},
				Ranges: []osv.Range{{Type: c.typ, Events: ev(c.events)}}}
			r := newEvaluator(c.version, &n, nil).evaluate("TEST-1", &a)
			if r.affected != c.affected || r.fixed != c.fixed {
				t.Errorf("%s %s in %s: affected %v, fixed %q; want %v, %q", c.eco, c.version, c.events, r.affected, r.fixed, c.affected, c.fixed)
			}
			if len(n.m) != 0 {
				t.Errorf("notes: %v", n.list())
			}
		})
	}
}

func TestEvaluateVersionsList(t *testing.T) {
	a := osv.Affected{Package: osv.Package{Ecosystem: "Go", Name: "m"}, Versions: []string{"1.0.0", "1.0.1"}}
	for v, want := range map[string]bool{"v1.0.1": true, "1.0.0": true, "v1.0.2": false} {
		var n notes
		if got := newEvaluator(v, &n, nil).evaluate("TEST-1", &a).affected; got != want {
			t.Errorf("%s in versions %v: %v, want %v", v, a.Versions, got, want)
		}
	}
	// Listed versions and ranges: affected when either says so.
	a.Ranges = []osv.Range{{Type: "SEMVER", Events: ev("i:2.0.0 f:2.1.0")}}
	var n notes
	if !newEvaluator("v2.0.5", &n, nil).evaluate("TEST-1", &a).affected {
		t.Error("v2.0.5 in the range but not in versions: not affected")
	}
}

// A version that does not parse is a counted note, never a panic, and the other ranges
// still count.
func TestEvaluateUnparsable(t *testing.T) {
	var n notes
	a := osv.Affected{Package: osv.Package{Ecosystem: "Debian:12", Name: "p"}, Ranges: []osv.Range{
		{Type: "ECOSYSTEM", Events: ev("i:0 f:x:1.0-1")},
		{Type: "ECOSYSTEM", Events: ev("i:0 f:2.0-1")},
		{Type: "WHATEVER", Events: ev("i:0")},
		{Type: "ECOSYSTEM", Events: []osv.Event{{Introduced: "0", Fixed: "1.0-1"}}},
	}}
	r := newEvaluator("1.0-1", &n, nil).evaluate("TEST-1", &a)
	if !r.affected || r.fixed != "2.0-1" {
		t.Errorf("affected %v, fixed %q; want true, 2.0-1 from the good range", r.affected, r.fixed)
	}
	got := n.list()
	if len(got) != 3 {
		t.Fatalf("notes %v, want 3: the bad fixed version, the unknown range type, the event with two fields", got)
	}
	for _, want := range []string{`fixed version "x:1.0-1" is not a Debian version`, `unknown type "WHATEVER"`, "2 fields set"} {
		found := false
		for _, x := range got {
			found = found || strings.Contains(x.Message, want)
		}
		if !found {
			t.Errorf("no note says %q: %v", want, got)
		}
	}
	// The installed version itself does not parse: noted once, whatever the ranges.
	var n2 notes
	a2 := osv.Affected{Package: osv.Package{Ecosystem: "Debian:12", Name: "p"}, Ranges: []osv.Range{
		{Type: "ECOSYSTEM", Events: ev("i:0 f:2.0-1")}, {Type: "ECOSYSTEM", Events: ev("i:0 f:3.0-1")}}}
	e := newEvaluator("bad:1.0-1", &n2, &parseCache{})
	for range 3 {
		if e.evaluate("TEST-2", &a2).affected {
			t.Error("an installed version that does not parse matched")
		}
	}
	if l := n2.list(); len(l) != 1 || l[0].Count != 1 {
		t.Errorf("notes %v, want one, once", l)
	}
}
