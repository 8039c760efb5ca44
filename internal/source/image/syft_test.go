package image_test

// The inventory cross-checked against Syft (github.com/anchore/syft), an independent
// cataloguer: on the same OCI layouts, the OS packages (name and version) must be the same
// set. Syft is built by hack/syft/build.sh and the Debian root filesystem by
// hack/debian-rootfs/build.sh; hack/test.sh builds both, and with CI=true the test fails
// rather than skip without them. docs/scan-image.md explains what else the two disagree on.

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/klauspost/compress/gzip"

	"github.com/kharden/kharden/internal/source/image"
)

// cachedTool finds a tool the hack scripts build: the directory in env, else the default
// cache directory. Absent, the test skips, or fails in CI.
func cachedTool(t *testing.T, env, def, check, script string) string {
	t.Helper()
	dir := os.Getenv(env)
	if dir == "" {
		dir = def
	}
	if _, err := os.Stat(filepath.Join(dir, check)); err != nil {
		msg := "no " + filepath.Join(dir, check) + ": run " + script + " and set " + env + " to the directory it prints"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (hack/test.sh does it)")
		}
		t.Skip(msg)
	}
	return dir
}

// syftBinary is the Syft that hack/syft/build.sh builds, at the version the script pins.
func syftBinary(t *testing.T) string {
	t.Helper()
	script, err := os.ReadFile("../../../hack/syft/build.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^SYFT_VERSION=(\S+)$`).FindSubmatch(script)
	if m == nil {
		t.Fatal("hack/syft/build.sh pins no SYFT_VERSION")
	}
	home, _ := os.UserHomeDir()
	cache := os.Getenv("KHARDEN_SYFT_CACHE")
	if cache == "" {
		cache = filepath.Join(home, ".cache/kharden/syft")
	}
	return filepath.Join(cachedTool(t, "KHARDEN_SYFT_DIR", filepath.Join(cache, string(m[1])), "syft", "hack/syft/build.sh"), "syft")
}

// tarDir writes the tree at root as a tar stream, as a layer holds it: regular files,
// directories and links, owners and modes kept; devices and sockets left out.
func tarDir(root string, w io.Writer) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		case !fi.Mode().IsRegular() && !fi.IsDir():
			return nil
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		h.Name = filepath.ToSlash(rel)
		if fi.IsDir() {
			h.Name += "/"
		}
		h.Uname, h.Gname = "", ""
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			if _, err := io.Copy(tw, f); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// layoutFromDir writes an OCI layout holding one image whose single layer is the tree
// at root.
func layoutFromDir(t *testing.T, root string) string {
	t.Helper()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(tarDir(root, pw)) }()
		return pr, nil
	}, tarball.WithCompressionLevel(gzip.BestSpeed))
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
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
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return dir
}

