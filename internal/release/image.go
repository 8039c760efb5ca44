// Package release builds what kharden ships: its binaries, cross-compiled
// reproducibly, and its container image, written by go-containerregistry as an OCI
// layout so that no container engine is needed.
package release

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image's user, entrypoint and binary path: the Dockerfile at the repository's root
// says the same, and a test keeps the two in step.
const (
	User       = "65532:65532"
	Binary     = "/kharden"
	Repository = "ghcr.io/kharden/kharden"
)

// ImageOptions describe the image to build.
type ImageOptions struct {
	// Binaries are the kharden binaries by platform ("linux/amd64").
	Binaries map[string]string
	// RootFS is a directory whose files are copied into the image (etc/passwd, CA
	// certificates), owned by root: StageRootFS makes it.
	RootFS string
	// Version, Revision and Source fill the OCI annotations and labels.
	Version, Revision, Source string
	// Created is the time written everywhere a time goes (SOURCE_DATE_EPOCH), so
	// that the same inputs give the same digest.
	Created time.Time
}

// Image builds the multi-platform image index.
func Image(o ImageOptions) (v1.ImageIndex, error) {
	if len(o.Binaries) == 0 {
		return nil, fmt.Errorf("no binaries to put in the image")
	}
	annotations := map[string]string{
		"org.opencontainers.image.title":       "kharden",
		"org.opencontainers.image.description": "Kubernetes security checks: scan, audit, enforce",
		"org.opencontainers.image.version":     o.Version,
		"org.opencontainers.image.revision":    o.Revision,
		"org.opencontainers.image.source":      o.Source,
		"org.opencontainers.image.licenses":    "Apache-2.0",
		"org.opencontainers.image.created":     o.Created.UTC().Format(time.RFC3339),
		"org.opencontainers.image.ref.name":    o.Version,
	}
	for k, v := range annotations {
		if v == "" {
			delete(annotations, k)
		}
	}
	platforms := make([]string, 0, len(o.Binaries))
	for p := range o.Binaries {
		platforms = append(platforms, p)
	}
	sort.Strings(platforms)
	var idx v1.ImageIndex = empty.Index
	idx = mutate.IndexMediaType(idx, types.OCIImageIndex)
	for _, p := range platforms {
		goos, arch, ok := strings.Cut(p, "/")
		if !ok || goos != "linux" {
			return nil, fmt.Errorf("platform %q: the image is for linux/ARCH", p)
		}
		img, err := platformImage(o, arch, o.Binaries[p], annotations)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: "linux", Architecture: arch}, Annotations: annotations}})
	}
	return mutate.Annotations(idx, annotations).(v1.ImageIndex), nil
}

func platformImage(o ImageOptions, arch, binary string, annotations map[string]string) (v1.Image, error) {
	layer, err := rootLayer(o, binary)
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, MediaType: types.OCILayer, History: v1.History{
		Created: v1.Time{Time: o.Created}, CreatedBy: "kharden release: " + Binary + ", /etc/passwd, /etc/group, CA certificates",
		Comment: "built by hack/image from the cross-compiled binary"}})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	cf.Created = v1.Time{Time: o.Created}
	cf.Config = v1.Config{
		User:       User,
		Entrypoint: []string{Binary},
		Env:        []string{"HOME=/home/nonroot", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
		WorkingDir: "/home/nonroot",
		Labels:     annotations,
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, err
	}
	return mutate.Annotations(img, annotations).(v1.Image), nil
}

// entry is one file of the image's single layer.
type entry struct {
	hdr  tar.Header
	body []byte
}

// rootLayer is the one layer: directories, the rootfs files, the extra files and the
// binary, in name order, with fixed owners, modes and times.
func rootLayer(o ImageOptions, binary string) (v1.Layer, error) {
	files := map[string]entry{}
	dir := func(name string, uid int, mode int64) {
		files[name] = entry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, Uid: uid, Gid: uid}}
	}
	file := func(name string, mode int64, body []byte) {
		for d := path.Dir(name); d != "." && d != "/"; d = path.Dir(d) {
			if _, ok := files[d]; !ok {
				dir(d, 0, 0o755)
			}
		}
		files[name] = entry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(body))}, body: body}
	}
	dir("tmp", 0, 0o1777)
	dir("home", 0, 0o755)
	dir("home/nonroot", 65532, 0o700)
	if o.RootFS != "" {
		err := filepath.WalkDir(o.RootFS, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if !d.Type().IsRegular() {
				return fmt.Errorf("%s: only regular files go into the image", p)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(o.RootFS, p)
			file(filepath.ToSlash(rel), 0o644, b)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	b, err := os.ReadFile(binary)
	if err != nil {
		return nil, err
	}
	file(strings.TrimPrefix(Binary, "/"), 0o555, b)

	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	// A gzip header without a name or time, and the same level: the same bytes in
	// give the same bytes out.
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	for _, n := range names {
		e := files[n]
		e.hdr.ModTime = o.Created
		e.hdr.Format = tar.FormatPAX
		if e.hdr.Uid == 65532 {
			e.hdr.Uname, e.hdr.Gname = "nonroot", "nonroot"
		} else {
			e.hdr.Uname, e.hdr.Gname = "root", "root"
		}
		if err := tw.WriteHeader(&e.hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	gz := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(gz)), nil },
		tarball.WithMediaType(types.OCILayer))
}

// StageRootFS makes, in dir, the files of the image besides the binary, for Image and
// for the Dockerfile: src's files (etc/passwd, etc/group) and the CA bundle at
// etc/ssl/certs/ca-certificates.crt; and, beside dir, an empty home directory.
func StageRootFS(dir, src, caBundle string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		return err
	}
	ca, err := os.ReadFile(caBundle)
	if err != nil {
		return fmt.Errorf("CA certificates (Debian's ca-certificates package): %w", err)
	}
	certs := filepath.Join(dir, "etc", "ssl", "certs")
	if err := os.MkdirAll(certs, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(certs, "ca-certificates.crt"), ca, 0o644); err != nil {
		return err
	}
	return os.MkdirAll(filepath.Join(filepath.Dir(dir), "home"), 0o755)
}

// WriteLayout writes idx as an OCI image layout in dir, replacing what was there.
func WriteLayout(dir string, idx v1.ImageIndex) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	_, err := layout.Write(dir, idx)
	return err
}
