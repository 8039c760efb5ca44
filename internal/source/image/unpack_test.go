package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// diskPaths lists a root filesystem on disk as paths() lists the walker's.
func diskPaths(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, dir)
		switch {
		case d.IsDir():
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out = append(out, rel+" -> "+target)
		default:
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func unpack(t *testing.T, ref string, o Options) *Unpacked {
	t.Helper()
	u, err := Unpack(context.Background(), ref, t.TempDir(), o)
	if err != nil {
		t.Fatalf("unpack %s: %v", ref, err)
	}
	t.Cleanup(func() { u.Close() })
	return u
}

// The root filesystem on disk is the walker's final filesystem: whiteouts and opaque
// directories applied, the last layer's content kept.
func TestUnpackMatchesWalker(t *testing.T) {
	ref := "oci:" + writeLayout(t, layered(t))
	u := unpack(t, ref, Options{})
	want := paths(scan(t, ref, Options{}).FS)
	if got := diskPaths(t, u.Dir); !slices.Equal(got, want) {
		t.Errorf("on disk:\n got %q\nwant %q", got, want)
	}
	if b, _ := os.ReadFile(filepath.Join(u.Dir, "var/lib/dpkg/status")); !strings.Contains(string(b), "2.36-9+deb12u4") {
		t.Errorf("status is not the last layer's:\n%s", b)
	}
	if b, _ := os.ReadFile(filepath.Join(u.Dir, "etc/os-release")); !strings.Contains(string(b), "ID=debian") {
		t.Errorf("etc/os-release does not lead to the image's os-release: %q", b)
	}
	if u.Config.Env[0] != "PATH=/usr/local/bin:/usr/bin:/bin" || !u.Copy || !strings.HasPrefix(u.Digest, "sha256:") {
		t.Errorf("unpacked = %+v", u)
	}
	top := filepath.Dir(u.Dir)
	if err := u.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(top); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Close left %s: %v", top, err)
	}
}

// Modes and owners are the image's, set-user-ID bits included (set after the owner,
// which would clear them).
func TestUnpackModesAndOwners(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("owners are kept only when running as root")
	}
	setuid := file{name: "usr/bin/su", body: "su", mode: 0o4755}
	owned := file{name: "home/app/data", body: "x", mode: 0o600, uid: 1000, gid: 1001}
	ref := "oci:" + writeLayout(t, imageOf(t, v1.Config{}, "amd64", step{"ADD", []file{setuid, owned,
		{name: "srv/", typ: tar.TypeDir, mode: 0o1777, uid: 33, gid: 33}}}))
	u := unpack(t, ref, Options{})
	for _, c := range []struct {
		path     string
		mode     fs.FileMode
		uid, gid uint32
	}{{"usr/bin/su", 0o755 | fs.ModeSetuid, 0, 0}, {"home/app/data", 0o600, 1000, 1001}, {"srv", 0o777 | fs.ModeSticky | fs.ModeDir, 33, 33}} {
		fi, err := os.Lstat(filepath.Join(u.Dir, c.path))
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if fi.Mode() != c.mode || st.Uid != c.uid || st.Gid != c.gid {
			t.Errorf("%s: %v %d:%d, want %v %d:%d", c.path, fi.Mode(), st.Uid, st.Gid, c.mode, c.uid, c.gid)
		}
	}
}

