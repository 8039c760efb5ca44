// Package image reads a container image and tells what it holds: its configuration, its
// final filesystem (metadata only) and an inventory of the packages found in it.
//
// An image comes from a registry (a tag or digest reference, pulled with the credentials
// of the default keychain: ~/.docker/config.json and its credential helpers), an OCI
// image layout directory (oci:DIR), a `docker save` tarball (docker-archive:FILE), an
// OCI layout in a tar file (oci-archive:FILE) or an unpacked root filesystem
// (rootfs:DIR). Only a registry reference uses the network.
//
// Layers are streamed: each layer's tar is read once, in order, never written to disk
// and never held whole in memory. The walker keeps the metadata of every entry and
// applies whiteouts and opaque directories, so that what it reports describes the final
// filesystem; the content of the few files the inventory needs (the OS release, the
// dpkg and apk databases, Go binaries) is parsed as it streams by, each read up to a
// size limit, and the result is kept only while its file survives the later layers.
// Every layer is checked against the digest the manifest (or for a docker-archive, the
// configuration's diff_ids) gives it: a mismatch is an error.
package image

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Limits bound the time and memory a hostile or broken image can take.
type Limits struct {
	// MaxLayers is the most layers an image may have.
	MaxLayers int
	// MaxEntries is the most tar entries read over all layers, and the most entries
	// the final filesystem may hold.
	MaxEntries int
	// MaxPathLen is the longest path (or link target) of an entry, in bytes.
	MaxPathLen int
	// MaxLayerBytes is the most bytes one layer's tar may have, decompressed.
	MaxLayerBytes int64
	// MaxImageBytes is the most bytes all layers may have together, decompressed.
	MaxImageBytes int64
	// MaxDatabaseSize is the largest package database or OS release file read.
	MaxDatabaseSize int64
	// MaxBinarySize is the largest executable read for Go build information.
	MaxBinarySize int64
	// MaxReadBytes is the most file content read into memory over the whole image.
	MaxReadBytes int64
	// MaxMetadataSize is the largest manifest, index or configuration read.
	MaxMetadataSize int64
}

// DefaultLimits are the limits used when Options.Limits is zero.
var DefaultLimits = Limits{
	MaxLayers:       512,
	MaxEntries:      2_000_000,
	MaxPathLen:      4096,
	MaxLayerBytes:   32 << 30,
	MaxImageBytes:   128 << 30,
	MaxDatabaseSize: 64 << 20,
	MaxBinarySize:   128 << 20,
	MaxReadBytes:    8 << 30,
	MaxMetadataSize: 8 << 20,
}

// withDefaults fills the zero fields of l from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	pick := func(v, def int64) int64 {
		if v > 0 {
			return v
		}
		return def
	}
	return Limits{
		MaxLayers:       int(pick(int64(l.MaxLayers), int64(d.MaxLayers))),
		MaxEntries:      int(pick(int64(l.MaxEntries), int64(d.MaxEntries))),
		MaxPathLen:      int(pick(int64(l.MaxPathLen), int64(d.MaxPathLen))),
		MaxLayerBytes:   pick(l.MaxLayerBytes, d.MaxLayerBytes),
		MaxImageBytes:   pick(l.MaxImageBytes, d.MaxImageBytes),
		MaxDatabaseSize: pick(l.MaxDatabaseSize, d.MaxDatabaseSize),
		MaxBinarySize:   pick(l.MaxBinarySize, d.MaxBinarySize),
		MaxReadBytes:    pick(l.MaxReadBytes, d.MaxReadBytes),
		MaxMetadataSize: pick(l.MaxMetadataSize, d.MaxMetadataSize),
	}
}

// Options tune how an image is found and read.
type Options struct {
	// Platform picks the image of a multi-platform index: os/arch[/variant]. Empty
	// means linux/amd64.
	Platform string
	// Insecure lets a registry reference use plain HTTP (and unverified TLS).
	Insecure bool
	// Keychain gives registry credentials; nil means authn.DefaultKeychain.
	Keychain authn.Keychain
	// Transport is the HTTP transport for registries; nil means the default.
	Transport http.RoundTripper
	// Timeout bounds the time spent talking to a registry before the layers are read
	// (resolving the reference, manifests and configuration); zero means 2 minutes.
	Timeout time.Duration
	Limits  Limits
	// Progress, when set, is told how far the reading of the layers has got: at the
	// start of each layer and as its stored bytes arrive. It is called from the
	// goroutine that called Scan.
	Progress func(Progress)
}

// Progress is how far Scan has read an image's layers.
type Progress struct {
	Ref string
	// Layer is the index of the layer being read, of Layers.
	Layer, Layers int
	// Read is the bytes of the layer's stored blob read so far, of Size (0 when the
	// size is not known).
	Read, Size int64
}

// DefaultPlatform is the platform picked from an index when none is asked for.
const DefaultPlatform = "linux/amd64"

// Image is what a scan of one image found.
type Image struct {
	// Ref is the reference as given (registry reference, oci:DIR, ...).
	Ref string
	// Name is the image's full name: for a registry, the repository and digest.
	Name string
	// Digest is the manifest's digest; empty for a docker-archive or a root filesystem.
	Digest string
	// Platform is the image's platform, from its configuration.
	Platform string
	Config   v1.ConfigFile
	Layers   []Layer
	// FS is the final filesystem.
	FS *FS
	// OS is the operating system release, nil when /etc/os-release and
	// /usr/lib/os-release are both missing.
	OS *OSRelease
	// Packages is the inventory, ordered by type, name, version and file.
	Packages []Package
	// Errors are content the scan could not read, which leaves the inventory
	// incomplete (a corrupt package database); Notes are things skipped on purpose
	// (an entry whose path leaves the image).
	Errors []Problem
	Notes  []Problem
}

