package vuln

// Hand-written OSV advisories against the real dpkg database of a Debian root filesystem
// (hack/debian-rootfs/build.sh builds it; hack/test.sh exports KHARDEN_DEBIAN_ROOTFS):
// affected, fixed, the boundaries (installed == fixed, installed == last_affected), an
// epoch, a tilde, a binNMU, a withdrawn advisory. The versions are taken from the
// database, so the advisories follow the security updates the root filesystem gets, and
// every expectation is checked twice: as written here, and with dpkg --compare-versions
// on the same versions.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/osv-scalibr/semantic"

	"github.com/kharden/kharden/internal/source/image"
)

func debianRootfs(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("KHARDEN_DEBIAN_ROOTFS")
	if dir == "" {
		cache := os.Getenv("KHARDEN_DEBIAN_CACHE")
		if cache == "" {
			home, _ := os.UserHomeDir()
			cache = filepath.Join(home, ".cache/kharden/debian-rootfs")
		}
		dir = filepath.Join(cache, "bookworm-minbase-amd64")
	}
	if _, err := os.Stat(filepath.Join(dir, "var/lib/dpkg/status")); err != nil {
		skipOrFail(t, "no Debian root filesystem at %s: run hack/debian-rootfs/build.sh and set KHARDEN_DEBIAN_ROOTFS to the directory it prints", dir)
	}
	if _, err := exec.LookPath("dpkg"); err != nil {
		skipOrFail(t, "no dpkg to check version order with")
	}
	return dir
}

// dpkgSays runs dpkg --compare-versions a op b.
func dpkgSays(t *testing.T, a, op, b string) bool {
	t.Helper()
	err := exec.Command("dpkg", "--compare-versions", a, op, b).Run()
	if err == nil {
		return true
	}
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
		return false
	}
	t.Fatalf("dpkg --compare-versions %s %s %s: %v", a, op, b, err)
	return false
}

