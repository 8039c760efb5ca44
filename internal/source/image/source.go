package image

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// source is an opened image: its configuration and how to read each layer.
type source struct {
	name, digest string
	config       *v1.ConfigFile
	layers       []layerSource
	// rootfs is set for a root filesystem, which has no layers.
	rootfs *os.Root
	closer func() error
}

func (s *source) close() {
	if s.closer != nil {
		_ = s.closer()
	}
}

// layerSource is one layer: the digests it must match and how to open it.
type layerSource struct {
	// digest is the digest of the stored (compressed) blob, checked when set.
	digest v1.Hash
	// diffID is the digest of the uncompressed tar, checked when digest is not set.
	diffID v1.Hash
	size   int64
	open   func() (io.ReadCloser, error)
}

// The prefixes of REF that name local images.
const (
	prefixOCI           = "oci:"
	prefixOCIArchive    = "oci-archive:"
	prefixDockerArchive = "docker-archive:"
	prefixRootFS        = "rootfs:"
)

// open finds the image ref names.
func open(ctx context.Context, ref string, o Options) (*source, error) {
	local := func(prefix string, f func(string) (*source, error)) (*source, error) {
		p := strings.TrimPrefix(ref, prefix)
		if p == "" {
			return nil, fmt.Errorf("%s: no path after %s", ref, prefix)
		}
		s, err := f(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		return s, nil
	}
	plat, err := parsePlatform(o.Platform)
	if err != nil {
		return nil, err
	}
	switch {
	case strings.HasPrefix(ref, prefixOCI):
		return local(prefixOCI, func(p string) (*source, error) {
			fi, err := os.Stat(p)
			if err != nil {
				return nil, err
			}
			if !fi.IsDir() {
				return nil, fmt.Errorf("not a directory (an OCI layout in a tar file is oci-archive:FILE)")
			}
			root, err := os.OpenRoot(p)
			if err != nil {
				return nil, err
			}
			s, err := openLayout(root.FS(), plat, o.Limits)
			if err != nil {
				root.Close()
				return nil, err
			}
			s.closer = root.Close
			return s, nil
		})
	case strings.HasPrefix(ref, prefixOCIArchive):
		return local(prefixOCIArchive, func(p string) (*source, error) {
			a, err := openArchive(p, o.Limits)
			if err != nil {
				return nil, err
			}
			s, err := openLayout(a, plat, o.Limits)
			if err != nil {
				a.Close()
				return nil, err
			}
			s.closer = a.Close
			return s, nil
		})
	case strings.HasPrefix(ref, prefixDockerArchive):
		return local(prefixDockerArchive, func(p string) (*source, error) {
			a, err := openArchive(p, o.Limits)
			if err != nil {
				return nil, err
			}
			s, err := openDockerArchive(a, o.Limits)
			if err != nil {
				a.Close()
				return nil, err
			}
			s.closer = a.Close
			return s, nil
		})
	case strings.HasPrefix(ref, prefixRootFS):
		return local(prefixRootFS, func(p string) (*source, error) {
			fi, err := os.Stat(p)
			if err != nil {
				return nil, err
			}
			if !fi.IsDir() {
				return nil, fmt.Errorf("not a directory")
			}
			root, err := os.OpenRoot(p)
			if err != nil {
				return nil, err
			}
			return &source{name: p, config: &v1.ConfigFile{}, rootfs: root, closer: root.Close}, nil
		})
	}
	return openRemote(ctx, ref, plat, o)
}

// parsePlatform reads os/arch[/variant], DefaultPlatform when empty.
func parsePlatform(s string) (v1.Platform, error) {
	if s == "" {
		s = DefaultPlatform
	}
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" || (len(parts) == 3 && parts[2] == "") {
		return v1.Platform{}, fmt.Errorf("--platform %q: want os/arch or os/arch/variant, such as linux/arm64/v8", s)
	}
	p := v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// pick chooses the descriptor of plat among an index's manifests. Variants are
// compared when plat has one; arm64's "v8" is the same as none.
func pick(manifests []v1.Descriptor, plat v1.Platform) (v1.Descriptor, error) {
	var have []string
	for _, d := range manifests {
		p := d.Platform
		if p == nil {
			continue
		}
		have = append(have, p.String())
		if p.OS != plat.OS || p.Architecture != plat.Architecture {
			continue
		}
		if plat.Variant != "" && p.Variant != plat.Variant && !(plat.Architecture == "arm64" &&
			(p.Variant == "" || p.Variant == "v8") && plat.Variant == "v8") {
			continue
		}
		return d, nil
	}
	if len(have) == 0 {
		return v1.Descriptor{}, fmt.Errorf("the index names no platform, so %s cannot be picked", plat.String())
	}
	return v1.Descriptor{}, fmt.Errorf("the index has no image for platform %s (it has %s): choose one with --platform",
		plat.String(), strings.Join(have, ", "))
}

// openRemote resolves ref at its registry.
func openRemote(ctx context.Context, ref string, plat v1.Platform, o Options) (*source, error) {
	var nopts []name.Option
	if o.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, fmt.Errorf("%q is not an image reference, oci:DIR, oci-archive:FILE, docker-archive:FILE or rootfs:DIR: %w", ref, err)
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	// The context of the registry's requests: the layers are fetched with it after
	// this returns, so it ends when the source is closed. The timeout bounds the time
	// to resolve the image, then the time a layer may go without a byte arriving.
	mctx, cancel := context.WithCancel(ctx)
	timer := time.AfterFunc(timeout, cancel)
	ok := false
	defer func() {
		if !ok {
			timer.Stop()
			cancel()
		}
	}()
	desc, err := remote.Get(r, append(remoteOptions(o), remote.WithContext(mctx))...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	var img v1.Image
	switch {
	case desc.MediaType.IsIndex():
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		d, err := pick(im.Manifests, plat)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		if img, err = idx.Image(d.Digest); err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
	case desc.MediaType.IsImage():
		if img, err = desc.Image(); err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
	default:
		return nil, fmt.Errorf("%s: %s is neither an image nor an index", ref, desc.MediaType)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("%s: manifest: %w", ref, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("%s: configuration: %w", ref, err)
	}
	s := &source{name: r.Context().Name() + "@" + digest.String(), digest: digest.String(), config: cfg}
	for _, d := range m.Layers {
		l, err := img.LayerByDigest(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("%s: layer %s: %w", ref, d.Digest, err)
		}
		s.layers = append(s.layers, layerSource{digest: d.Digest, size: d.Size, open: func() (io.ReadCloser, error) {
			timer.Reset(timeout)
			rc, err := l.Compressed()
			if err != nil {
				return nil, err
			}
			return &idleReader{rc: rc, timer: timer, timeout: timeout}, nil
		}})
	}
	if err := checkDiffIDs(cfg, len(s.layers)); err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	timer.Stop()
	ok = true
	s.closer = func() error {
		timer.Stop()
		cancel()
		return nil
	}
	return s, nil
}

// remoteOptions are the options of every request to a registry.
func remoteOptions(o Options) []remote.Option {
	keys := o.Keychain
	if keys == nil {
		keys = authn.DefaultKeychain
	}
	ropts := []remote.Option{remote.WithAuthFromKeychain(keys), remote.WithUserAgent("kharden"),
		remote.WithRetryBackoff(remote.Backoff{Duration: 250 * time.Millisecond, Factor: 2, Steps: 2})}
	t := o.Transport
	if t == nil {
		t = BaseTransport(o.Insecure)
	}
	return append(ropts, remote.WithTransport(t))
}

// BaseTransport is the transport of registry requests: go-containerregistry's, which
// does not check TLS certificates when insecure (--insecure-registry: a registry with
// a self-signed certificate).
func BaseTransport(insecure bool) *http.Transport {
	t := remote.DefaultTransport.(*http.Transport).Clone()
	if insecure {
		if t.TLSClientConfig == nil {
			t.TLSClientConfig = &tls.Config{}
		}
		t.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // what --insecure-registry asks for
	}
	return t
}

// Resolve asks ref's registry which manifest (image or index) the registry reference
// ref names now, with one HEAD request, and returns ref's repository at that digest
// (registry/repo@sha256:...), to be read with Scan: what is read is then what was
// resolved, and two references to the same content can be read once. Only registry
// references are taken: oci:, docker-archive: and the other file references are
// refused, so that a reference written in someone else's manifest never reads a local
// file.
func Resolve(ctx context.Context, ref string, o Options) (string, error) {
	if IsLocal(ref) {
		return "", fmt.Errorf("%q is not a registry reference", ref)
	}
	var nopts []name.Option
	if o.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return "", fmt.Errorf("%q is not an image reference: %w", ref, err)
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	desc, err := remote.Head(r, append(remoteOptions(o), remote.WithContext(ctx))...)
	if err != nil {
		return "", fmt.Errorf("%s: %w", ref, err)
	}
	return r.Context().Digest(desc.Digest.String()).String(), nil
}

// IsLocal reports whether ref names an image in a file or directory (oci:DIR,
// oci-archive:FILE, docker-archive:FILE, rootfs:DIR) rather than at a registry.
func IsLocal(ref string) bool {
	for _, p := range []string{prefixOCI, prefixOCIArchive, prefixDockerArchive, prefixRootFS} {
		if strings.HasPrefix(ref, p) {
			return true
		}
	}
	return false
}

// checkDiffIDs checks that a configuration lists as many layers as the manifest.
func checkDiffIDs(cfg *v1.ConfigFile, n int) error {
	if len(cfg.RootFS.DiffIDs) != n {
		return fmt.Errorf("the configuration lists %d layers and the manifest %d", len(cfg.RootFS.DiffIDs), n)
	}
	return nil
}

// readSmall reads a metadata file of at most limit bytes.
func readSmall(fsys fs.FS, p string, limit int64) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: larger than the limit of %d bytes", p, limit)
	}
	return b, nil
}

// blobPath is where a layout keeps the blob of digest h.
func blobPath(h v1.Hash) (string, error) {
	if h.Algorithm != "sha256" {
		return "", fmt.Errorf("digest %s: only sha256 is supported", h)
	}
	return "blobs/sha256/" + h.Hex, nil
}

// readBlob reads and checks a small blob of a layout.
func readBlob(fsys fs.FS, d v1.Descriptor, limit int64) ([]byte, error) {
	p, err := blobPath(d.Digest)
	if err != nil {
		return nil, err
	}
	b, err := readSmall(fsys, p, limit)
	if err != nil {
		return nil, err
	}
	if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != d.Digest.Hex {
		return nil, fmt.Errorf("blob %s does not match its digest (sha256:%s)", d.Digest, hex.EncodeToString(got[:]))
	}
	return b, nil
}

// openLayout reads an OCI image layout: index.json, then indexes down to the image
// of plat (or the only image), its manifest and configuration.
func openLayout(fsys fs.FS, plat v1.Platform, lim Limits) (*source, error) {
	raw, err := readSmall(fsys, "index.json", lim.MaxMetadataSize)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no index.json: not an OCI image layout")
		}
		return nil, err
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("index.json: %w", err)
	}
	manifests := idx.Manifests
	for depth := 0; ; depth++ {
		if depth > 4 {
			return nil, fmt.Errorf("indexes nested more than 4 deep")
		}
		var d v1.Descriptor
		switch {
		case len(manifests) == 0:
			return nil, fmt.Errorf("the index lists no image")
		case len(manifests) == 1:
			d = manifests[0]
		default:
			if d, err = pick(manifests, plat); err != nil {
				return nil, err
			}
		}
		switch {
		case d.MediaType.IsIndex():
			b, err := readBlob(fsys, d, lim.MaxMetadataSize)
			if err != nil {
				return nil, err
			}
			sub, err := v1.ParseIndexManifest(bytes.NewReader(b))
			if err != nil {
				return nil, fmt.Errorf("index %s: %w", d.Digest, err)
			}
			manifests = sub.Manifests
		case d.MediaType.IsImage() || d.MediaType == "":
			return layoutImage(fsys, d, lim)
		default:
			return nil, fmt.Errorf("%s is neither an image nor an index", d.MediaType)
		}
	}
}

