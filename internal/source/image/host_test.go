package image

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dirFS is a directory read as a HostFS.
type dirFS string

func (d dirFS) ReadFile(p string, limit int64) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(string(d), p))
	if err == nil && int64(len(b)) > limit {
		return nil, fs.ErrInvalid
	}
	return b, err
}

func (d dirFS) ReadDir(p string) ([]fs.DirEntry, error) {
	return os.ReadDir(filepath.Join(string(d), p))
}

func TestHostInventory(t *testing.T) {
	root := t.TempDir()
	for p, body := range map[string]string{
		"usr/lib/os-release":              "ID=alpine\nVERSION_ID=3.20.3\n",
		"lib/apk/db/installed":            "P:musl\nV:1.2.5-r0\nA:x86_64\no:musl\n\nP:libcrypto3\nV:3.3.2-r0\nA:x86_64\no:openssl\n",
		"var/lib/dpkg/status.d/base":      "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n",
		"var/lib/dpkg/status.d/x.md5sums": "ignored\n",
		"var/lib/dpkg/status":             "Package: bad\nStatus: install ok installed\n no colon line\n",
	} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(root, p), []byte(body), 0o644)
	}
	osr, pkgs, probs := HostInventory(dirFS(root))
	if osr == nil || osr.ID != "alpine" || osr.File != "/usr/lib/os-release" {
		t.Fatalf("OS %+v", osr)
	}
	var got []string
	for _, p := range pkgs {
		got = append(got, p.Name+" "+p.Version+" "+p.File+" "+p.PURL)
		if p.Layer != -1 {
			t.Errorf("%s: layer %d", p.Name, p.Layer)
		}
	}
	want := "libcrypto3 3.3.2-r0 /lib/apk/db/installed pkg:apk/alpine/libcrypto3@3.3.2-r0?arch=x86_64&distro=alpine-3.20.3&upstream=openssl\n" +
		"musl 1.2.5-r0 /lib/apk/db/installed pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3\n" +
		"tzdata 2024a-0+deb12u1 /var/lib/dpkg/status.d/base pkg:deb/alpine/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=alpine-3.20.3"
	if strings.Join(got, "\n") != want {
		t.Errorf("packages:\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
	if len(probs) == 0 || probs[0].Path != "/var/lib/dpkg/status" || probs[0].Line == 0 {
		t.Errorf("problems %+v", probs)
	}
}
