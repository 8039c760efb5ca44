package vuln

// Hand-written OSV advisories against an Alpine root filesystem with a package database
// in apk's own format (lib/apk/db/installed), read by the image inventory as any Alpine
// image is: advisories keyed by origin package; affected, fixed, installed == fixed,
// the last_affected boundary, -rN revisions, _p, _rc, _pre and _alpha suffixes, a
// letter after the digits, an introduced above the version, a withdrawn advisory. No
// apk runs here, so every comparison a case turns on is taken from apk-tools' own
// version test data (testdata/apk-version.data) and the verdict derived from it, beside
// what the matcher says.

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/osv-scalibr/semantic"

	"github.com/kharden/kharden/internal/source/image"
)

// apkOrder is apk-tools' version test data: the order of each listed pair, both ways.
type apkOrder map[[2]string]int

func readAPKOrder(t *testing.T) apkOrder {
	t.Helper()
	f, err := os.Open("testdata/apk-version.data")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	o := apkOrder{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("apk-version.data: %q", line)
		}
		c := map[string]int{"<": -1, "=": 0, ">": 1}[f[1]]
		o[[2]string{f[0], f[2]}] = c
		o[[2]string{f[2], f[0]}] = -c
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return o
}

// says tells whether a op b (lt, le, ge) by apk's test data; a pair it does not list
// fails the test, as the case could not be checked.
func (o apkOrder) says(t *testing.T, a, op, b string) bool {
	t.Helper()
	c, ok := o[[2]string{a, b}]
	if a == b {
		c, ok = 0, true
	}
	if !ok {
		t.Fatalf("apk-tools' version data does not order %s and %s: the case cannot be checked", a, b)
	}
	switch op {
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	case "ge":
		return c >= 0
	}
	t.Fatalf("op %s", op)
	return false
}

// The matcher's Alpine order agrees with every pair of apk-tools' test data kept here.
func TestAlpineVersionData(t *testing.T) {
	o := readAPKOrder(t)
	for p, want := range o {
		a, err := semantic.Parse(p[0], "Alpine:v3.20")
		if err != nil {
			t.Fatalf("%s: %v", p[0], err)
		}
		got, err := a.CompareStr(p[1])
		if err != nil {
			t.Fatalf("%s: %v", p[1], err)
		}
		if max(-1, min(got, 1)) != want {
			t.Errorf("apk orders %s %s: %d; the matcher: %d", p[0], p[1], want, got)
		}
	}
}

// apkEntry writes one package of lib/apk/db/installed as apk does.
func apkEntry(i int, name, version, origin string) string {
	return fmt.Sprintf(`C:Q1%027d=
P:%s
V:%s
A:x86_64
S:%d
I:%d
T:kharden test package %s
U:https://example.org/%s
L:MIT
o:%s
m:kharden tests <tests@example.org>
t:%d
c:%040x
D:so:libc.musl-x86_64.so.1
F:usr/share/%s
R:README
a:0:0:644
Z:Q1%027d=

`, i, name, version, 4096+i, 16384+i, name, origin, origin, 1715000000+i, i, name, i)
}

