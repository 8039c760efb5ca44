package image

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
)

// file is one entry of a crafted layer.
type file struct {
	name string
	body string
	typ  byte // tar.TypeReg when zero
	link string
	mode int64
	uid  int
	gid  int
}

func reg(name, body string) file   { return file{name: name, body: body} }
func exe(name, body string) file   { return file{name: name, body: body, mode: 0o755} }
func dir(name string) file         { return file{name: name, typ: tar.TypeDir, mode: 0o755} }
func sym(name, target string) file { return file{name: name, typ: tar.TypeSymlink, link: target} }
func hard(name, target string) file {
	return file{name: name, typ: tar.TypeLink, link: target}
}

// tarOf writes files as a tar stream, in the order given.
func tarOf(t testing.TB, files ...file) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Typeflag: f.typ, Linkname: f.link, Mode: f.mode, Uid: f.uid, Gid: f.gid, ModTime: time.Unix(1700000000, 0)}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(f.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := io.WriteString(tw, f.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// layerOf is a gzip-compressed layer holding files.
func layerOf(t testing.TB, files ...file) v1.Layer {
	t.Helper()
	b := tarOf(t, files...)
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// step is one layer of a test image and the history line that made it.
type step struct {
	createdBy string
	files     []file
}

// imageOf builds an image from layers, with cfg's User, Env and platform.
func imageOf(t testing.TB, cfg v1.Config, arch string, steps ...step) v1.Image {
	t.Helper()
	img := empty.Image
	for _, s := range steps {
		var err error
		img, err = mutate.Append(img, mutate.Addendum{Layer: layerOf(t, s.files...),
			History: v1.History{CreatedBy: s.createdBy, Created: v1.Time{Time: time.Unix(1700000000, 0)}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Config = cfg
	cf.OS, cf.Architecture = "linux", arch
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// writeLayout writes img as an OCI layout directory and returns it.
func writeLayout(t testing.TB, img v1.Image) string {
	t.Helper()
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

// writeDockerArchive writes img as `docker save` would and returns the file.
func writeDockerArchive(t testing.TB, img v1.Image) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "image.tar")
	tag, err := name.NewTag("example.com/test/app:1.0")
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteToFile(f, tag, img); err != nil {
		t.Fatal(err)
	}
	return f
}

// tarDir packs the directory dir into a tar file, as an oci-archive is made.
func tarDir(t testing.TB, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "oci.tar")
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		h, err := tar.FileInfoHeader(fi, "")
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			_, err = tw.Write(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// serveRegistry starts go-containerregistry's registry on 127.0.0.1 and returns its
// host:port.
func serveRegistry(t testing.TB, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// push writes img to ref at a registry.
func push(t testing.TB, ref string, img v1.Image, opts ...remote.Option) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, opts...); err != nil {
		t.Fatal(err)
	}
}

// scan reads ref with o and fails the test on error.
func scan(t testing.TB, ref string, o Options) *Image {
	t.Helper()
	im, err := Scan(context.Background(), ref, o)
	if err != nil {
		t.Fatalf("Scan(%s): %v", ref, err)
	}
	return im
}

// paths lists the files of the final filesystem that are not directories, with what
// a symbolic link points at.
func paths(fsys *FS) []string {
	var out []string
	fsys.Walk(func(p string, e *Entry) {
		switch e.Type {
		case Dir:
		case Symlink:
			out = append(out, p+" -> "+e.Link)
		default:
			out = append(out, p)
		}
	})
	return out
}
