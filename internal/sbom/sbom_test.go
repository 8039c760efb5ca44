package sbom

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/package-url/packageurl-go"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kharden/kharden/internal/source/image"
)

// file is a regular file of a test layer.
type file struct {
	name string
	body []byte
	mode int64
}

func layerOf(t *testing.T, files ...file) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		if f.mode == 0 {
			f.mode = 0o644
		}
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Typeflag: tar.TypeReg, Mode: f.mode, Size: int64(len(f.body))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// imageOf builds a linux/amd64 image of layers, each with the history line made.
func imageOf(t *testing.T, layers map[string][]file, order ...string) v1.Image {
	t.Helper()
	img := empty.Image
	for _, made := range order {
		var err error
		if img, err = mutate.Append(img, mutate.Addendum{Layer: layerOf(t, layers[made]...), History: v1.History{CreatedBy: made}}); err != nil {
			t.Fatal(err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

const dpkgStatus = `Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u4

Package: curl
Status: install ok installed
Architecture: amd64
Version: 7.88.1-10+deb12u5

Package: removed
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0
`

const apkInstalled = `P:musl
V:1.2.5-r0
A:x86_64
L:MIT
o:musl

P:busybox
V:1.36.1-r29
A:x86_64
L:GPL-2.0-only
o:busybox

P:ssl_client
V:1.36.1-r29
A:x86_64
L:gpl-2.0-or-later AND mit
o:busybox

P:tzdata
V:2024a-r1
A:noarch
L:Public-Domain-ish custom terms
`

// testImages builds two images from real parts and scans them: a Debian-like image
// pushed to a registry on 127.0.0.1 (so it has a digest and a repository), with this
// test's own executable as a Go binary, and an Alpine-like OCI layout.
func testImages(t *testing.T) []*image.Image {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	deb := imageOf(t, map[string][]file{
		"ADD rootfs.tar /": {
			{name: "etc/os-release", body: []byte("ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n")},
			{name: "var/lib/dpkg/status", body: []byte(dpkgStatus)},
		},
		"COPY server /app/server": {{name: "app/server", body: bin, mode: 0o755}},
	}, "ADD rootfs.tar /", "COPY server /app/server")
	alp := imageOf(t, map[string][]file{
		"ADD alpine-minirootfs.tar.gz /": {
			{name: "etc/os-release", body: []byte("ID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME=\"Alpine Linux v3.20\"\n")},
			{name: "lib/apk/db/installed", body: []byte(apkInstalled)},
		},
	}, "ADD alpine-minirootfs.tar.gz /")

	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	ref, err := name.ParseReference(host+"/team/app:1.0", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, deb); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(alp); err != nil {
		t.Fatal(err)
	}
	var out []*image.Image
	for _, r := range []string{ref.String(), "oci:" + dir} {
		im, err := image.Scan(context.Background(), r, image.Options{Insecure: true})
		if err != nil {
			t.Fatalf("scan %s: %v", r, err)
		}
		if len(im.Errors) > 0 {
			t.Fatalf("scan %s: %v", r, im.Errors)
		}
		out = append(out, im)
	}
	return out
}

// compile compiles the schema file with the schemas it refers to, each known by its
// $id, with format assertions on.
func compile(t *testing.T, main string, others ...string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	idOf := func(f string) string {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		if id == "" {
			t.Fatalf("%s has no $id", f)
		}
		if err := c.AddResource(id, doc); err != nil {
			t.Fatal(err)
		}
		return id
	}
	id := idOf(main)
	for _, f := range others {
		idOf(f)
	}
	sch, err := c.Compile(id)
	if err != nil {
		t.Fatalf("compiling %s: %v", main, err)
	}
	return sch
}

func validate(t *testing.T, sch *jsonschema.Schema, doc []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(inst)
}

func write(t *testing.T, format string, ims []*image.Image, at time.Time) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, format, ims, Options{Tool: "kharden", Version: "1.2.3", Time: at}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// damage decodes doc, lets f change it and encodes it again.
func damage(t *testing.T, doc []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkPURL parses a purl with the purl spec's reference parser and checks that it
// is written canonically (what it parses to, written again, is the same string).
func checkPURL(t *testing.T, s string) packageurl.PackageURL {
	t.Helper()
	p, err := packageurl.FromString(s)
	if err != nil {
		t.Errorf("purl %q: %v", s, err)
		return p
	}
	if p.ToString() != s {
		t.Errorf("purl %q is not canonical: %q", s, p.ToString())
	}
	return p
}

var epoch = time.Date(2026, 12, 7, 10, 30, 0, 0, time.UTC)

func TestCycloneDX(t *testing.T) {
	ims := testImages(t)
	sch := compile(t, "testdata/bom-1.6.schema.json", "testdata/spdx.schema.json", "testdata/jsf-0.82.schema.json")
	for _, set := range [][]*image.Image{ims, ims[:1], ims[1:]} {
		doc := write(t, "cyclonedx", set, epoch)
		if err := validate(t, sch, doc); err != nil {
			t.Fatalf("%d images: not valid CycloneDX 1.6:\n%v\n%s", len(set), err, doc)
		}
	}

	doc := write(t, "cyclonedx", ims, epoch)
	var bom cdxBOM
	if err := json.Unmarshal(doc, &bom); err != nil {
		t.Fatal(err)
	}
	if bom.Metadata.Timestamp != "2026-12-07T10:30:00Z" || bom.Metadata.Tools.Components[0].Name != "kharden" ||
		bom.Metadata.Tools.Components[0].Version != "1.2.3" || !strings.HasPrefix(bom.SerialNumber, "urn:uuid:") {
		t.Errorf("metadata: %+v, serial %s", bom.Metadata, bom.SerialNumber)
	}
	if len(bom.Components) != len(ims) {
		t.Fatalf("%d top-level components, want one per image", len(bom.Components))
	}
	refs := map[string]bool{}
	for i, top := range bom.Components {
		im := ims[i]
		if top.Type != "container" || top.Name != im.Name || top.Version != im.Digest {
			t.Errorf("image %d: %+v", i, top)
		}
		if i == 0 { // pulled from the registry: pkg:oci/app@sha256:...?repository_url=HOST/team/app
			p := checkPURL(t, top.PURL)
			if p.Type != "oci" || p.Name != "app" || p.Version != im.Digest || p.Qualifiers.Map()["repository_url"] == "" {
				t.Errorf("image purl %s", top.PURL)
			}
		}
		// The OS, then every package of the inventory, each with its purl, file and layer.
		if len(top.Components) != 1+len(im.Packages) {
			t.Fatalf("image %d holds %d components, want the OS and %d packages", i, len(top.Components), len(im.Packages))
		}
		if c := top.Components[0]; c.Type != "operating-system" || c.Name != im.OS.ID || c.Version != im.OS.VersionID {
			t.Errorf("OS component %+v, want %s %s", c, im.OS.ID, im.OS.VersionID)
		}
		for j, p := range im.Packages {
			c := top.Components[j+1]
			if c.Name != p.Name || c.Version != p.Version || c.PURL != p.PURL {
				t.Errorf("component %+v, package %+v", c, p)
			}
			checkPURL(t, c.PURL)
			props := map[string]string{}
			for _, pr := range c.Properties {
				props[pr.Name] = pr.Value
			}
			l := im.Layers[p.Layer]
			if props["kharden:file"] != p.File || props["kharden:layer:digest"] != l.Digest || props["kharden:layer:createdBy"] != l.CreatedBy ||
				c.Evidence == nil || c.Evidence.Occurrences[0].Location != p.File {
				t.Errorf("%s: properties %v, evidence %+v; want file %s, layer %s (%s)", p.Name, props, c.Evidence, p.File, l.Digest, l.CreatedBy)
			}
			refs[c.BOMRef] = true
		}
	}
	// The dependency graph names existing components only.
	for _, d := range bom.Dependencies {
		for _, r := range d.DependsOn {
			if !refs[r] && !strings.HasPrefix(r, "os-") {
				t.Errorf("dependency on unknown component %q", r)
			}
		}
	}

	// Licences: an SPDX ID, an expression normalised, free text as a name.
	lic := map[string]string{}
	for _, c := range bom.Components[1].Components {
		if len(c.Licenses) == 1 {
			b, _ := json.Marshal(c.Licenses[0])
			lic[c.Name] = string(b)
		}
	}
	for n, want := range map[string]string{
		"musl":       `{"license":{"id":"MIT"}}`,
		"busybox":    `{"license":{"id":"GPL-2.0-only"}}`,
		"ssl_client": `{"expression":"GPL-2.0-or-later AND MIT"}`,
		"tzdata":     `{"license":{"name":"Public-Domain-ish custom terms"}}`,
	} {
		if lic[n] != want {
			t.Errorf("%s licence %s, want %s", n, lic[n], want)
		}
	}

	// One image is the BOM's subject.
	var one cdxBOM
	if err := json.Unmarshal(write(t, "cyclonedx", ims[:1], epoch), &one); err != nil {
		t.Fatal(err)
	}
	if one.Metadata.Component == nil || one.Metadata.Component.Type != "container" || len(one.Components) != 1+len(ims[0].Packages) {
		t.Errorf("one image: metadata.component %+v, %d components", one.Metadata.Component, len(one.Components))
	}

	// The schema has teeth.
	for what, f := range map[string]func(m map[string]any){
		"specVersion 9":     func(m map[string]any) { m["specVersion"] = 9 },
		"serial not a UUID": func(m map[string]any) { m["serialNumber"] = "1234" },
		"component typo":    func(m map[string]any) { m["components"].([]any)[0].(map[string]any)["type"] = "image" },
		"unknown licence id": func(m map[string]any) {
			c := m["components"].([]any)[1].(map[string]any)["components"].([]any)[1].(map[string]any)
			c["licenses"] = []any{map[string]any{"license": map[string]any{"id": "NOT-A-LICENCE"}}}
		},
	} {
		if validate(t, sch, damage(t, doc, f)) == nil {
			t.Errorf("%s: the schema accepts it", what)
		}
	}
}

var spdxIDPattern = regexp.MustCompile(`^SPDXRef-[A-Za-z0-9.-]+$`)

func TestSPDX(t *testing.T) {
	ims := testImages(t)
	sch := compile(t, "testdata/spdx-schema-2.3.json")
	doc := write(t, "spdx-json", ims, epoch)
	if err := validate(t, sch, doc); err != nil {
		t.Fatalf("not valid SPDX 2.3:\n%v\n%s", err, doc)
	}
	for what, f := range map[string]func(m map[string]any){
		"no creationInfo":      func(m map[string]any) { delete(m, "creationInfo") },
		"package without name": func(m map[string]any) { delete(m["packages"].([]any)[0].(map[string]any), "name") },
		"relationship typo": func(m map[string]any) {
			m["relationships"].([]any)[0].(map[string]any)["relationshipType"] = "HOLDS"
		},
	} {
		if validate(t, sch, damage(t, doc, f)) == nil {
			t.Errorf("%s: the schema accepts it", what)
		}
	}

	var d spdxDoc
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	if d.SPDXVersion != "SPDX-2.3" || d.DataLicense != "CC0-1.0" || d.CreationInfo.Created != "2026-12-07T10:30:00Z" ||
		d.CreationInfo.Creators[0] != "Tool: kharden-1.2.3" || !strings.HasPrefix(d.DocumentNamespace, "https://kharden.io/spdx/image/") {
		t.Errorf("document: %+v", d)
	}
	// What the schema does not check: identifiers, references, licence references.
	byID := map[string]*spdxPackage{}
	for _, p := range d.Packages {
		if !spdxIDPattern.MatchString(p.SPDXID) {
			t.Errorf("SPDXID %q", p.SPDXID)
		}
		if byID[p.SPDXID] != nil {
			t.Errorf("SPDXID %q twice", p.SPDXID)
		}
		byID[p.SPDXID] = p
		for _, r := range p.ExternalRefs {
			if r.ReferenceType == "purl" {
				checkPURL(t, r.ReferenceLocator)
			}
		}
	}
	defined := map[string]bool{}
	for _, e := range d.ExtractedLicences {
		defined[e.LicenseID] = true
	}
	contains := map[string][]string{}
	describes := 0
	for _, r := range d.Relationships {
		if r.Element != "SPDXRef-DOCUMENT" && byID[r.Element] == nil || byID[r.Related] == nil {
			t.Errorf("relationship %+v names an unknown element", r)
		}
		switch r.Type {
		case "DESCRIBES":
			describes++
		case "CONTAINS":
			contains[r.Element] = append(contains[r.Element], r.Related)
		}
	}
	if describes != len(ims) {
		t.Errorf("the document describes %d elements, want %d images", describes, len(ims))
	}
	for i, im := range ims {
		id := "SPDXRef-Image-" + string(rune('1'+i))
		ip := byID[id]
		if ip == nil || ip.PrimaryPackagePurpose != "CONTAINER" || ip.Name != im.Name {
			t.Fatalf("image %d package %+v", i, ip)
		}
		held := contains[id]
		if len(held) != 1+len(im.Packages) {
			t.Fatalf("image %d contains %d elements, want the OS and %d packages", i, len(held), len(im.Packages))
		}
		if os := byID[held[0]]; os.PrimaryPackagePurpose != "OPERATING_SYSTEM" || os.Name != im.OS.ID || os.VersionInfo != im.OS.VersionID {
			t.Errorf("OS package %+v", os)
		}
		for j, p := range im.Packages {
			sp := byID[held[j+1]]
			if sp.Name != p.Name || sp.VersionInfo != p.Version || len(sp.ExternalRefs) != 1 || sp.ExternalRefs[0].ReferenceLocator != p.PURL {
				t.Errorf("package %+v, inventory %+v", sp, p)
			}
			if !strings.Contains(sp.SourceInfo, p.File) || !strings.Contains(sp.SourceInfo, im.Short(p.Layer)) {
				t.Errorf("%s: sourceInfo %q lacks %s and %s", p.Name, sp.SourceInfo, p.File, im.Short(p.Layer))
			}
			if strings.HasPrefix(sp.LicenseDeclared, "LicenseRef-") && !defined[sp.LicenseDeclared] {
				t.Errorf("%s: %s is not defined in hasExtractedLicensingInfos", p.Name, sp.LicenseDeclared)
			}
		}
	}
	lic := map[string]string{}
	for _, p := range d.Packages {
		lic[p.Name] = p.LicenseDeclared
	}
	for n, want := range map[string]string{"musl": "MIT", "ssl_client": "GPL-2.0-or-later AND MIT", "tzdata": "LicenseRef-Public-Domain-ish-custom-terms", "curl": "NOASSERTION"} {
		if lic[n] != want {
			t.Errorf("%s: licenseDeclared %q, want %q", n, lic[n], want)
		}
	}
}

// TestReproducible: the same images and time give the same bytes; another time gives
// another serial number and namespace.
func TestReproducible(t *testing.T) {
	ims := testImages(t)
	for _, f := range Formats {
		a, b := write(t, f, ims, epoch), write(t, f, ims, epoch)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two runs differ", f)
		}
		if c := write(t, f, ims, epoch.Add(time.Second)); bytes.Equal(a, c) {
			t.Errorf("%s: another time gives the same document", f)
		}
	}
	var serials []string
	for _, at := range []time.Time{epoch, epoch.Add(time.Hour)} {
		var bom cdxBOM
		if err := json.Unmarshal(write(t, "cyclonedx", ims, at), &bom); err != nil {
			t.Fatal(err)
		}
		serials = append(serials, bom.SerialNumber)
	}
	if serials[0] == serials[1] {
		t.Errorf("serial number %s for two times", serials[0])
	}
}

func TestTime(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "SOURCE_DATE_EPOCH" {
				return v
			}
			return ""
		}
	}
	got, err := Time(env("1796639400"))
	if err != nil || !got.Equal(time.Unix(1796639400, 0)) {
		t.Errorf("SOURCE_DATE_EPOCH=1796639400: %v, %v", got, err)
	}
	for _, bad := range []string{"yesterday", "-5", "1.5"} {
		if _, err := Time(env(bad)); err == nil {
			t.Errorf("SOURCE_DATE_EPOCH=%s accepted", bad)
		}
	}
	if now, err := Time(env("")); err != nil || time.Since(now) > time.Minute {
		t.Errorf("no SOURCE_DATE_EPOCH: %v, %v", now, err)
	}
}