// Layer describes one layer of an image.
type Layer struct {
	// Digest is the digest of the layer as stored (compressed); for a docker-archive,
	// whose manifest has none, the digest of the uncompressed tar (DiffID).
	Digest string
	DiffID string
	// Size is the stored size, when known.
	Size int64
	// CreatedBy is the history line that made the layer, when the configuration has one.
	CreatedBy string
}

// Short names a layer for messages: its index (from 1), short digest and history line.
func (im *Image) Short(i int) string {
	if i < 0 || i >= len(im.Layers) {
		return "no layer"
	}
	l := im.Layers[i]
	d := l.Digest
	if alg, hex, ok := strings.Cut(d, ":"); ok && len(hex) > 12 {
		d = alg + ":" + hex[:12]
	}
	s := fmt.Sprintf("layer %d (%s)", i+1, d)
	if c := l.CreatedBy; c != "" {
		if len(c) > 80 {
			c = c[:77] + "..."
		}
		s += ": " + c
	}
	return s
}

// Problem is a problem with the content of an image, positioned at a file of the
// image and the layer that wrote it.
type Problem struct {
	// Path is the file of the image, absolute; empty for the image as a whole.
	Path string
	// Line is the line in that file, when known.
	Line int
	// Layer is the index in Image.Layers; -1 when no layer is concerned.
	Layer   int
	Message string
}

// Scan opens the image ref names and reads it: configuration, every layer, inventory.
// An error means the image could not be read at all or failed a check (a layer's
// digest); content problems that leave the rest readable are in Image.Errors.
func Scan(ctx context.Context, ref string, o Options) (*Image, error) {
	o.Limits = o.Limits.withDefaults()
	src, err := open(ctx, ref, o)
	if err != nil {
		return nil, err
	}
	defer src.close()
	im := &Image{Ref: ref, Name: src.name, Digest: src.digest, Config: *src.config}
	if im.Name == "" {
		im.Name = ref
	}
	im.Platform = platformOf(src.config)
	if len(src.layers) > o.Limits.MaxLayers {
		return nil, fmt.Errorf("%s: %d layers, more than the limit of %d", ref, len(src.layers), o.Limits.MaxLayers)
	}
	im.Layers = layersOf(src)
	w := newWalker(im, o.Limits)
	if src.rootfs != nil {
		if err := w.rootfs(ctx, src.rootfs); err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
	} else {
		for i := range src.layers {
			if o.Progress != nil {
				src.layers[i].open = counted(src.layers[i].open, Progress{Ref: ref, Layer: i, Layers: len(src.layers), Size: src.layers[i].size}, o.Progress)
			}
			if err := w.layer(ctx, i, &src.layers[i]); err != nil {
				return nil, fmt.Errorf("%s: %s: %w", ref, im.Short(i), err)
			}
		}
	}
	w.finish()
	return im, nil
}

// counted wraps a layer's opener so that its reads are reported to report.
func counted(open func() (io.ReadCloser, error), p Progress, report func(Progress)) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		report(p)
		rc, err := open()
		if err != nil {
			return nil, err
		}
		return &countingReader{ReadCloser: rc, p: p, report: report}, nil
	}
}

type countingReader struct {
	io.ReadCloser
	p      Progress
	report func(Progress)
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.ReadCloser.Read(b)
	if n > 0 {
		c.p.Read += int64(n)
		c.report(c.p)
	}
	return n, err
}

// platformOf is os/arch[/variant] of a configuration.
func platformOf(c *v1.ConfigFile) string {
	if c.OS == "" && c.Architecture == "" {
		return ""
	}
	p := c.OS + "/" + c.Architecture
	if c.Variant != "" {
		p += "/" + c.Variant
	}
	return p
}

// layersOf describes src's layers, with the history lines that made them: the history
// entries that are not empty layers, in order.
func layersOf(src *source) []Layer {
	var created []string
	for _, h := range src.config.History {
		if !h.EmptyLayer {
			created = append(created, oneLine(h.CreatedBy))
		}
	}
	// History that does not match the layers (hand-made images) is not used.
	if len(created) != len(src.layers) {
		created = nil
	}
	out := make([]Layer, len(src.layers))
	for i, l := range src.layers {
		out[i] = Layer{Digest: l.digest.String(), DiffID: l.diffID.String(), Size: l.size}
		if l.digest == (v1.Hash{}) {
			out[i].Digest = out[i].DiffID
		}
		if l.diffID == (v1.Hash{}) {
			out[i].DiffID = ""
		}
		if created != nil {
			out[i].CreatedBy = created[i]
		}
	}
	return out
}

// oneLine strips the shell prefix Docker writes in history and joins lines.
func oneLine(s string) string {
	s = strings.TrimPrefix(s, "/bin/sh -c #(nop) ")
	if rest, ok := strings.CutPrefix(s, "/bin/sh -c "); ok {
		s = "RUN " + rest
	}
	return strings.Join(strings.Fields(s), " ")
}