func TestAlpineAdvisories(t *testing.T) {
	order := readAPKOrder(t)
	// name, version, origin: two binaries of one origin, and one package per order
	// question.
	installed := [][3]string{
		{"kh-rev-libs", "1.3.5-r8", "kh-rev"},
		{"kh-rev-tools", "1.3.5-r8", "kh-rev"},
		{"kh-rev10", "1.3.5-r10", "kh-rev10"},
		{"kh-patch", "4.5_p1", "kh-patch"},
		{"kh-p10", "1.0_p10-r0", "kh-p10"},
		{"kh-rc", "0.10.1_rc1", "kh-rc"},
		{"kh-pre", "6.0_pre1", "kh-pre"},
		{"kh-alpha", "1.1_alpha1", "kh-alpha"},
		{"kh-alpha-pre", "0.1.0_alpha", "kh-alpha-pre"},
		{"kh-letter", "1.7", "kh-letter"},
	}
	root := t.TempDir()
	var db strings.Builder
	for i, p := range installed {
		db.WriteString(apkEntry(i, p[0], p[1], p[2]))
	}
	for name, body := range map[string]string{
		"etc/os-release":       "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME=\"Alpine Linux v3.20\"\n",
		"lib/apk/db/installed": db.String(),
	} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	im, err := image.Scan(context.Background(), "rootfs:"+root, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pkgs := FromImage(im)
	if len(pkgs) != len(installed) {
		t.Fatalf("%d packages read from the apk database, want %d: %+v", len(pkgs), len(installed), pkgs)
	}
	versionOf := map[string]string{}
	for _, p := range pkgs {
		if p.Ecosystem != "Alpine:v3.20" || p.Location.File != "/lib/apk/db/installed" || p.Source == "" {
			t.Fatalf("package %+v: want Alpine:v3.20, from /lib/apk/db/installed, with its origin", p)
		}
		versionOf[p.Source] = p.Version
	}

	type event struct{ kind, v string }
	cases := []struct {
		id, pkg  string
		events   []event
		withdraw bool
		affected bool
		fixed    string
	}{
		{"ALPINE-9001", "kh-rev", []event{{"introduced", "0"}, {"fixed", "1.3.5-r9"}}, false, true, "1.3.5-r9"},
		{"ALPINE-9002", "kh-rev", []event{{"introduced", "0"}, {"fixed", "1.3.5-r8"}}, false, false, ""},
		// -r10 after -r8: revisions compare as numbers, not strings.
		{"ALPINE-9003", "kh-rev10", []event{{"introduced", "0"}, {"fixed", "1.3.5-r8"}}, false, false, ""},
		{"ALPINE-9004", "kh-rev10", []event{{"introduced", "0"}, {"last_affected", "1.3.5-r10"}}, false, true, ""},
		{"ALPINE-9005", "kh-rev10", []event{{"introduced", "0"}, {"last_affected", "1.3.5-r8"}}, false, false, ""},
		{"ALPINE-9006", "kh-patch", []event{{"introduced", "0"}, {"fixed", "4.5_p1-r1"}}, false, true, "4.5_p1-r1"},
		{"ALPINE-9007", "kh-patch", []event{{"introduced", "4.5_p1-r1"}}, false, false, ""},
		{"ALPINE-9008", "kh-p10", []event{{"introduced", "0"}, {"fixed", "1.0_p9-r0"}}, false, false, ""},
		{"ALPINE-9009", "kh-rc", []event{{"introduced", "0"}, {"fixed", "0.10.0"}}, false, false, ""},
		{"ALPINE-9010", "kh-pre", []event{{"introduced", "0"}, {"fixed", "6.0"}}, false, true, "6.0"},
		{"ALPINE-9011", "kh-alpha", []event{{"introduced", "0"}, {"fixed", "1.1"}}, false, true, "1.1"},
		{"ALPINE-9012", "kh-alpha-pre", []event{{"introduced", "0"}, {"fixed", "0.1.0_alpha_pre2"}}, false, false, ""},
		{"ALPINE-9013", "kh-alpha-pre", []event{{"introduced", "0.1.0_alpha_pre2"}, {"fixed", "0.1.0_alpha2"}}, false, true, "0.1.0_alpha2"},
		{"ALPINE-9014", "kh-letter", []event{{"introduced", "0"}, {"fixed", "1.7b"}}, false, true, "1.7b"},
		{"ALPINE-9015", "kh-rev", []event{{"introduced", "0"}}, true, false, ""},
		// Keyed by a binary package, not its origin: Alpine's advisories name origins,
		// and the matcher asks by origin.
		{"ALPINE-9016", "kh-rev-libs", []event{{"introduced", "0"}}, false, false, ""},
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
		src.add(entry(t, fmt.Sprintf(`{"id":%q,%s"affected":[{"package":{"ecosystem":"Alpine:v3.20","name":%q},
			"ranges":[{"type":"ECOSYSTEM","events":[%s]}]}]}`, c.id, withdrawn, c.pkg, strings.Join(evs, ","))))
		// What apk's own order says of the same versions.
		v, isOrigin := versionOf[c.pkg]
		in := false
		for _, e := range c.events {
			if e.kind == "introduced" {
				in = in || e.v == "0" || order.says(t, v, "ge", e.v)
			}
		}
		for _, e := range c.events {
			switch e.kind {
			case "fixed":
				in = in && order.says(t, v, "lt", e.v)
			case "last_affected":
				in = in && order.says(t, v, "le", e.v)
			}
		}
		if c.withdraw || !isOrigin {
			in = false
		}
		if in != c.affected {
			t.Errorf("%s: apk's order says %s %s is affected: %v; the case says %v", c.id, c.pkg, v, in, c.affected)
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
			t.Errorf("%s on %s %s: affected %v, want %v", c.id, c.pkg, versionOf[c.pkg], len(fs) > 0, c.affected)
			continue
		}
		for _, f := range fs {
			if strings.Join(f.Fixed, ",") != c.fixed || f.Installed != versionOf[c.pkg] || f.Name != c.pkg || f.Package.Source != c.pkg {
				t.Errorf("%s: %s (of %s) %s fixed %v, want %s %s fixed %q", c.id, f.Name, f.Package.Name, f.Installed, f.Fixed, c.pkg, versionOf[c.pkg], c.fixed)
			}
		}
	}
	// Every binary of an affected origin has the finding, at the database.
	if fs := got["ALPINE-9001"]; len(fs) != 2 || fs[0].Package.Name != "kh-rev-libs" || fs[1].Package.Name != "kh-rev-tools" ||
		fs[0].Package.Location.File != "/lib/apk/db/installed" {
		t.Errorf("ALPINE-9001 on %+v; want kh-rev-libs and kh-rev-tools, both of origin kh-rev", fs)
	}
	if res.Stats.Withdrawn != 1 || len(res.Stats.Notes) != 0 {
		t.Errorf("stats: %d withdrawn, notes %v; want 1, none", res.Stats.Withdrawn, res.Stats.Notes)
	}
}