// debianPackages scans the root filesystem as an image and makes its packages.
func debianPackages(t *testing.T, dir string) []Package {
	t.Helper()
	im, err := image.Scan(context.Background(), "rootfs:"+dir, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pkgs := FromImage(im)
	if len(pkgs) < 50 {
		t.Fatalf("%d packages in %s, want a Debian minbase's", len(pkgs), dir)
	}
	return pkgs
}

func TestDebianAdvisories(t *testing.T) {
	dir := debianRootfs(t)
	pkgs := debianPackages(t, dir)
	byName := map[string]Package{}
	for _, p := range pkgs {
		if p.Ecosystem != "Debian:12" {
			t.Fatalf("package %s: ecosystem %q, want Debian:12 from the os-release of bookworm", p.Name, p.Ecosystem)
		}
		if p.Location.File != "/var/lib/dpkg/status" {
			t.Errorf("package %s: location %+v", p.Name, p.Location)
		}
		byName[p.Name] = p
	}
	// source and the version advisories are compared at, of a binary package.
	source := func(name string) (string, string, Package) {
		t.Helper()
		p, ok := byName[name]
		if !ok {
			t.Fatalf("no package %s in the root filesystem", name)
		}
		k := p.keys()[0]
		return k.name, k.version, p
	}
	glibc, glibcV, _ := source("libc6")
	if glibc != "glibc" {
		t.Fatalf("libc6's source is %q, want glibc", glibc)
	}
	utilLinux, utilLinuxV, bsdutils := source("bsdutils")
	if utilLinux != "util-linux" || !strings.HasPrefix(bsdutils.Version, "1:") || strings.HasPrefix(utilLinuxV, "1:") {
		t.Fatalf("bsdutils %q from %s %q: want a binary epoch its source lacks", bsdutils.Version, utilLinux, utilLinuxV)
	}
	attr, attrV, _ := source("libattr1")
	epoch, upstream, ok := strings.Cut(attrV, ":")
	if !ok {
		t.Fatalf("attr %q has no epoch", attrV)
	}
	debianutils, debianutilsV, _ := source("debianutils")
	tilde := strings.Index(debianutilsV, "~")
	if tilde < 0 {
		t.Fatalf("debianutils %q has no tilde", debianutilsV)
	}
	bash, bashV, bashPkg := source("bash")
	if bashPkg.Version == bashV || !strings.Contains(bashPkg.Version, "+b") {
		t.Fatalf("bash %q from source %q: want a binNMU", bashPkg.Version, bashV)
	}

	type event struct{ kind, v string }
	cases := []struct {
		id, pkg  string
		events   []event
		withdraw bool
		affected bool
		fixed    string
	}{
		{"DSA-9001-1", glibc, []event{{"introduced", "0"}, {"fixed", glibcV + "+kh1"}}, false, true, glibcV + "+kh1"},
		{"DSA-9002-1", glibc, []event{{"introduced", "0"}, {"fixed", glibcV}}, false, false, ""},
		{"DSA-9003-1", utilLinux, []event{{"introduced", "0"}, {"last_affected", utilLinuxV}}, false, true, ""},
		{"DSA-9004-1", utilLinux, []event{{"introduced", "0"}, {"fixed", utilLinuxV + "+kh1"}}, false, true, utilLinuxV + "+kh1"},
		{"DSA-9005-1", attr, []event{{"introduced", "0"}, {"fixed", "9" + upstream}}, false, false, ""},
		{"DSA-9006-1", attr, []event{{"introduced", "0"}, {"fixed", epoch + ":9" + upstream}}, false, true, epoch + ":9" + upstream},
		{"DSA-9007-1", debianutils, []event{{"introduced", "0"}, {"fixed", debianutilsV[:tilde]}}, false, true, debianutilsV[:tilde]},
		{"DSA-9008-1", debianutils, []event{{"introduced", "0"}, {"fixed", debianutilsV[:tilde] + "~"}}, false, false, ""},
		{"DSA-9009-1", bash, []event{{"introduced", "0"}, {"fixed", bashV + "+b1"}}, false, true, bashV + "+b1"},
		{"DSA-9010-1", bash, []event{{"introduced", bashV + "+1"}}, false, false, ""},
		{"DSA-9011-1", bash, []event{{"introduced", "0"}}, true, false, ""},
		// Events out of order: the fix before the introduction.
		{"DSA-9012-1", glibc, []event{{"fixed", glibcV + "+kh2"}, {"introduced", "0"}}, false, true, glibcV + "+kh2"},
	}
	src := memSource{}
	installed := map[string]string{glibc: glibcV, utilLinux: utilLinuxV, attr: attrV, debianutils: debianutilsV, bash: bashV}
	for _, c := range cases {
		var evs []string
		for _, e := range c.events {
			evs = append(evs, fmt.Sprintf(`{%q:%q}`, e.kind, e.v))
		}
		withdrawn := ""
		if c.withdraw {
			withdrawn = `"withdrawn":"2025-01-01T00:00:00Z",`
		}
		src.add(entry(t, fmt.Sprintf(`{"id":%q,%s"affected":[{"package":{"ecosystem":"Debian:12","name":%q},
			"ranges":[{"type":"ECOSYSTEM","events":[%s]}]}]}`, c.id, withdrawn, c.pkg, strings.Join(evs, ","))))
		// What dpkg says of the same versions.
		v := installed[c.pkg]
		in := false
		for _, e := range c.events {
			switch e.kind {
			case "introduced":
				in = in || e.v == "0" || dpkgSays(t, v, "ge", e.v)
			}
		}
		for _, e := range c.events {
			switch e.kind {
			case "fixed":
				in = in && dpkgSays(t, v, "lt", e.v)
			case "last_affected":
				in = in && dpkgSays(t, v, "le", e.v)
			}
		}
		if c.withdraw {
			in = false
		}
		if in != c.affected {
			t.Errorf("%s: dpkg says %s %s is affected: %v; the case says %v", c.id, c.pkg, v, in, c.affected)
		}
	}
	res, err := Match(pkgs, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Finding{}
	for _, f := range res.Findings {
		if _, dup := got[f.ID]; dup && f.Name != glibc && f.Name != utilLinux && f.Name != attr {
			t.Errorf("%s reported twice for %s", f.ID, f.Name)
		}
		got[f.ID] = f
	}
	for _, c := range cases {
		f, ok := got[c.id]
		if ok != c.affected {
			t.Errorf("%s on %s %s: affected %v, want %v", c.id, c.pkg, installed[c.pkg], ok, c.affected)
			continue
		}
		if ok && (strings.Join(f.Fixed, ",") != c.fixed || f.Installed != installed[c.pkg] || f.Name != c.pkg) {
			t.Errorf("%s: %s %s fixed %v, want %s %s fixed %q", c.id, f.Name, f.Installed, f.Fixed, c.pkg, installed[c.pkg], c.fixed)
		}
	}
	// Every binary package of an affected source package has the finding, at its location.
	binaries := 0
	for _, f := range res.Findings {
		if f.ID == "DSA-9001-1" {
			binaries++
			if f.Package.Source != glibc && f.Package.Name != glibc {
				t.Errorf("DSA-9001-1 on %s, not a glibc binary", f.Package.Name)
			}
		}
	}
	if binaries < 2 {
		t.Errorf("DSA-9001-1 on %d binaries; libc6 and libc-bin both come from glibc", binaries)
	}
	if res.Stats.Withdrawn != 1 || len(res.Stats.Notes) != 0 {
		t.Errorf("stats: %d withdrawn, notes %v; want 1, none", res.Stats.Withdrawn, res.Stats.Notes)
	}
}

// The version order of the matcher (debVersion, osv-scalibr's order without its
// allocations) is dpkg's, on the real versions of the root filesystem and variants of
// them (tilde, binNMU, epoch, revision): sorted by the matcher, each neighbour pair is
// ordered the same way by dpkg, which makes the whole order agree.
func TestDebianVersionOrder(t *testing.T) {
	dir := debianRootfs(t)
	set := map[string]bool{}
	for _, p := range debianPackages(t, dir) {
		for _, v := range []string{p.Version, p.SourceVersion} {
			if v == "" {
				continue
			}
			set[v] = true
			set[v+"~1"] = true
			set[v+"+b1"] = true
			set[v+".1"] = true
			if !strings.Contains(v, ":") {
				set["1:"+v] = true
			}
		}
	}
	type parsed struct {
		s string
		v semantic.Version
	}
	var vs []parsed
	for s := range set {
		v, err := versionOrder{ecosystem: "Debian:12"}.parse(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		vs = append(vs, parsed{s, v})
	}
	slices.SortFunc(vs, func(a, b parsed) int { return compare(a.v, b.v) })
	for i := 1; i < len(vs); i++ {
		a, b := vs[i-1], vs[i]
		op := "lt"
		if compare(a.v, b.v) == 0 {
			op = "eq"
		}
		if !dpkgSays(t, a.s, op, b.s) {
			t.Errorf("the matcher orders %s %s %s; dpkg does not", a.s, op, b.s)
		}
	}
	t.Logf("%d versions in dpkg's order", len(vs))
}
