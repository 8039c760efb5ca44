package image

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// rawImage is an image of uncompressed layers given as bytes, whose digests the
// manifest records as they are.
func rawImage(t *testing.T, layers ...[]byte) v1.Image {
	t.Helper()
	img := empty.Image
	for _, b := range layers {
		var err error
		if img, err = mutate.AppendLayers(img, static.NewLayer(b, types.OCIUncompressedLayer)); err != nil {
			t.Fatal(err)
		}
	}
	return img
}

// layerBlob is the path of the blob of layer i in a layout written by writeLayout.
func layerBlob(t *testing.T, dir string, img v1.Image, i int) string {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	d, err := ls[i].Digest()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "blobs", d.Algorithm, d.Hex)
}

func scanErr(t *testing.T, ref string, o Options) error {
	t.Helper()
	_, err := Scan(context.Background(), ref, o)
	if err == nil {
		t.Fatalf("Scan(%s) read a bad image without error", ref)
	}
	return err
}

func TestTruncatedLayer(t *testing.T) {
	good := tarOf(t, reg("etc/os-release", strings.Repeat("ID=debian\n", 200)), reg("b", "x"))
	img := rawImage(t, good)
	dir := writeLayout(t, img)
	blob := layerBlob(t, dir, img, 0)
	if err := os.WriteFile(blob, good[:700], 0o644); err != nil {
		t.Fatal(err)
	}
	err := scanErr(t, "oci:"+dir, Options{})
	if !strings.Contains(err.Error(), "truncated") || !strings.Contains(err.Error(), "layer 1") {
		t.Errorf("err = %v, want a truncated layer 1", err)
	}
}

func TestDigestMismatch(t *testing.T) {
	good := tarOf(t, reg("etc/passwd", "root:x:0:0::/root:/bin/sh\n"))
	img := rawImage(t, good)
	dir := writeLayout(t, img)
	// Same size, still a valid tar, one byte of content changed.
	bad := bytes.Replace(good, []byte("root:x:0"), []byte("root:y:0"), 1)
	if err := os.WriteFile(layerBlob(t, dir, img, 0), bad, 0o644); err != nil {
		t.Fatal(err)
	}
	err := scanErr(t, "oci:"+dir, Options{})
	if !errors.Is(err, ErrDigest) {
		t.Errorf("err = %v, want ErrDigest", err)
	}

	// A docker-archive has no layer digests: its layers are checked against the
	// configuration's diff_ids.
	arch := writeDockerArchive(t, rawImage(t, good))
	b, err := os.ReadFile(arch)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("root:x:0"))
	if i < 0 {
		t.Fatal("the layer is not stored uncompressed")
	}
	b[i+5] = 'y'
	if err := os.WriteFile(arch, b, 0o644); err != nil {
		t.Fatal(err)
	}
	err = scanErr(t, "docker-archive:"+arch, Options{})
	if !errors.Is(err, ErrDigest) || !strings.Contains(err.Error(), "the configuration says") {
		t.Errorf("err = %v, want a diff_id mismatch", err)
	}
}

func TestLayerThatIsNotATar(t *testing.T) {
	img := rawImage(t, bytes.Repeat([]byte("not a tar archive at all "), 100))
	err := scanErr(t, "oci:"+writeLayout(t, img), Options{})
	if !strings.Contains(err.Error(), "not a tar archive") {
		t.Errorf("err = %v", err)
	}
}

// TestPathsOutsideTheRoot: entries with .. that leave the root are skipped with a
// note, links are resolved inside the image whatever they say.
func TestPathsOutsideTheRoot(t *testing.T) {
	img := imageOf(t, v1.Config{}, "amd64", step{"ADD", []file{
		reg("../../etc/evil", "x"),
		reg("a/../../b", "x"),
		reg("ok/../fine", "x"),
		sym("etc", "/../../../../etc-real"),
		dir("etc-real/"), reg("etc-real/os-release", "ID=wolfi\n"),
		sym("up", "../../../.."),
		hard("h", "../../../etc/shadow"),
	}})
	im := scan(t, "oci:"+writeLayout(t, img), Options{})
	if got, want := paths(im.FS), []string{"/etc -> /../../../../etc-real", "/etc-real/os-release", "/fine", "/up -> ../../../.."}; !slices.Equal(got, want) {
		t.Errorf("final filesystem %q, want %q", got, want)
	}
	if im.OS == nil || im.OS.ID != "wolfi" || im.OS.File != "/etc-real/os-release" {
		t.Errorf("OS %+v: /etc/os-release through an absolute link must resolve inside the image", im.OS)
	}
	if _, p, err := im.FS.Stat("/up/up/etc-real"); err != nil || p != "/etc-real" {
		t.Errorf("../.. beyond the root: %q %v", p, err)
	}
	if len(im.Notes) != 3 {
		t.Errorf("notes: %+v, want 3 skipped entries", im.Notes)
	}
}

