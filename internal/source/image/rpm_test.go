package image

import (
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

const rhelRelease = `NAME="Red Hat Enterprise Linux"
VERSION="9.4 (Plow)"
ID="rhel"
ID_LIKE="fedora"
VERSION_ID="9.4"
PRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"
`

// rpmExpected is what rpm -qa said of the fixtures (testdata/rpm/make.sh), one line
// per package: NAME EPOCH VERSION RELEASE ARCH SOURCERPM LICENSE.
func rpmExpected(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("testdata/rpm/expected.txt")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// rpmLine writes a package as rpm -qa --qf did for expected.txt.
func rpmLine(p Package) string {
	epoch, vr := "(none)", p.Version
	if e, rest, ok := strings.Cut(p.Version, ":"); ok {
		epoch, vr = e, rest
	}
	i := strings.LastIndexByte(vr, '-')
	sv := p.SourceVersion
	if sv == "" {
		sv = vr
	}
	return fmt.Sprintf("%s %s %s %s %s %s-%s.src.rpm %s", p.Name, epoch, vr[:i], vr[i+1:], p.Arch, p.Source, sv, p.License)
}

func readFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/rpm/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ndbOf writes header blobs in rpm's NDB format (Packages.db): one slot page, then
// each blob in 16-byte blocks with its head and tail.
func ndbOf(blobs [][]byte) []byte {
	le := binary.LittleEndian
	b := make([]byte, ndbPage)
	copy(b, "RpmP")
	le.PutUint32(b[8:], 1) // generation
	le.PutUint32(b[12:], 1)
	le.PutUint32(b[16:], uint32(len(blobs)+1)) // next package index
	for i := ndbSlotStart; i < ndbPage/ndbBlock; i++ {
		copy(b[i*ndbBlock:], "Slot")
	}
	for i, bl := range blobs {
		blocks := (ndbBlobHead + len(bl) + 12 + ndbBlock - 1) / ndbBlock
		off := len(b) / ndbBlock
		s := b[(ndbSlotStart+i)*ndbBlock:]
		le.PutUint32(s[4:], uint32(i+1))
		le.PutUint32(s[8:], uint32(off))
		le.PutUint32(s[12:], uint32(blocks))
		blob := make([]byte, blocks*ndbBlock)
		copy(blob, "BlbS")
		le.PutUint32(blob[4:], uint32(i+1))
		le.PutUint32(blob[8:], 1)
		le.PutUint32(blob[12:], uint32(len(bl)))
		copy(blob[ndbBlobHead:], bl)
		tail := blob[len(blob)-12:]
		le.PutUint32(tail[4:], uint32(len(bl)))
		copy(tail[8:], "BlbE")
		b = append(b, blob...)
	}
	return b
}

func TestRpmDatabases(t *testing.T) {
	want := rpmExpected(t)
	sqlite := readFixture(t, "rpmdb.sqlite")
	blobs, err := sqliteRpmBlobs([]byte(sqlite))
	if err != nil {
		t.Fatal(err)
	}
	var raw [][]byte
	for _, b := range blobs {
		raw = append(raw, b.blob)
	}
	for _, tc := range []struct {
		name string
		file string
		body string
	}{
		{"sqlite", "var/lib/rpm/rpmdb.sqlite", sqlite},
		{"bdb", "var/lib/rpm/Packages", readFixture(t, "Packages")},
		{"ndb", "usr/lib/sysimage/rpm/Packages.db", string(ndbOf(raw))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := imageOf(t, v1.Config{}, "amd64",
				step{"ADD rootfs.tar /", []file{reg("etc/os-release", rhelRelease), dir("var/lib/rpm/"), reg(tc.file, tc.body)}},
				step{"RUN echo unrelated", []file{reg("tmp/x", "x")}})
			im := scan(t, "oci:"+writeLayout(t, img), Options{})
			if len(im.Errors) > 0 {
				t.Fatalf("errors: %+v", im.Errors)
			}
			var got []string
			for _, p := range im.Packages {
				if p.Type != "rpm" || p.File != "/"+tc.file || p.Layer != 0 {
					t.Errorf("%s: type %s, file %s, layer %d", p.Name, p.Type, p.File, p.Layer)
				}
				got = append(got, rpmLine(p))
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("packages:\n got %q\nwant %q", got, want)
			}
			for _, p := range im.Packages {
				if p.Name == "libepoch-fixture" {
					if want := "pkg:rpm/rhel/libepoch-fixture@3.1-2?arch=x86_64&distro=rhel-9.4&epoch=7&upstream=libepoch-fixture-3.1-2.src.rpm"; p.PURL != want {
						t.Errorf("purl = %s, want %s", p.PURL, want)
					}
				}
			}
		})
	}
}

// An rpmdb rewritten by a later layer keeps the layer that first listed a package.
func TestRpmLayerOfAPackage(t *testing.T) {
	sqlite := readFixture(t, "rpmdb.sqlite")
	blobs, err := sqliteRpmBlobs([]byte(sqlite))
	if err != nil {
		t.Fatal(err)
	}
	first := ndbOf([][]byte{blobs[0].blob})
	var all [][]byte
	for _, b := range blobs {
		all = append(all, b.blob)
	}
	img := imageOf(t, v1.Config{}, "amd64",
		step{"ADD rootfs.tar /", []file{dir("usr/lib/sysimage/rpm/"), reg("usr/lib/sysimage/rpm/Packages.db", string(first)),
			dir("var/lib/"), sym("var/lib/rpm", "../../usr/lib/sysimage/rpm")}},
		step{"RUN dnf install", []file{reg("usr/lib/sysimage/rpm/Packages.db", string(ndbOf(all)))}})
	im := scan(t, "oci:"+writeLayout(t, img), Options{})
	if len(im.Packages) != len(blobs) {
		t.Fatalf("%d packages, want %d (read once through the link): %q", len(im.Packages), len(blobs), pkgLines(im))
	}
	p0, err := parseRpmHeader(blobs[0].blob)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range im.Packages {
		want := 1
		if p.Name == p0.Name {
			want = 0
		}
		if p.Layer != want {
			t.Errorf("%s: layer %d, want %d", p.Name, p.Layer, want)
		}
	}
}

// Damaged databases give positioned errors, never a panic, and keep what they can.
func TestCorruptRpmDatabases(t *testing.T) {
	sqlite := []byte(readFixture(t, "rpmdb.sqlite"))
	bdb := []byte(readFixture(t, "Packages"))
	cases := map[string][]byte{
		"sqlite truncated": sqlite[:len(sqlite)/3],
		"bdb truncated":    bdb[:len(bdb)/2],
		"garbage":          []byte("this is not a database, just words"),
	}
	flip := func(b []byte, at int) []byte {
		c := slices.Clone(b)
		for i := at; i < at+64 && i < len(c); i++ {
			c[i] ^= 0xa5
		}
		return c
	}
	for _, at := range []int{100, 4096 + 8, len(sqlite) / 2, len(sqlite) - 4096} {
		cases[fmt.Sprintf("sqlite flipped at %d", at)] = flip(sqlite, at)
	}
	for _, at := range []int{20, 4096 + 26, len(bdb) / 2} {
		cases[fmt.Sprintf("bdb flipped at %d", at)] = flip(bdb, at)
	}
	for name, b := range cases {
		pkgs, errs := parseRpmDB(b)
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" {
				t.Errorf("%s: a package without name or version: %+v", name, p)
			}
		}
		for _, e := range errs {
			if e.msg == "" {
				t.Errorf("%s: an empty error", name)
			}
		}
		t.Logf("%s: %d packages, errors %v", name, len(pkgs), errs)
	}
	// In an image, the error is at the database's path and layer.
	img := imageOf(t, v1.Config{}, "amd64", step{"ADD rootfs.tar /", []file{reg("var/lib/rpm/rpmdb.sqlite", string(cases["sqlite truncated"]))}})
	im := scan(t, "oci:"+writeLayout(t, img), Options{})
	if len(im.Errors) == 0 || im.Errors[0].Path != "/var/lib/rpm/rpmdb.sqlite" || im.Errors[0].Layer != 0 {
		t.Errorf("errors = %+v, want one at /var/lib/rpm/rpmdb.sqlite", im.Errors)
	}
}

// Only rpm's own directories hold an rpmdb: a file named Packages elsewhere is not read.
func TestRpmDatabaseOnlyWhereRpmKeepsIt(t *testing.T) {
	img := imageOf(t, v1.Config{}, "amd64", step{"ADD rootfs.tar /", []file{
		reg("usr/share/doc/rpm/Packages", "a text file about packages"),
		reg("srv/rpm/rpmdb.sqlite", "not read either"),
	}})
	im := scan(t, "oci:"+writeLayout(t, img), Options{})
	if len(im.Errors)+len(im.Packages) != 0 {
		t.Errorf("errors %+v, packages %q", im.Errors, pkgLines(im))
	}
}
