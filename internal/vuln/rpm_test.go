package vuln

// Hand-written OSV advisories against a real rpm database (testdata/rpm/rpmdb.sqlite,
// made by testdata/rpm/make.sh with rpmbuild and rpm -i --justdb) in a Rocky Linux 9
// root filesystem, read by the image inventory: advisories keyed by source RPM and
// compared at the source's version with the binary's epoch; affected, fixed,
// installed == fixed, an epoch, a dotted release, a release suffix (el9 < el9_3), a
// tilde, a caret, introduced and last_affected boundaries, a withdrawn advisory.
// Every comparison a case turns on is checked with rpm's own rpm.vercmp as well
// (hack/vuln/deps.sh installs Debian's rpm).

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/osv-scalibr/semantic"

	"github.com/kharden/kharden/internal/source/image"
)

// rpmVercmp compares EVR strings pairwise with rpm's own rpm.vercmp (rpm 4.16 and later
// compare whole epoch:version-release strings), in one run of rpm.
func rpmVercmp(t *testing.T, pairs [][2]string) []int {
	t.Helper()
	if _, err := exec.LookPath("rpm"); err != nil {
		skipOrFail(t, "no rpm to check version order with: run hack/vuln/deps.sh (apt-get install rpm)")
	}
	var lua strings.Builder
	lua.WriteString("%{lua: local p = {")
	for _, p := range pairs {
		for _, v := range p {
			if strings.ContainsAny(v, `"\%{}`) {
				t.Fatalf("version %q cannot be passed to rpm --eval", v)
			}
		}
		fmt.Fprintf(&lua, "{%q,%q},", p[0], p[1])
	}
	lua.WriteString(`}; for i=1,#p do print(rpm.vercmp(p[i][1], p[i][2]) .. "\n") end}`)
	out, err := exec.Command("rpm", "--eval", lua.String()).Output()
	if err != nil {
		t.Fatalf("rpm --eval: %v", err)
	}
	f := strings.Fields(string(out))
	if len(f) != len(pairs) {
		t.Fatalf("rpm.vercmp answered %q for %d pairs", out, len(pairs))
	}
	res := make([]int, len(f))
	for i, s := range f {
		if res[i], err = strconv.Atoi(s); err != nil {
			t.Fatalf("rpm.vercmp: %q", s)
		}
	}
	return res
}