func TestSymlinkLoops(t *testing.T) {
	img := imageOf(t, v1.Config{}, "amd64", step{"ADD", []file{
		sym("etc/os-release", "os-release2"), sym("etc/os-release2", "/etc/os-release"),
		sym("loop", "loop"),
		reg("loop/inside", "x"),
		sym("usr/lib/os-release", "../../usr/lib/os-release"),
	}})
	im := scan(t, "oci:"+writeLayout(t, img), Options{})
	if _, _, err := im.FS.Stat("/loop"); !errors.Is(err, ErrLoop) {
		t.Errorf("Stat(/loop) = %v, want ErrLoop", err)
	}
	if im.OS != nil {
		t.Errorf("OS %+v from a loop", im.OS)
	}
	var msgs []string
	for _, p := range im.Errors {
		msgs = append(msgs, p.Path+": "+p.Message)
	}
	for _, want := range []string{"/etc/os-release: too many levels of symbolic links", "/usr/lib/os-release: too many levels of symbolic links"} {
		if !slices.Contains(msgs, want) {
			t.Errorf("errors %q lack %q", msgs, want)
		}
	}
	found := false
	for _, n := range im.Notes {
		found = found || n.Path == "/loop/inside" && strings.Contains(n.Message, "too many levels")
	}
	if !found {
		t.Errorf("notes %+v: /loop/inside should be skipped", im.Notes)
	}
}

func TestCorruptDatabases(t *testing.T) {
	corrupt := dpkgEntry("libc6", "2.36-9", "glibc") + "\nthis line is not a field\nPackage: x\n\n" +
		dpkgEntry("zlib1g", "1:1.2.13.dfsg-1", "zlib") + "\nStatus: install ok installed\nVersion: 1\n\n" +
		"Package: bin\x00ary\n"
	img := imageOf(t, v1.Config{}, "amd64", step{"ADD", []file{
		reg("var/lib/dpkg/status", corrupt),
		reg("lib/apk/db/installed", "P:musl\nV:1.2.5-r0\n\ngarbage\n\nP:noversion\n"),
	}})
	im := scan(t, "oci:"+writeLayout(t, img), Options{})
	var got []string
	for _, p := range im.Errors {
		got = append(got, strings.Join([]string{p.Path, strconv.Itoa(p.Line), p.Message}, ":"))
	}
	want := []string{
		"/lib/apk/db/installed:4:\"garbage\" is not a K:value line",
		"/lib/apk/db/installed:6:package \"noversion\" has no V: (version) line",
		"/var/lib/dpkg/status:16:\"this line is not a field\" is not a field (Name: value)",
		"/var/lib/dpkg/status:34:a paragraph with no Package field",
		"/var/lib/dpkg/status:37:a NUL byte: binary data, not a text database",
	}
	if !slices.Equal(got, want) {
		t.Errorf("errors:\n got %q\nwant %q", got, want)
	}
	if got := pkgLines(im); len(got) != 3 {
		t.Errorf("the good packages must still be read: %q", got)
	}
}

func TestLimits(t *testing.T) {
	var files []file
	for i := range 50 {
		files = append(files, reg("f/"+strconv.Itoa(i), "x"))
	}
	img := imageOf(t, v1.Config{}, "amd64", step{"ADD", files})
	dir := writeLayout(t, img)
	if err := scanErr(t, "oci:"+dir, Options{Limits: Limits{MaxEntries: 20}}); !errors.Is(err, ErrLimit) {
		t.Errorf("entries: %v", err)
	}
	if err := scanErr(t, "oci:"+dir, Options{Limits: Limits{MaxLayerBytes: 4096}}); !errors.Is(err, ErrLimit) {
		t.Errorf("layer bytes: %v", err)
	}
	big := imageOf(t, v1.Config{}, "amd64", step{"ADD", []file{reg("var/lib/dpkg/status", dpkgEntry("a", "1", "")+strings.Repeat(" x\n", 1000))}})
	im := scan(t, "oci:"+writeLayout(t, big), Options{Limits: Limits{MaxDatabaseSize: 1000}})
	if len(im.Packages) != 0 || len(im.Notes) != 1 || !strings.Contains(im.Notes[0].Message, "more than the limit") {
		t.Errorf("a database over the limit: %d packages, notes %+v", len(im.Packages), im.Notes)
	}
}

