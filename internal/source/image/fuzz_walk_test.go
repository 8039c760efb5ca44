package image

import (
	"bytes"
	"context"
	"io"
	"path"
	"strings"
	"testing"
)

// FuzzLayerWalk reads two tar streams as the lower and upper layer of an image, the way
// Scan reads layers, and checks the final filesystem: no panic, every path absolute and
// clean with no ".." and no whiteout left as a file, each path once, every entry from one
// of the two layers, a count that matches the tree, and every path found again by
// Lookup and Stat (a link loop is an error, never a hang). A layer that is not a tar is
// an error of that layer only.
func FuzzLayerWalk(f *testing.F) {
	seed := func(lower, upper []file) { f.Add(tarOf(f, lower...), tarOf(f, upper...)) }
	seed([]file{dir("etc/"), reg("etc/os-release", "ID=debian\nVERSION_ID=12\n"), reg("etc/passwd", "root:x:0:0\n")},
		[]file{reg("etc/.wh.passwd", ""), reg("etc/shadow", "x")})
	seed([]file{dir("opt/"), reg("opt/a", "1"), dir("opt/sub/"), reg("opt/sub/b", "2")},
		[]file{reg("opt/.wh..wh..opq", ""), reg("opt/c", "3")})
	seed([]file{dir("usr/"), dir("usr/lib/"), sym("lib", "usr/lib"), reg("usr/lib/x.so", "elf")},
		[]file{reg("lib/y.so", "elf"), hard("usr/lib/z.so", "usr/lib/x.so")})
	seed([]file{reg("../../etc/evil", "x"), sym("escape", "/../../.."), hard("h", "../outside")},
		[]file{reg("escape/etc/x", "y"), sym("loop1", "loop2"), sym("loop2", "/loop1"), reg("loop1/z", "z")})
	seed([]file{sym("etc", "/usr/etc"), dir("usr/etc/"), reg("usr/etc/os-release", "ID=alpine\n")},
		[]file{reg(".wh.etc", ""), dir("etc/"), reg("var/lib/dpkg/status", "Package: a\nVersion: 1\n\n")},
	)
	seed([]file{reg("a", "1")}, []file{reg("a/.wh.b", ""), reg("a/b", "2"), reg(".wh..wh.plnk", "")})
	f.Add([]byte("not a tar"), tarOf(f, reg("x", "1")))
	f.Fuzz(func(t *testing.T, lower, upper []byte) {
		lim := Limits{MaxEntries: 4096, MaxLayerBytes: 1 << 20, MaxImageBytes: 2 << 20, MaxReadBytes: 1 << 20,
			MaxDatabaseSize: 64 << 10, MaxBinarySize: 64 << 10}.withDefaults()
		im := &Image{Layers: []Layer{{Digest: "sha256:lower"}, {Digest: "sha256:upper"}}}
		w := newWalker(im, lim)
		for i, b := range [][]byte{lower, upper} {
			l := &layerSource{open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }}
			if err := w.layer(context.Background(), i, l); err != nil && err.Error() == "" {
				t.Errorf("layer %d: an error without a message", i)
			}
		}
		w.finish()
		seen := map[string]bool{}
		n := 0
		im.FS.Walk(func(p string, e *Entry) {
			n++
			if seen[p] {
				t.Errorf("%q twice", p)
			}
			seen[p] = true
			if !strings.HasPrefix(p, "/") || path.Clean(p) != p || strings.Contains(p, "/../") || strings.HasSuffix(p, "/..") {
				t.Errorf("path %q is not absolute and clean", p)
			}
			if strings.HasPrefix(path.Base(p), ".wh.") {
				t.Errorf("whiteout %q left in the filesystem", p)
			}
			if e.Layer != 0 && e.Layer != 1 && !e.Implicit {
				t.Errorf("%q: layer %d", p, e.Layer)
			}
			if e.Type == Symlink && e.HardLink {
				t.Errorf("%q: a symbolic link marked as a hard link", p)
			}
			le, canon, err := im.FS.Lookup(p)
			if err != nil || canon != p || le != e {
				t.Errorf("Lookup(%q) = %v, %q, %v", p, le, canon, err)
			}
			if se, canon, err := im.FS.Stat(p); err == nil && (se == nil || !strings.HasPrefix(canon, "/")) {
				t.Errorf("Stat(%q) = %v, %q", p, se, canon)
			}
		})
		if n != im.FS.Len() {
			t.Errorf("Walk visits %d entries, Len is %d", n, im.FS.Len())
		}
		if n > lim.MaxEntries {
			t.Errorf("%d entries, more than the limit of %d", n, lim.MaxEntries)
		}
		for _, p := range im.Packages {
			if p.Name == "" || p.Version == "" || p.Layer < 0 || p.Layer > 1 {
				t.Errorf("package %+v", p)
			}
		}
	})
}

// The seeds mean what they say: the walker applies whiteouts and opaque directories.
func TestLayerWalkSeeds(t *testing.T) {
	walk := func(layers ...[]byte) *FS {
		im := &Image{Layers: make([]Layer, len(layers))}
		w := newWalker(im, Limits{}.withDefaults())
		for i, b := range layers {
			if err := w.layer(context.Background(), i, &layerSource{open: func() (io.ReadCloser, error) {
				return io.NopCloser(bytes.NewReader(b)), nil
			}}); err != nil {
				t.Fatal(err)
			}
		}
		return im.FS
	}
	fs := walk(tarOf(t, dir("opt/"), reg("opt/a", "1"), reg("etc/passwd", "x")),
		tarOf(t, reg("opt/.wh..wh..opq", ""), reg("opt/c", "3"), reg("etc/.wh.passwd", ""), reg("../../x", "1")))
	var got []string
	fs.Walk(func(p string, e *Entry) { got = append(got, p) })
	if want := "/etc /opt /opt/c"; strings.Join(got, " ") != want {
		t.Errorf("final filesystem %q, want %q", strings.Join(got, " "), want)
	}
}