// rpmPackages reads the fixture's rpm database as part of a Rocky Linux 9 root
// filesystem.
func rpmPackages(t *testing.T) []Package {
	t.Helper()
	db, err := os.ReadFile("testdata/rpm/rpmdb.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for name, body := range map[string][]byte{
		"etc/os-release":           []byte("NAME=\"Rocky Linux\"\nVERSION=\"9.4 (Blue Onyx)\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.4\"\nPRETTY_NAME=\"Rocky Linux 9.4 (Blue Onyx)\"\n"),
		"var/lib/rpm/rpmdb.sqlite": db,
	} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	im, err := image.Scan(context.Background(), "rootfs:"+root, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pkgs := FromImage(im)
	if len(pkgs) != 6 {
		t.Fatalf("%d packages read from the rpm database, want testdata/rpm/expected.txt's 6: %+v", len(pkgs), pkgs)
	}
	return pkgs
}

func TestRpmAdvisories(t *testing.T) {
	pkgs := rpmPackages(t)
	// The version each source RPM is compared at.
	at := map[string]string{}
	for _, p := range pkgs {
		if p.Ecosystem != "Rocky Linux:9" || p.Location.File != "/var/lib/rpm/rpmdb.sqlite" {
			t.Fatalf("package %+v: want Rocky Linux:9, from /var/lib/rpm/rpmdb.sqlite", p)
		}
		k := p.keys()
		if len(k) != 1 {
			t.Fatalf("keys of %s: %+v", p.Name, k)
		}
		at[k[0].name] = k[0].version
	}
	// kh-ssl and kh-ssl-libs have epoch 1; their source RPM's file name has none.
	if at["kh-ssl"] != "1:3.0.7-24.el9" || at["kh-tilde"] != "2.0~rc1-1.el9" || at["kh-caret"] != "1.0^20230101git3e4f5a6-2.el9" ||
		at["kh-kernel"] != "5.14.0-427.13.1.el9_4" {
		t.Fatalf("source RPMs and their versions: %v", at)
	}

	type event struct{ kind, v string }
	cases := []struct {
		id, pkg  string
		events   []event
		withdraw bool
		affected bool
		fixed    string
	}{
		{"RLSA-9001", "kh-ssl", []event{{"introduced", "0"}, {"fixed", "1:3.0.7-25.el9"}}, false, true, "1:3.0.7-25.el9"},
		{"RLSA-9002", "kh-ssl", []event{{"introduced", "0"}, {"fixed", "1:3.0.7-24.el9"}}, false, false, ""},
		// The epoch outweighs a later upstream version.
		{"RLSA-9003", "kh-ssl", []event{{"introduced", "0"}, {"fixed", "3.0.9-1.el9"}}, false, false, ""},
		// A release that goes on (el9 < el9_3).
		{"RLSA-9004", "kh-ssl", []event{{"introduced", "0"}, {"fixed", "1:3.0.7-24.el9_3"}}, false, true, "1:3.0.7-24.el9_3"},
		// A tilde sorts before the release it precedes, and rc after beta.
		{"RLSA-9005", "kh-tilde", []event{{"introduced", "0"}, {"fixed", "2.0-1.el9"}}, false, true, "2.0-1.el9"},
		{"RLSA-9006", "kh-tilde", []event{{"introduced", "0"}, {"fixed", "2.0~beta2-1.el9"}}, false, false, ""},
		{"RLSA-9007", "kh-tilde", []event{{"introduced", "0"}, {"last_affected", "2.0~rc1-1.el9"}}, false, true, ""},
		// A caret sorts after the version it follows, before the next one.
		{"RLSA-9008", "kh-caret", []event{{"introduced", "0"}, {"fixed", "1.0-3.el9"}}, false, false, ""},
		{"RLSA-9009", "kh-caret", []event{{"introduced", "0"}, {"fixed", "1.0.1-1.el9"}}, false, true, "1.0.1-1.el9"},
		{"RLSA-9010", "kh-caret", []event{{"introduced", "1.0^20230101git3e4f5a6-2.el9"}, {"fixed", "1.1-1.el9"}}, false, true, "1.1-1.el9"},
		{"RLSA-9011", "kh-caret", []event{{"introduced", "1.0^20230101git3e4f5a6-3.el9"}}, false, false, ""},
		// Release components compare as numbers.
		{"RLSA-9012", "kh-kernel", []event{{"introduced", "0"}, {"fixed", "5.14.0-427.13.1.el9_4"}}, false, false, ""},
		{"RLSA-9013", "kh-kernel", []event{{"introduced", "0"}, {"fixed", "5.14.0-427.16.1.el9_4"}}, false, true, "5.14.0-427.16.1.el9_4"},
		{"RLSA-9014", "kh-kernel", []event{{"introduced", "0"}, {"fixed", "5.14.0-427.9.1.el9_4"}}, false, false, ""},
		{"RLSA-9015", "kh-release", []event{{"introduced", "0"}, {"last_affected", "4.18.0-2.el9"}}, false, false, ""},
		{"RLSA-9016", "kh-kernel", []event{{"introduced", "0"}}, true, false, ""},
		// Keyed by a binary RPM, not its source: Rocky's advisories name source RPMs.
		{"RLSA-9017", "kh-ssl-libs", []event{{"introduced", "0"}}, false, false, ""},
	}
	// Every comparison the cases turn on, asked of rpm at once.
	var pairs [][2]string
	for _, c := range cases {
		for _, e := range c.events {
			if e.v != "0" {
				pairs = append(pairs, [2]string{at[c.pkg], e.v})
			}
		}
	}
	rpmSays := map[[2]string]int{}
	for i, c := range rpmVercmp(t, pairs) {
		rpmSays[pairs[i]] = c
	}
	src := memSource{}
	for _, c := range cases {
		var evs []string
		for _, e := range c.events {
			evs = append(evs, fmt.Sprintf(`{%q:%q}`, e.kind, e.v))
		}
		withdrawn := ""
		if c.withdraw {
			withdrawn = `"withdrawn":"2025-01-01T00:00:00Z",`
		}
		src.add(entry(t, fmt.Sprintf(`{"id":%q,%s"affected":[{"package":{"ecosystem":"Rocky Linux:9","name":%q},
			"ranges":[{"type":"ECOSYSTEM","events":[%s]}]}]}`, c.id, withdrawn, c.pkg, strings.Join(evs, ","))))
		v, isSource := at[c.pkg]
		in := false
		for _, e := range c.events {
			if e.kind == "introduced" {
				in = in || e.v == "0" || rpmSays[[2]string{v, e.v}] >= 0
			}
		}
		for _, e := range c.events {
			switch e.kind {
			case "fixed":
				in = in && rpmSays[[2]string{v, e.v}] < 0
			case "last_affected":
				in = in && rpmSays[[2]string{v, e.v}] <= 0
			}
		}
		if c.withdraw || !isSource {
			in = false
		}
		if in != c.affected {
			t.Errorf("%s: rpm says %s %s is affected: %v; the case says %v", c.id, c.pkg, v, in, c.affected)
		}
	}
	res, err := Match(pkgs, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]Finding{}
	for _, f := range res.Findings {
		got[f.ID] = append(got[f.ID], f)
	}
	for _, c := range cases {
		fs := got[c.id]
		if (len(fs) > 0) != c.affected {
			t.Errorf("%s on %s %s: affected %v, want %v", c.id, c.pkg, at[c.pkg], len(fs) > 0, c.affected)
			continue
		}
		for _, f := range fs {
			if strings.Join(f.Fixed, ",") != c.fixed || f.Installed != at[c.pkg] || f.Name != c.pkg {
				t.Errorf("%s: %s (of %s) %s fixed %v, want %s %s fixed %q", c.id, f.Name, f.Package.Name, f.Installed, f.Fixed, c.pkg, at[c.pkg], c.fixed)
			}
		}
	}
	// Both binaries of the source RPM have its findings, at the database.
	if fs := got["RLSA-9001"]; len(fs) != 2 || fs[0].Package.Name != "kh-ssl" || fs[1].Package.Name != "kh-ssl-libs" ||
		fs[1].Package.Version != "1:3.0.7-24.el9" || fs[0].Package.Location.File != "/var/lib/rpm/rpmdb.sqlite" {
		t.Errorf("RLSA-9001 on %+v; want kh-ssl and kh-ssl-libs", fs)
	}
	if res.Stats.Withdrawn != 1 || len(res.Stats.Notes) != 0 {
		t.Errorf("stats: %d withdrawn, notes %v; want 1, none", res.Stats.Withdrawn, res.Stats.Notes)
	}
}

// The matcher's rpm order (osv-scalibr's Red Hat order) is rpm's, on the versions of the
// rpm database and variants of them (an epoch, a tilde and a caret in the version and in
// the release, a longer release, a letter): sorted by the matcher, each neighbour pair
// is ordered the same way by rpm.vercmp.
func TestRpmVersionOrder(t *testing.T) {
	set := map[string]bool{}
	for _, p := range rpmPackages(t) {
		evr := p.Version
		epoch, vr, ok := strings.Cut(evr, ":")
		if !ok {
			epoch, vr = "", evr
		}
		v, r, _ := strings.Cut(vr, "-")
		for _, x := range []string{
			vr, "1:" + vr, "2:" + vr, v + "~rc1-" + r, v + "~~-" + r, v + "^1-" + r, v + "^1~1-" + r, v + ".1-" + r, v + "a-" + r,
			v + "-" + r + "~1", v + "-" + r + "^1", v + "-" + r + ".1", v + "-" + r + "_1", v + "-0" + r, v,
		} {
			set[x] = true
			if epoch != "" {
				set[epoch+":"+x] = true
			}
		}
	}
	type parsed struct {
		s string
		v semantic.Version
	}
	var vs []parsed
	for s := range set {
		v, err := semantic.Parse(s, "Rocky Linux:9")
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		vs = append(vs, parsed{s, v})
	}
	slices.SortFunc(vs, func(a, b parsed) int { return cmp.Or(compare(a.v, b.v), strings.Compare(a.s, b.s)) })
	var pairs [][2]string
	for i := 1; i < len(vs); i++ {
		pairs = append(pairs, [2]string{vs[i-1].s, vs[i].s})
	}
	rpm := rpmVercmp(t, pairs)
	for i, p := range pairs {
		if want := compare(vs[i].v, vs[i+1].v); rpm[i] != want {
			t.Errorf("the matcher orders %s, %s: %d; rpm.vercmp: %d", p[0], p[1], want, rpm[i])
		}
	}
	t.Logf("%d versions in rpm's order", len(vs))
}