// A hostile image writes nothing outside its root: entries with "..", links (symbolic,
// absolute or relative, chained) taken as directories, hard links to host files.
func TestUnpackStaysInside(t *testing.T) {
	outside := t.TempDir() // what the attack aims at
	rel := strings.Repeat("../", 20) + strings.TrimPrefix(outside, "/")
	hostFile := filepath.Join(outside, "host-secret")
	os.WriteFile(hostFile, []byte("secret"), 0o600)
	img := imageOf(t, v1.Config{}, "amd64",
		step{"ADD", []file{
			reg("../../"+strings.TrimPrefix(outside, "/")+"/dotdot", "x"),
			sym("abs", outside),
			sym("up", rel),
			sym("chain", "up"),
			sym("loop1", "loop2"), sym("loop2", "loop1"),
		}},
		step{"RUN", []file{
			reg("abs/via-absolute", "x"),
			reg("up/via-relative", "x"),
			reg("chain/via-chain", "x"),
			reg("loop1/x", "x"),
			hard("stolen", hostFile),
			hard("stolen2", "../../"+hostFile),
			{name: "dev/null", typ: tar.TypeChar, mode: 0o666},
		}},
	)
	u := unpack(t, "oci:"+writeLayout(t, img), Options{})
	entries, _ := os.ReadDir(outside)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("the image wrote outside its root: %s holds %q", outside, names)
	}
	// What the links lead to, resolved as the container will see them: inside.
	for _, p := range []string{"via-absolute", "via-relative", "via-chain"} {
		if _, err := os.Stat(filepath.Join(u.Dir, outside, p)); err != nil {
			t.Errorf("%s: not where the container sees it: %v", p, err)
		}
	}
	for _, p := range []string{"stolen", "stolen2", "dev/null"} {
		if _, err := os.Lstat(filepath.Join(u.Dir, p)); err == nil {
			t.Errorf("%s was written", p)
		}
	}
	var notes []string
	for _, n := range u.Notes {
		notes = append(notes, n.Path+": "+n.Message)
	}
	joined := strings.Join(notes, "\n")
	for _, want := range []string{"leads outside the image's root", "/loop1/x: skipped: more than 40 symbolic links",
		"/stolen: a hard link to", "/stolen2: a hard link to", "/dev/null: a device file"} {
		if !strings.Contains(joined, want) {
			t.Errorf("notes lack %q:\n%s", want, joined)
		}
	}
}

// A layer over the size limit, or whose content does not match its digest, stops the
// unpacking with an error, and nothing is left on disk.
func TestUnpackRefusesAndCleansUp(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	ref := "oci:" + writeLayout(t, imageOf(t, v1.Config{}, "amd64", step{"ADD", []file{reg("big", big)}}))
	parent := t.TempDir()
	_, err := Unpack(context.Background(), ref, parent, Options{Limits: Limits{MaxImageBytes: 64 << 10}})
	if !errors.Is(err, ErrLimit) {
		t.Errorf("over the limit: %v, want ErrLimit", err)
	}

	layoutDir := writeLayout(t, imageOf(t, v1.Config{}, "amd64", step{"ADD", []file{reg("a", "original")}}))
	// Tamper with the layer blob: the largest blob that is gzip (config and manifest are JSON).
	blobs, _ := filepath.Glob(filepath.Join(layoutDir, "blobs/sha256/*"))
	tampered := false
	for _, b := range blobs {
		data, _ := os.ReadFile(b)
		if len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b {
			other := tarOf(t, reg("a", "tampered"))
			os.WriteFile(b, gzipOf(t, other), 0o644)
			tampered = true
		}
	}
	if !tampered {
		t.Fatal("no layer blob found")
	}
	_, err = Unpack(context.Background(), "oci:"+layoutDir, parent, Options{})
	if !errors.Is(err, ErrDigest) {
		t.Errorf("tampered layer: %v, want ErrDigest", err)
	}
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Errorf("left on disk after errors: %v", left)
	}
}

// A sparse entry of a few bytes claiming a terabyte is judged by the size it would
// take on disk, not written.
func TestUnpackSparseBomb(t *testing.T) {
	layer := sparseEntry(t, "usr/bin/huge", int64(1)<<40, []byte("\x7fELF"))
	parent := t.TempDir()
	_, err := Unpack(context.Background(), "oci:"+writeLayout(t, rawImage(t, layer)), parent, Options{})
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "/usr/bin/huge") {
		t.Errorf("sparse bomb: %v, want ErrLimit at /usr/bin/huge", err)
	}
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Errorf("left on disk: %v", left)
	}
}

// A rootfs: directory is used as it is, and Close leaves it.
func TestUnpackRootFS(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644)
	u := unpack(t, "rootfs:"+dir, Options{})
	if u.Dir != dir || u.Copy {
		t.Errorf("rootfs: unpacked as %+v", u)
	}
	u.Close()
	if _, err := os.Stat(filepath.Join(dir, "f")); err != nil {
		t.Errorf("Close removed the user's directory: %v", err)
	}
	if _, err := Unpack(context.Background(), "rootfs:"+filepath.Join(dir, "f"), "", Options{}); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("rootfs: of a file: %v", err)
	}
}

func gzipOf(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
