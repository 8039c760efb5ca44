package sbom

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/source/image"
)

func pkgs(im *image.Image) string {
	var out []string
	for _, p := range im.Packages {
		s := fmt.Sprintf("%s %s %s", p.Type, p.Name, p.Version)
		if p.Source != "" {
			s += " src=" + p.Source
		}
		if p.SourceVersion != "" {
			s += "@" + p.SourceVersion
		}
		if p.File != "" {
			s += " in " + p.File
		}
		if p.Layer >= 0 {
			s += fmt.Sprintf(" layer %d", p.Layer+1)
		}
		out = append(out, s)
	}
	return strings.Join(out, "\n")
}

func TestCycloneDX(t *testing.T) {
	doc, err := Parse("b.json", []byte(`{
  "bomFormat": "CycloneDX", "specVersion": "1.5",
  "metadata": {"component": {"type": "container", "name": "app", "version": "sha256:abc"}},
  "components": [
    {"type": "operating-system", "name": "Alpine", "version": "3.20.3"},
    {"type": "library", "name": "musl", "version": "1.2.5-r0", "purl": "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&upstream=musl",
     "properties": [{"name": "syft:location:0:path", "value": "/lib/apk/db/installed"}]},
    {"type": "application", "name": "app", "purl": "pkg:golang/example.com/app@v1.0.0",
     "evidence": {"occurrences": [{"location": "/usr/bin/app"}]},
     "components": [{"type": "library", "name": "net", "purl": "pkg:golang/golang.org/x/net@v0.1.0"}]},
    {"type": "library", "name": "jackson", "purl": "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.0"},
    {"type": "library", "name": "scoped", "purl": "pkg:npm/%40scope/x@1.0.0"},
    {"type": "file", "name": "/etc/passwd"}
  ]
}`))
	if err != nil {
		t.Fatal(err)
	}
	if doc.Format != "CycloneDX 1.5" || len(doc.Subjects) != 1 || doc.Packages != 5 || doc.Skipped != 1 {
		t.Fatalf("doc %+v", doc)
	}
	im := doc.Subjects[0]
	if im.Name != "app@sha256:abc" || im.OS == nil || im.OS.ID != "alpine" || im.OS.VersionID != "3.20.3" {
		t.Errorf("subject %q, OS %+v", im.Name, im.OS)
	}
	want := "apk musl 1.2.5-r0 src=musl in /lib/apk/db/installed\n" +
		"golang example.com/app v1.0.0 in /usr/bin/app\n" +
		"golang golang.org/x/net v0.1.0\n" +
		"maven com.fasterxml.jackson.core:jackson-databind 2.9.0\n" +
		"npm @scope/x 1.0.0"
	if got := pkgs(im); got != want {
		t.Errorf("packages:\n%s\nwant\n%s", got, want)
	}
}