func TestNotAnImage(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.txt")
	if err := os.WriteFile(plain, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string]string{
		"oci:" + dir:                              "not an OCI image layout",
		"oci:" + plain:                            "not a directory",
		"docker-archive:" + plain:                 "not a readable tar file",
		"oci-archive:" + tarDir(t, dir):           "not an OCI image layout",
		"docker-archive:" + tarDir(t, dir):        "not a docker-archive",
		"rootfs:" + filepath.Join(dir, "missing"): "no such file",
		"oci:":             "no path",
		"Not A Reference!": "not an image reference",
	} {
		if err := scanErr(t, ref, Options{}); !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", ref, err, want)
		}
	}
}

// sparseEntry is an old-GNU sparse tar entry ('S') of name whose logical size is
// size, of which only data, at its end, is stored: a few bytes that a reader that
// trusts the size, or materialises the holes, turns into size bytes.
func sparseEntry(t *testing.T, name string, size int64, data []byte) []byte {
	t.Helper()
	h := make([]byte, 512)
	copy(h, name)
	copy(h[100:], "0000755\x00")
	copy(h[108:], "0000000\x00")
	copy(h[116:], "0000000\x00")
	copy(h[124:], fmt.Sprintf("%011o\x00", len(data)))
	copy(h[136:], "14540000000\x00")
	h[156] = 'S'
	copy(h[257:], "ustar  \x00")
	base256 := func(b []byte, v int64) {
		b[0] = 0x80
		for i := len(b) - 1; i > 0; i-- {
			b[i] = byte(v)
			v >>= 8
		}
	}
	base256(h[386:398], size-int64(len(data))) // the one stored region: offset
	base256(h[398:410], int64(len(data)))      // and length
	base256(h[483:495], size)                  // real size
	copy(h[148:], "        ")
	sum := 0
	for _, c := range h {
		sum += int(c)
	}
	copy(h[148:], fmt.Sprintf("%06o\x00 ", sum))
	out := append(h, data...)
	return append(out, make([]byte, (512-len(data)%512)%512)...)
}

// A tar bomb of another kind: files of a terabyte each, stored as a few bytes in a
// sparse entry. Their size is what the limits judge: the binary is not read, the
// package database is refused with a note, and the rest of the image is read.
func TestHugeSparseFiles(t *testing.T) {
	const tib = int64(1) << 40
	var layer []byte
	layer = append(layer, sparseEntry(t, "usr/bin/huge", tib, []byte("\x7fELF"))...)
	layer = append(layer, sparseEntry(t, "var/lib/dpkg/status", tib, []byte("Package: a\n"))...)
	layer = append(layer, sparseEntry(t, "usr/lib/python3/dist-packages/x-1.0.dist-info/METADATA", tib, []byte("Name: x\n"))...)
	layer = append(layer, tarOf(t, exe("usr/bin/curl", "curl"), reg("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"))...)
	im := scan(t, "oci:"+writeLayout(t, rawImage(t, layer)), Options{})
	if len(im.Packages) != 0 {
		t.Errorf("packages read from sparse files: %+v", im.Packages)
	}
	var notes []string
	for _, p := range append(im.Notes, im.Errors...) {
		notes = append(notes, p.Path+": "+p.Message)
	}
	if !slices.ContainsFunc(notes, func(n string) bool {
		return strings.HasPrefix(n, "/var/lib/dpkg/status: ") && strings.Contains(n, "limit")
	}) {
		t.Errorf("no note about the database's size: %q", notes)
	}
	if !slices.Contains(paths(im.FS), "/usr/bin/curl") || !slices.Contains(paths(im.FS), "/usr/bin/huge") || im.OS == nil || im.OS.ID != "debian" {
		t.Errorf("the rest of the image: files %q, os %+v", paths(im.FS), im.OS)
	}
}

// A registry with a certificate no one signed: refused, and read with Insecure
// (--insecure-registry), as its help says.
func TestSelfSignedRegistry(t *testing.T) {
	srv := httptest.NewUnstartedServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	defer srv.Close()
	ref := strings.TrimPrefix(srv.URL, "https://") + "/team/app:1"
	push(t, ref, imageOf(t, v1.Config{}, "amd64", step{"ADD", []file{exe("usr/bin/curl", "curl")}}), remote.WithTransport(srv.Client().Transport))
	if err := scanErr(t, ref, Options{}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("self-signed certificate accepted without Insecure: %v", err)
	}
	if im := scan(t, ref, Options{Insecure: true}); !slices.Contains(paths(im.FS), "/usr/bin/curl") {
		t.Errorf("read with Insecure: %q", paths(im.FS))
	}
}