// layoutImage reads the image d of a layout.
func layoutImage(fsys fs.FS, d v1.Descriptor, lim Limits) (*source, error) {
	b, err := readBlob(fsys, d, lim.MaxMetadataSize)
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", d.Digest, err)
	}
	cb, err := readBlob(fsys, m.Config, lim.MaxMetadataSize)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(cb))
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	s := &source{name: "", digest: d.Digest.String(), config: cfg}
	for _, l := range m.Layers {
		p, err := blobPath(l.Digest)
		if err != nil {
			return nil, err
		}
		if l.MediaType == types.DockerForeignLayer || strings.Contains(string(l.MediaType), "nondistributable") {
			return nil, fmt.Errorf("layer %s is a foreign layer, which is not in the layout", l.Digest)
		}
		s.layers = append(s.layers, layerSource{digest: l.Digest, size: l.Size,
			open: func() (io.ReadCloser, error) { return fsys.Open(p) }})
	}
	if err := checkDiffIDs(cfg, len(s.layers)); err != nil {
		return nil, err
	}
	return s, nil
}

// dockerManifest is one image of a docker-archive's manifest.json.
type dockerManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// openDockerArchive reads a `docker save` tarball: manifest.json, the configuration
// and the layer tars, which are checked against the configuration's diff_ids.
func openDockerArchive(a *archive, lim Limits) (*source, error) {
	raw, err := readSmall(a, "manifest.json", lim.MaxMetadataSize)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no manifest.json: not a docker-archive (docker save) tarball")
		}
		return nil, err
	}
	var ms []dockerManifest
	if err := json.Unmarshal(raw, &ms); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	switch len(ms) {
	case 0:
		return nil, fmt.Errorf("manifest.json lists no image")
	case 1:
	default:
		return nil, fmt.Errorf("manifest.json lists %d images; save one image per tarball", len(ms))
	}
	m := ms[0]
	cb, err := readSmall(a, m.Config, lim.MaxMetadataSize)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	// The configuration is named by its digest (HEX.json, or blobs/sha256/HEX).
	want := strings.TrimSuffix(path.Base(m.Config), ".json")
	if got := sha256.Sum256(cb); len(want) == 64 && hex.EncodeToString(got[:]) != want {
		return nil, fmt.Errorf("configuration %s does not match its digest", m.Config)
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(cb))
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	if err := checkDiffIDs(cfg, len(m.Layers)); err != nil {
		return nil, err
	}
	s := &source{config: cfg}
	if len(m.RepoTags) > 0 {
		s.name = m.RepoTags[0]
	}
	for i, p := range m.Layers {
		p := p
		s.layers = append(s.layers, layerSource{diffID: cfg.RootFS.DiffIDs[i],
			open: func() (io.ReadCloser, error) { return a.Open(p) }})
	}
	return s, nil
}

// idleReader reads a layer from a registry, ending the requests' context when no byte
// arrives for timeout.
type idleReader struct {
	rc      io.ReadCloser
	timer   *time.Timer
	timeout time.Duration
}

func (r *idleReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	if n > 0 {
		r.timer.Reset(r.timeout)
	}
	return n, err
}

func (r *idleReader) Close() error {
	r.timer.Stop()
	return r.rc.Close()
}
