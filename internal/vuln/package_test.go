package vuln

import (
	"reflect"
	"testing"

	"github.com/google/osv-scalibr/semantic"

	"github.com/kharden/kharden/internal/source/image"
)

func TestDistroEcosystem(t *testing.T) {
	for _, c := range []struct {
		typ  string
		os   image.OSRelease
		want string
	}{
		{"deb", image.OSRelease{ID: "debian", VersionID: "12"}, "Debian:12"},
		{"deb", image.OSRelease{ID: "debian", VersionCodename: "trixie"}, "Debian:13"},
		{"deb", image.OSRelease{ID: "debian"}, ""},
		{"deb", image.OSRelease{ID: "ubuntu", VersionID: "22.04", PrettyName: "Ubuntu 22.04.4 LTS"}, "Ubuntu:22.04:LTS"},
		{"deb", image.OSRelease{ID: "ubuntu", VersionID: "24.04"}, "Ubuntu:24.04:LTS"},
		{"deb", image.OSRelease{ID: "ubuntu", VersionID: "24.10", PrettyName: "Ubuntu 24.10"}, "Ubuntu:24.10"},
		{"deb", image.OSRelease{ID: "ubuntu", VersionID: "23.04"}, "Ubuntu:23.04"},
		{"apk", image.OSRelease{ID: "alpine", VersionID: "3.20.1"}, "Alpine:v3.20"},
		{"apk", image.OSRelease{ID: "alpine", VersionID: "3.21_alpha20240807"}, "Alpine:v3.21"},
		{"rpm", image.OSRelease{ID: "rhel", VersionID: "9.4"}, "Red Hat:enterprise_linux:9"},
		{"rpm", image.OSRelease{ID: "rocky", VersionID: "9.3"}, "Rocky Linux:9"},
		{"rpm", image.OSRelease{ID: "almalinux", VersionID: "8.10"}, "AlmaLinux:8"},
		{"rpm", image.OSRelease{ID: "fedora", VersionID: "40"}, ""},
		{"deb", image.OSRelease{ID: "alpine", VersionID: "3.20"}, ""},
	} {
		if got := DistroEcosystem(c.typ, &c.os); got != c.want {
			t.Errorf("%s on %+v: %q, want %q", c.typ, c.os, got, c.want)
		}
	}
	if got := DistroEcosystem("deb", nil); got != "" {
		t.Errorf("no os-release: %q", got)
	}
}

