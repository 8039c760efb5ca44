package image

import (
	"archive/tar"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

const debianRelease = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
`

// dpkgEntry is a paragraph of dpkg's status file as dpkg writes it.
func dpkgEntry(name, version, source string) string {
	s := "Package: " + name + "\nStatus: install ok installed\nPriority: optional\nSection: libs\nInstalled-Size: 100\n" +
		"Maintainer: Debian <debian@example.org>\nArchitecture: amd64\nMulti-Arch: same\n"
	if source != "" {
		s += "Source: " + source + "\n"
	}
	return s + "Version: " + version + "\nDescription: the " + name + " package\n a longer description\n .\n of it\n"
}

func status(entries ...string) string { return strings.Join(entries, "\n") }

// layered is an image whose layers add, replace and remove files and packages:
//   - layer 1: the base: os-release (a link into /usr/lib), two packages, curl, wget,
//     an application directory, a distroless status.d package
//   - layer 2: curl removed by a whiteout, /opt/app made opaque with one new file, a
//     third package (status rewritten: the two first stay at layer 1)
//   - layer 3: wget removed, the status.d package removed, libc upgraded.
func layered(t testing.TB) v1.Image {
	return imageOf(t, v1.Config{User: "", Env: []string{"PATH=/usr/local/bin:/usr/bin:/bin"}}, "amd64",
		step{"ADD rootfs.tar /", []file{
			dir("etc/"), sym("etc/os-release", "../usr/lib/os-release"),
			dir("usr/"), dir("usr/lib/"), reg("usr/lib/os-release", debianRelease),
			dir("usr/bin/"), exe("usr/bin/curl", "curl"), exe("usr/bin/wget", "wget"),
			dir("var/lib/dpkg/"), reg("var/lib/dpkg/status", status(dpkgEntry("libc6", "2.36-9", "glibc"), dpkgEntry("curl", "7.88.1-10", ""))),
			dir("var/lib/dpkg/status.d/"), reg("var/lib/dpkg/status.d/tzdata", "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n"),
			reg("var/lib/dpkg/status.d/tzdata.md5sums", "abc  usr/share/zoneinfo/UTC\n"),
			dir("opt/app/"), reg("opt/app/old", "1"), dir("opt/app/sub/"), reg("opt/app/sub/deep", "2"),
		}},
		step{"RUN apt-get install -y openssl", []file{
			reg("usr/bin/.wh.curl", ""),
			reg("opt/app/new", "3"), reg("opt/app/.wh..wh..opq", ""),
			reg("var/lib/dpkg/status", status(dpkgEntry("libc6", "2.36-9", "glibc"), dpkgEntry("curl", "7.88.1-10", ""),
				dpkgEntry("openssl", "3.0.11-1~deb12u2", ""))),
		}},
		step{"RUN apt-get upgrade", []file{
			reg("usr/bin/.wh.wget", ""), reg("var/lib/dpkg/status.d/.wh.tzdata", ""),
			reg("var/lib/dpkg/status", status(dpkgEntry("libc6", "2.36-9+deb12u4", "glibc (2.36-9+deb12u4)"), dpkgEntry("curl", "7.88.1-10", ""),
				dpkgEntry("openssl", "3.0.11-1~deb12u2", ""))),
		}},
	)
}

func pkgLines(im *Image) []string {
	var out []string
	for _, p := range im.Packages {
		out = append(out, fmt.Sprintf("%s %s@%s layer %d %s", p.Type, p.Name, p.Version, p.Layer+1, p.File))
	}
	return out
}

func TestLayersApplyWhiteoutsAndOpaqueDirectories(t *testing.T) {
	im := scan(t, "oci:"+writeLayout(t, layered(t)), Options{})
	got := paths(im.FS)
	want := []string{
		"/etc/os-release -> ../usr/lib/os-release",
		"/opt/app/new",
		"/usr/lib/os-release",
		"/var/lib/dpkg/status",
		"/var/lib/dpkg/status.d/tzdata.md5sums",
	}
	if !slices.Equal(got, want) {
		t.Errorf("final filesystem:\n got %q\nwant %q", got, want)
	}
	wantPkgs := []string{
		"deb curl@7.88.1-10 layer 1 /var/lib/dpkg/status",
		"deb libc6@2.36-9+deb12u4 layer 3 /var/lib/dpkg/status",
		"deb openssl@3.0.11-1~deb12u2 layer 2 /var/lib/dpkg/status",
	}
	if got := pkgLines(im); !slices.Equal(got, wantPkgs) {
		t.Errorf("packages:\n got %q\nwant %q", got, wantPkgs)
	}
	if im.OS == nil || im.OS.ID != "debian" || im.OS.VersionID != "12" || im.OS.File != "/usr/lib/os-release" {
		t.Errorf("OS = %+v, want debian 12 read from /usr/lib/os-release", im.OS)
	}
	libc := im.Packages[1]
	if libc.Source != "glibc" || libc.SourceVersion != "2.36-9+deb12u4" {
		t.Errorf("libc6 source = %q %q", libc.Source, libc.SourceVersion)
	}
	if want := "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc"; libc.PURL != want {
		t.Errorf("purl = %s, want %s", libc.PURL, want)
	}
	if len(im.Errors) > 0 {
		t.Errorf("errors: %+v", im.Errors)
	}
	if c := im.Layers[1].CreatedBy; c != "RUN apt-get install -y openssl" {
		t.Errorf("layer 2 created by %q", c)
	}
}

// TestFinalFilesystemMatchesExtract compares the walker's final filesystem with
// go-containerregistry's own flattening of the same image (mutate.Extract).
func TestFinalFilesystemMatchesExtract(t *testing.T) {
	img := layered(t)
	rc := mutate.Extract(img)
	defer rc.Close()
	var want []string
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch h.Typeflag {
		case tar.TypeDir:
		case tar.TypeSymlink:
			want = append(want, "/"+strings.TrimPrefix(h.Name, "/")+" -> "+h.Linkname)
		default:
			want = append(want, "/"+strings.TrimPrefix(h.Name, "/"))
		}
	}
	sort.Strings(want)
	got := paths(scan(t, "oci:"+writeLayout(t, img), Options{}).FS)
	if !slices.Equal(got, want) {
		t.Errorf("walker and mutate.Extract disagree:\nwalker  %q\nextract %q", got, want)
	}
}

// TestEverySourceReadsTheSameImage reads one image from each kind of REF.
func TestEverySourceReadsTheSameImage(t *testing.T) {
	img := layered(t)
	dir := writeLayout(t, img)
	host := serveRegistry(t, nil)
	push(t, host+"/test/app:1.0", img)
	want := pkgLines(scan(t, "oci:"+dir, Options{}))
	digest, _ := img.Digest()
	for _, ref := range []string{
		"oci-archive:" + tarDir(t, dir),
		"docker-archive:" + writeDockerArchive(t, img),
		host + "/test/app:1.0",
		host + "/test/app@" + digest.String(),
	} {
		t.Run(strings.SplitN(ref, ":", 2)[0], func(t *testing.T) {
			im := scan(t, ref, Options{Insecure: true})
			if got := pkgLines(im); !slices.Equal(got, want) {
				t.Errorf("packages:\n got %q\nwant %q", got, want)
			}
			if im.Platform != "linux/amd64" {
				t.Errorf("platform %q", im.Platform)
			}
		})
	}
	// A registry reference names the repository and the digest it resolved to.
	im := scan(t, host+"/test/app:1.0", Options{Insecure: true})
	if want := host + "/test/app@" + digest.String(); im.Name != want || im.Digest != digest.String() {
		t.Errorf("name %s digest %s, want %s", im.Name, im.Digest, want)
	}
}

func TestRootFS(t *testing.T) {
	root := t.TempDir()
	for p, body := range map[string]string{
		"usr/lib/os-release":   "ID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME=\"Alpine Linux v3.20\"\n",
		"lib/apk/db/installed": apkDB,
		"usr/bin/placeholder":  "x",
	} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../usr/lib/os-release", filepath.Join(root, "etc/os-release")); err != nil {
		t.Fatal(err)
	}
	// A link out of the tree is metadata only: never followed on the host.
	if err := os.Symlink("/etc/shadow", filepath.Join(root, "usr/bin/shadow")); err != nil {
		t.Fatal(err)
	}
	im := scan(t, "rootfs:"+root, Options{})
	want := []string{
		"apk busybox@1.36.1-r29 layer 1 /lib/apk/db/installed",
		"apk musl@1.2.5-r0 layer 1 /lib/apk/db/installed",
	}
	if got := pkgLines(im); !slices.Equal(got, want) {
		t.Errorf("packages:\n got %q\nwant %q", got, want)
	}
	if im.OS == nil || im.OS.ID != "alpine" {
		t.Fatalf("OS %+v", im.OS)
	}
	if p := im.Packages[0]; p.License != "GPL-2.0-only" || p.Source != "busybox" ||
		p.PURL != "pkg:apk/alpine/busybox@1.36.1-r29?arch=x86_64&distro=alpine-3.20.3" {
		t.Errorf("busybox: %+v", p)
	}
	if _, _, err := im.FS.Stat("/usr/bin/shadow"); !errors.Is(err, ErrNotExist) {
		t.Errorf("a link to /etc/shadow resolved outside the image: %v", err)
	}
}

const apkDB = `C:Q1abc=
P:musl
V:1.2.5-r0
A:x86_64
S:411034
I:649216
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Natanael Copa <ncopa@alpinelinux.org>
t:1712051434
c:dc6e5ba1ed0f7fa2a8bc2d1a0dc6e2d5bd0d41b4
p:so:libc.musl-x86_64.so.1=1
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1abc=

C:Q1def=
P:busybox
V:1.36.1-r29
A:x86_64
L:GPL-2.0-only
o:busybox
D:so:libc.musl-x86_64.so.1
F:bin
R:busybox
`

// goProgram is a small program with one module dependency, built by TestGoBinary.
const goProgram = `package main

import (
	"fmt"

	"github.com/package-url/packageurl-go"
)

func main() { fmt.Println(packageurl.TypeDebian) }
`

// buildGo builds goProgram with the go command and returns the binary's path and the
// modules ` + "`go version -m`" + ` reads from it: path -> version, the standard library as "stdlib".
func buildGo(t *testing.T) (string, map[string]string) {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	src, bin := filepath.Join(dir, "main.go"), filepath.Join(dir, "app")
	if err := os.WriteFile(src, []byte(goProgram), 0o644); err != nil {
		t.Fatal(err)
	}
	// Built from this module, whose go.sum pins the dependency.
	if out, err := exec.Command(goCmd, "build", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(goCmd, "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for i, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		switch {
		case i == 0 && len(f) == 2:
			want["stdlib"] = f[1]
		case len(f) >= 3 && (f[0] == "dep" || f[0] == "mod"):
			want[f[1]] = f[2]
		case len(f) >= 3 && f[0] == "=>":
			want[f[1]] = f[2]
		}
	}
	if len(want) < 2 {
		t.Fatalf("go version -m found too little:\n%s", out)
	}
	return bin, want
}

// TestGoBinary puts a Go binary built here into an image and reads its build
// information back: the modules must be those ` + "`go version -m`" + ` reads.
func TestGoBinary(t *testing.T) {
	bin, want := buildGo(t)
	body, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	img := imageOf(t, v1.Config{}, "amd64",
		step{"COPY app /usr/local/bin/app", []file{exe("usr/local/bin/app", string(body)), hard("usr/local/bin/app2", "usr/local/bin/app")}},
		step{"COPY app.sh", []file{exe("usr/local/bin/script", "#!/bin/sh\n"+strings.Repeat("echo\n", 400))}})
	im := scan(t, "oci:"+writeLayout(t, img), Options{})
	got := map[string]Package{}
	for _, p := range im.Packages {
		if p.File == "/usr/local/bin/app" {
			got[p.Name] = p
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d modules found, go version -m reads %d", len(got), len(want))
	}
	for path, v := range want {
		p, ok := got[path]
		switch {
		case !ok:
			t.Errorf("module %s not found", path)
		case p.Version != v:
			t.Errorf("module %s: version %q, want %q", path, p.Version, v)
		case p.Layer != 0:
			t.Errorf("module %s: layer %d, want 0", path, p.Layer)
		}
	}
	if p := got["github.com/package-url/packageurl-go"]; p.PURL != "pkg:golang/github.com/package-url/packageurl-go@"+want[p.Name] {
		t.Errorf("purl %q", p.PURL)
	}
	if p := got["stdlib"]; p.PURL != "pkg:golang/stdlib@"+want["stdlib"] {
		t.Errorf("stdlib purl %q", p.PURL)
	}
	// The hard link is the same binary under a second name.
	n := 0
	for _, p := range im.Packages {
		if p.File == "/usr/local/bin/app2" {
			n++
		}
	}
	if n != len(want) {
		t.Errorf("hard link: %d modules, want %d", n, len(want))
	}
}

// TestRealDpkgStatus reads this machine's dpkg database in an image and compares the
// packages with what dpkg-query says is installed.
func TestRealDpkgStatus(t *testing.T) {
	b, err := os.ReadFile("/var/lib/dpkg/status")
	if err != nil {
		t.Skip("no dpkg database here")
	}
	out, err := exec.Command("dpkg-query", "--admindir=/var/lib/dpkg", "-W", "-f", "${db:Status-Status} ${Package} ${Version}\n").Output()
	if err != nil {
		t.Skipf("dpkg-query: %v", err)
	}
	var want []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if s, rest, _ := strings.Cut(l, " "); s == "installed" {
			want = append(want, rest)
		}
	}
	sort.Strings(want)
	img := imageOf(t, v1.Config{}, "amd64", step{"ADD", []file{reg("var/lib/dpkg/status", string(b))}})
	im := scan(t, "docker-archive:"+writeDockerArchive(t, img), Options{})
	var got []string
	for _, p := range im.Packages {
		got = append(got, p.Name+" "+p.Version)
	}
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("%d packages read, dpkg-query lists %d installed", len(got), len(want))
	}
	if len(im.Errors) > 0 {
		t.Errorf("errors: %+v", im.Errors[0])
	}
}

// TestRegistryBasicAuth pulls from a registry that wants a password, with the
// credentials of a Docker config file found by the default keychain.
func TestRegistryBasicAuth(t *testing.T) {
	host := serveRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != "alice" || p != "s3cret" {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	img := layered(t)
	push(t, host+"/private/app:1", img, remote.WithAuth(&authn.Basic{Username: "alice", Password: "s3cret"}))

	cfgDir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", cfgDir)
	_, err := Scan(context.Background(), host+"/private/app:1", Options{Insecure: true})
	if err == nil || !strings.Contains(err.Error(), "UNAUTHORIZED") {
		t.Fatalf("without credentials: %v, want UNAUTHORIZED", err)
	}
	auth := base64.StdEncoding.EncodeToString([]byte("alice:s3cret"))
	if err := os.WriteFile(filepath.Join(cfgDir, "config.json"), []byte(`{"auths":{"`+host+`":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	im := scan(t, host+"/private/app:1", Options{Insecure: true})
	if len(im.Packages) != 3 {
		t.Errorf("%d packages", len(im.Packages))
	}
}

// TestMultiPlatformIndex picks the image of --platform from an index, at a registry
// and in a layout.
func TestMultiPlatformIndex(t *testing.T) {
	amd := imageOf(t, v1.Config{}, "amd64", step{"ADD", []file{reg("etc/os-release", "ID=debian\nVERSION_ID=12\n")}})
	arm := imageOf(t, v1.Config{User: "65532"}, "arm64", step{"ADD", []file{reg("etc/os-release", "ID=debian\nVERSION_ID=12\n"), reg("var/lib/dpkg/status", dpkgEntry("base-files", "12.4", ""))}})
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}})
	host := serveRegistry(t, nil)
	ref := host + "/multi/app:1"
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendIndex(idx); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{ref, "oci:" + dir} {
		if im := scan(t, src, Options{Insecure: true}); im.Platform != "linux/amd64" || len(im.Packages) != 0 {
			t.Errorf("%s default platform: %s, %d packages", src, im.Platform, len(im.Packages))
		}
		for _, plat := range []string{"linux/arm64", "linux/arm64/v8"} {
			im := scan(t, src, Options{Insecure: true, Platform: plat})
			if im.Platform != "linux/arm64" || im.Config.Config.User != "65532" || len(im.Packages) != 1 {
				t.Errorf("%s --platform %s: %s user %q, %d packages", src, plat, im.Platform, im.Config.Config.User, len(im.Packages))
			}
		}
		_, err := Scan(context.Background(), src, Options{Insecure: true, Platform: "linux/s390x"})
		if err == nil || !strings.Contains(err.Error(), "no image for platform linux/s390x (it has linux/amd64, linux/arm64/v8)") {
			t.Errorf("%s missing platform: %v", src, err)
		}
	}
	if _, err := Scan(context.Background(), ref, Options{Platform: "linux"}); err == nil || !strings.Contains(err.Error(), "os/arch") {
		t.Errorf("bad --platform: %v", err)
	}
}

func TestUnreachableRegistry(t *testing.T) {
	start := time.Now()
	_, err := Scan(context.Background(), "127.0.0.1:1/nothing/here:1", Options{Insecure: true, Timeout: 20 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("err = %v, want connection refused", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("took %v", d)
	}
}