// kharden's own BOM of several images: each container component is a subject, with
// its OS, and the layers its components name.
func TestCycloneDXSeveralImages(t *testing.T) {
	doc, err := Parse("b.json", []byte(`{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
  {"type": "container", "name": "a", "components": [
    {"type": "operating-system", "name": "debian", "version": "12"},
    {"type": "library", "name": "bash", "version": "5.2.15-2+b13", "purl": "pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&distro=debian-12",
     "properties": [{"name": "kharden:package:source", "value": "bash"}, {"name": "kharden:package:sourceVersion", "value": "5.2.15-2"},
       {"name": "kharden:file", "value": "/var/lib/dpkg/status"}, {"name": "kharden:layer:index", "value": "2"},
       {"name": "kharden:layer:digest", "value": "sha256:0123456789abcdef"}, {"name": "kharden:layer:createdBy", "value": "RUN apt-get install bash"}]}]},
  {"type": "container", "name": "b", "components": [
    {"type": "library", "name": "openssl", "purl": "pkg:rpm/rocky/openssl@3.0.7-27.el9?arch=x86_64&epoch=1&distro=rocky-9.4&upstream=openssl-3.0.7-27.el9.src.rpm"}]}
]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Subjects) != 2 {
		t.Fatalf("%d subjects", len(doc.Subjects))
	}
	a, b := doc.Subjects[0], doc.Subjects[1]
	if got := pkgs(a); got != "deb bash 5.2.15-2+b13 src=bash@5.2.15-2 in /var/lib/dpkg/status layer 2" || a.OS.ID != "debian" {
		t.Errorf("a: %s, OS %+v", got, a.OS)
	}
	if s := a.Short(1); s != "layer 2 (sha256:0123456789ab): RUN apt-get install bash" {
		t.Errorf("a's layer 2: %s", s)
	}
	// rpm: the epoch qualifier in the version, the source rpm split; the OS from the
	// distro qualifier, as the BOM names none.
	if got := pkgs(b); got != "rpm openssl 1:3.0.7-27.el9 src=openssl" || b.OS == nil || b.OS.ID != "rocky" || b.OS.VersionID != "9.4" {
		t.Errorf("b: %s, OS %+v", got, b.OS)
	}
}

func TestSPDX(t *testing.T) {
	doc, err := Parse("s.json", []byte(`{"spdxVersion": "SPDX-2.3", "name": "dir",
"packages": [
  {"SPDXID": "SPDXRef-root", "name": "/rootfs", "primaryPackagePurpose": "FILE"},
  {"SPDXID": "SPDXRef-os", "name": "debian", "versionInfo": "12", "primaryPackagePurpose": "OPERATING-SYSTEM"},
  {"SPDXID": "SPDXRef-bash", "name": "bash", "versionInfo": "5.2.15-2+b13", "sourceInfo": "acquired package info from DPKG DB: /var/lib/dpkg/status",
   "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&upstream=bash%405.2.15-2&distro=debian-12"}]},
  {"SPDXID": "SPDXRef-bsd", "name": "bsdutils", "versionInfo": "1:2.38.1-5+deb12u3",
   "sourceInfo": "found in /var/lib/dpkg/status, added by layer 1 (sha256:aaaa): ADD rootfs /",
   "annotations": [{"comment": "source package: util-linux 2.38.1-5+deb12u3"}],
   "externalRefs": [{"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl", "referenceLocator": "pkg:deb/debian/bsdutils@1:2.38.1-5%2Bdeb12u3?arch=amd64&upstream=util-linux"}]}
]}`))
	if err != nil {
		t.Fatal(err)
	}
	if doc.Format != "SPDX-2.3" || len(doc.Subjects) != 1 || doc.Skipped != 1 {
		t.Fatalf("doc %+v", doc)
	}
	im := doc.Subjects[0]
	want := "deb bash 5.2.15-2+b13 src=bash@5.2.15-2 in /var/lib/dpkg/status\n" +
		"deb bsdutils 1:2.38.1-5+deb12u3 src=util-linux@2.38.1-5+deb12u3 in /var/lib/dpkg/status layer 1"
	if got := pkgs(im); got != want || im.OS == nil || im.OS.ID != "debian" || im.OS.VersionID != "12" {
		t.Errorf("packages:\n%s\nwant\n%s\nOS %+v", got, want, im.OS)
	}
}

func TestBadSBOMs(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{"{\n  \"bomFormat\": \"CycloneDX\",\n  oops\n}", "x.json:3: not JSON"},
		{"<bom/>", "x.json:1: not JSON"},
		{`{"name": "x"}`, "x.json: neither a CycloneDX JSON BOM"},
		{`[1]`, "x.json:1: neither a CycloneDX nor an SPDX JSON document"},
		{`{"bomFormat": "CycloneDX", "specVersion": "1.3", "components": []}`, `x.json: CycloneDX "1.3": kharden reads CycloneDX 1.4 and later`},
		{`{"spdxVersion": "SPDX-3.0"}`, "x.json: SPDX-3.0: kharden reads SPDX 2.2 and 2.3 JSON"},
		{`{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"type": "library", "name": "x"}]}`, "x.json: the CycloneDX 1.6 document names no package by a package URL (purl)"},
		{"{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.6\",\n\"components\": {}}", "x.json:2: not a valid CycloneDX document"},
	} {
		_, err := Parse("x.json", []byte(c.doc))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.doc, err, c.want)
		}
	}
	// Size-bound: a file over MaxSize is refused by its size, unread.
	big := filepath.Join(t.TempDir(), "big.json")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(MaxSize + 1)
	f.Close()
	if _, err := ReadFile(big); err == nil || !strings.Contains(err.Error(), "more than the 256 MiB an SBOM may have") {
		t.Errorf("big: %v", err)
	}
	if _, err := ReadFile(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a directory: %v", err)
	}
}