func TestGoVersionAndPyPIName(t *testing.T) {
	for in, want := range map[string]string{
		"go1.22.3": "1.22.3", "go1.20": "1.20.0", "go1.21rc2": "1.21.0-rc.2", "go1.22.3 X:nocoverageredesign": "1.22.3",
		"devel go1.23-abc": "devel go1.23-abc",
	} {
		if got := GoVersion(in); got != want {
			t.Errorf("GoVersion(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"Django": "django", "zope.interface": "zope-interface", "a__b-.c": "a-b-c"} {
		if got := PyPIName(in); got != want {
			t.Errorf("PyPIName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFromImage(t *testing.T) {
	im := &image.Image{
		Platform: "linux/arm64/v8",
		OS:       &image.OSRelease{ID: "alpine", VersionID: "3.20.3"},
		Layers:   []image.Layer{{Digest: "sha256:aaa"}, {Digest: "sha256:bbb"}},
		Packages: []image.Package{
			{Type: "apk", Name: "libcrypto3", Version: "3.3.2-r0", Source: "openssl", File: "/lib/apk/db/installed", Layer: 0},
			{Type: "golang", Name: "stdlib", Version: "go1.22.3", File: "/app", Layer: 1},
			{Type: "golang", Name: "golang.org/x/net", Version: "v0.17.0", File: "/app", Layer: 1},
			{Type: "pypi", Name: "Zope.Interface", Version: "6.0", File: "/usr/lib/python3/x/METADATA", Layer: 1},
			{Type: "maven", Name: "org.yaml:snakeyaml", Version: "1.33", File: "/app.jar", Within: "META-INF/maven/x/pom.properties", Layer: 1},
			{Type: "maven", Name: "snakeyaml", Version: "1.33", File: "/other.jar", Layer: 1},
			{Type: "npm", Name: "@babel/core", Version: "7.0.0", File: "/n/package.json", Layer: 1},
			{Type: "cargo", Name: "regex", Version: "1.5.4", File: "/rustapp", Layer: 1},
			{Type: "deb", Name: "stray", Version: "1.0", File: "/var/lib/dpkg/status", Layer: 1},
		},
	}
	got := FromImage(im)
	type brief struct{ Eco, Name, Version, Platform, Layer string }
	var b []brief
	for _, p := range got {
		b = append(b, brief{p.Ecosystem, p.Name, p.Version, p.Platform, p.Location.LayerDigest})
	}
	want := []brief{
		{"Alpine:v3.20", "libcrypto3", "3.3.2-r0", "", "sha256:aaa"},
		{"Go", "stdlib", "1.22.3", "linux/arm64", "sha256:bbb"},
		{"Go", "golang.org/x/net", "v0.17.0", "linux/arm64", "sha256:bbb"},
		{"PyPI", "zope-interface", "6.0", "", "sha256:bbb"},
		{"Maven", "org.yaml:snakeyaml", "1.33", "", "sha256:bbb"},
		{"", "snakeyaml", "1.33", "", "sha256:bbb"},
		{"npm", "@babel/core", "7.0.0", "", "sha256:bbb"},
		{"crates.io", "regex", "1.5.4", "", "sha256:bbb"},
		{"", "stray", "1.0", "", "sha256:bbb"}, // a deb on Alpine: no ecosystem
	}
	if !reflect.DeepEqual(b, want) {
		t.Errorf("FromImage:\n%+v\nwant\n%+v", b, want)
	}
	// The apk is asked by its origin.
	if k := got[0].keys(); len(k) != 1 || k[0] != (lookupKey{"Alpine:v3.20", "openssl", "3.3.2-r0"}) {
		t.Errorf("keys of libcrypto3: %+v", k)
	}
	if got[4].Location.Within != "META-INF/maven/x/pom.properties" {
		t.Errorf("location %+v", got[4].Location)
	}
}

// Alpine's version order, on cases apk-tools documents (apk-version(8) and the package
// policy): suffixes _alpha < _beta < _pre < _rc < none < _cvs < _svn < _git < _hg < _p,
// a letter after the digits, the -rN revision, numeric components compared as numbers.
func TestAlpineOrder(t *testing.T) {
	for _, c := range [][2]string{
		{"1.2.3_alpha", "1.2.3_beta"}, {"1.2.3_beta", "1.2.3_pre"}, {"1.2.3_pre", "1.2.3_rc"}, {"1.2.3_rc1", "1.2.3"},
		{"1.2.3", "1.2.3_cvs1"}, {"1.2.3_cvs1", "1.2.3_svn1"}, {"1.2.3_svn1", "1.2.3_git1"}, {"1.2.3_git1", "1.2.3_hg1"},
		{"1.2.3_hg1", "1.2.3_p1"}, {"1.2.3", "1.2.3_git20240101"}, {"1.2.3_p1", "1.2.3_p2"}, {"1.2.3_p9", "1.2.3_p10"}, {"1.2.3_rc1", "1.2.3_rc2"},
		{"1.2.3", "1.2.3a"}, {"1.2.3a", "1.2.3b"}, {"1.2.3-r0", "1.2.3-r1"}, {"1.2.3-r9", "1.2.3-r10"},
		{"1.2.3", "1.2.3-r1"}, {"1.2.3-r5", "1.2.4-r0"}, {"1.2.9", "1.2.10"}, {"1.2", "1.2.1"}, {"1.2.3", "1.10"},
		{"1.0_alpha_pre2", "1.0_alpha"},
	} {
		a := semantic.MustParse(c[0], "Alpine:v3.20")
		if got, _ := a.CompareStr(c[1]); got >= 0 {
			t.Errorf("apk orders %s before %s; the matcher: %d", c[0], c[1], got)
		}
	}
}