// syftPackages runs Syft on the OCI layout and returns its packages of type typ as
// "name version".
func syftPackages(t *testing.T, syft, dir, typ string) []string {
	t.Helper()
	cmd := exec.Command(syft, "scan", "oci-dir:"+dir, "-o", "syft-json", "-q")
	cmd.Env = append(os.Environ(), "SYFT_CHECK_FOR_APP_UPDATE=false", "SYFT_CACHE_DIR="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, stderr.String())
	}
	var doc struct {
		Artifacts []struct {
			Name, Version, Type string
		} `json:"artifacts"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("syft-json: %v", err)
	}
	var pkgs []string
	for _, a := range doc.Artifacts {
		if a.Type == typ {
			pkgs = append(pkgs, a.Name+" "+a.Version)
		}
	}
	slices.Sort(pkgs)
	return slices.Compact(pkgs)
}

// kharden scans the OCI layout and returns its packages of type typ as "name version".
func khardenPackages(t *testing.T, dir, typ string) []string {
	t.Helper()
	im, err := image.Scan(context.Background(), "oci:"+dir, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Errors) > 0 {
		t.Errorf("kharden: errors %+v", im.Errors)
	}
	var pkgs []string
	for _, p := range im.Packages {
		if p.Type == typ {
			pkgs = append(pkgs, p.Name+" "+p.Version)
		}
	}
	slices.Sort(pkgs)
	return slices.Compact(pkgs)
}

// sameSet fails the test with the packages only one side found.
func sameSet(t *testing.T, what string, ours, theirs []string) {
	t.Helper()
	var onlyOurs, onlyTheirs []string
	for _, p := range ours {
		if _, found := slices.BinarySearch(theirs, p); !found {
			onlyOurs = append(onlyOurs, p)
		}
	}
	for _, p := range theirs {
		if _, found := slices.BinarySearch(ours, p); !found {
			onlyTheirs = append(onlyTheirs, p)
		}
	}
	if len(onlyOurs)+len(onlyTheirs) > 0 {
		t.Errorf("%s: kharden %d packages, Syft %d\nonly kharden: %s\nonly Syft: %s", what, len(ours), len(theirs),
			strings.Join(onlyOurs, "; "), strings.Join(onlyTheirs, "; "))
	}
	t.Logf("%s: %d packages, the same set in kharden and Syft", what, len(ours))
}

func TestSyftDebian(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 175 MB image")
	}
	syft := syftBinary(t)
	home, _ := os.UserHomeDir()
	cache := os.Getenv("KHARDEN_DEBIAN_CACHE")
	if cache == "" {
		cache = filepath.Join(home, ".cache/kharden/debian-rootfs")
	}
	rootfs := cachedTool(t, "KHARDEN_DEBIAN_ROOTFS", filepath.Join(cache, "bookworm-minbase-amd64"), "var/lib/dpkg/status", "hack/debian-rootfs/build.sh")
	dir := layoutFromDir(t, rootfs)
	ours := khardenPackages(t, dir, "deb")
	if len(ours) < 50 {
		t.Fatalf("kharden found %d deb packages in a debootstrap minbase root filesystem", len(ours))
	}
	sameSet(t, "debian bookworm minbase", ours, syftPackages(t, syft, dir, "deb"))
}

// apkInstalled is a crafted Alpine package database: three packages, one with a
// release suffix and an origin different from its name.
const apkInstalled = `C:Q1abcdefghijklmnopqrstuvwxyz012=
P:musl
V:1.2.5-r0
A:x86_64
S:407574
I:667648
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Natanael Copa <ncopa@alpinelinux.org>
t:1715000000
c:e1cd5dc3f0f8a8e6b7d7a6ea6e8b7ad1d3c3b2a1
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1bcdefghijklmnopqrstuvwxyz0123=

C:Q1bcdefghijklmnopqrstuvwxyz0123=
P:busybox
V:1.36.1-r29
A:x86_64
S:509842
I:951296
T:Size optimized toolbox of many common UNIX utilities
U:https://busybox.net/
L:GPL-2.0-only
o:busybox
t:1715000001
F:bin
R:busybox

C:Q1cdefghijklmnopqrstuvwxyz01234=
P:libcrypto3
V:3.3.2-r0
A:x86_64
S:1700000
I:4300000
T:Crypto library from openssl
U:https://www.openssl.org/
L:Apache-2.0
o:openssl
D:so:libc.musl-x86_64.so.1
t:1715000002
F:usr/lib
R:libcrypto.so.3
`

func TestSyftAlpine(t *testing.T) {
	syft := syftBinary(t)
	root := t.TempDir()
	for name, body := range map[string]string{
		"etc/os-release":          "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME=\"Alpine Linux v3.20\"\n",
		"lib/apk/db/installed":    apkInstalled,
		"bin/busybox":             "not really busybox",
		"lib/ld-musl-x86_64.so.1": "not really musl",
		"usr/lib/libcrypto.so.3":  "not really libcrypto",
	} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := layoutFromDir(t, root)
	ours := khardenPackages(t, dir, "apk")
	if len(ours) != 3 {
		t.Fatalf("kharden found %v, want the database's 3 packages", ours)
	}
	sameSet(t, "alpine-style", ours, syftPackages(t, syft, dir, "apk"))
}
