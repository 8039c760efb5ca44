package sign

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/kharden/kharden/internal/source/image"
)

// Options say how to reach registries.
type Options struct {
	// Insecure allows plain HTTP and unverified TLS.
	Insecure bool
	// Keychain gives registry credentials; nil means authn.DefaultKeychain (docker's
	// config and credential helpers).
	Keychain authn.Keychain
	// Transport is the HTTP transport; nil means the default.
	Transport http.RoundTripper
	// Timeout bounds the registry work of an operation: a whole verification; a
	// signing's resolution, then its writes (the scan has its own). Zero means 30
	// seconds.
	Timeout time.Duration
	Limits  Limits
}

// Limits bound what is read from a registry: a .sig or .att image is written by
// whoever can push to the repository, so it is read as hostile.
type Limits struct {
	// Response is the largest registry response read (a manifest, a layer); larger
	// responses are errors. Zero means 4 MiB.
	Response int64
	// Layers is the most layers of a .sig or .att image; more and the image is not
	// read. Zero means 256.
	Layers int
	// Layer is the largest signature or attestation layer read; larger ones are
	// skipped with a reason. Zero means 1 MiB.
	Layer int64
	// Total is the most bytes of layers read for one image's signatures and
	// attestations together. Zero means 16 MiB.
	Total int64
}

func (l Limits) withDefaults() Limits {
	if l.Response <= 0 {
		l.Response = 4 << 20
	}
	if l.Layers <= 0 {
		l.Layers = 256
	}
	if l.Layer <= 0 {
		l.Layer = 1 << 20
	}
	if l.Total <= 0 {
		l.Total = 16 << 20
	}
	return l
}

func (o Options) timeout() time.Duration {
	if o.Timeout <= 0 {
		return 30 * time.Second
	}
	return o.Timeout
}

// client talks to one registry on behalf of one operation.
type client struct {
	o      Options
	limits Limits
	ropts  []remote.Option
	// read counts the layer bytes read so far, against limits.Total.
	read int64
}

func newClient(o Options) *client {
	l := o.Limits.withDefaults()
	keys := o.Keychain
	if keys == nil {
		keys = authn.DefaultKeychain
	}
	t := o.Transport
	if t == nil {
		t = image.BaseTransport(o.Insecure)
	}
	ropts := []remote.Option{
		remote.WithAuthFromKeychain(keys), remote.WithUserAgent("kharden"),
		remote.WithTransport(&cappedTransport{next: t, limit: l.Response}),
		remote.WithRetryBackoff(remote.Backoff{Duration: 100 * time.Millisecond, Factor: 2, Steps: 2}),
	}
	return &client{o: o, limits: l, ropts: ropts}
}

func (c *client) remote(ctx context.Context) []remote.Option {
	return append(c.ropts[:len(c.ropts):len(c.ropts)], remote.WithContext(ctx))
}

func (c *client) nameOptions() []name.Option {
	if c.o.Insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

// Target is an image resolved to the digest of its manifest.
type Target struct {
	// Ref is the reference as given.
	Ref string
	// Digest is the image at the digest resolved: what is signed or verified.
	Digest name.Digest
}

// Pinned is the repository at the resolved digest: the reference to deploy.
func (t Target) Pinned() string { return t.Digest.String() }

// resolve reads the manifest ref names now and returns its digest, computed from the
// bytes received: a digest reference must match it.
func (c *client) resolve(ctx context.Context, ref string) (Target, error) {
	r, err := name.ParseReference(ref, c.nameOptions()...)
	if err != nil {
		return Target{}, fmt.Errorf("%q is not an image reference: %w", ref, err)
	}
	desc, err := remote.Get(r, c.remote(ctx)...)
	if err != nil {
		return Target{}, fmt.Errorf("%s: %w", ref, registryError(ctx, err))
	}
	if !desc.MediaType.IsImage() && !desc.MediaType.IsIndex() {
		return Target{}, fmt.Errorf("%s: %s is neither an image nor an index", ref, desc.MediaType)
	}
	// remote.Get computed the digest from the manifest's bytes (and checked it against
	// a digest reference); check again, since it is all that is signed.
	sum := sha256.Sum256(desc.Manifest)
	if got := "sha256:" + hex.EncodeToString(sum[:]); got != desc.Digest.String() {
		return Target{}, fmt.Errorf("%s: the manifest's digest is %s, not %s", ref, got, desc.Digest)
	}
	return Target{Ref: ref, Digest: r.Context().Digest(desc.Digest.String())}, nil
}

// tagFor is the tag of digest's signatures (suffix .sig) or attestations (.att).
func tagFor(d name.Digest, suffix string) (name.Tag, error) {
	h, err := hashOf(d)
	if err != nil {
		return name.Tag{}, err
	}
	return d.Repository.Tag(h.Algorithm + "-" + h.Hex + suffix), nil
}

func hashOf(d name.Digest) (v1.Hash, error) {
	return v1.NewHash(d.DigestStr())
}

// attached is a .sig or .att image as read: its manifest, or none.
type attached struct {
	tag      name.Tag
	exists   bool
	manifest *v1.Manifest
}

// errTooMany is the error of a .sig or .att image with too many layers.
var errTooMany = errors.New("too many layers")

// fetchAttached reads the manifest of the image tagged tag, bounded: a missing tag is
// no error (exists is false); too many layers is errTooMany.
func (c *client) fetchAttached(ctx context.Context, tag name.Tag) (*attached, error) {
	a := &attached{tag: tag}
	desc, err := remote.Get(tag, c.remote(ctx)...)
	if err != nil {
		var te *transport.Error
		if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
			return a, nil
		}
		return nil, fmt.Errorf("%s: %w", tag, registryError(ctx, err))
	}
	if !desc.MediaType.IsImage() {
		return nil, fmt.Errorf("%s: %s, not an image manifest", tag, desc.MediaType)
	}
	m, err := v1.ParseManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		return nil, fmt.Errorf("%s: the manifest does not parse: %w", tag, err)
	}
	if len(m.Layers) > c.limits.Layers {
		return nil, fmt.Errorf("%s has %d layers, more than %d: %w", tag, len(m.Layers), c.limits.Layers, errTooMany)
	}
	a.exists, a.manifest = true, m
	return a, nil
}

// fetchLayer reads one layer's blob, checked against its descriptor's size and digest.
// Its error is a reason to skip the layer, or a registry error (transport failure,
// timeout) in which case fatal is true.
func (c *client) fetchLayer(ctx context.Context, repo name.Repository, d v1.Descriptor) (b []byte, fatal bool, err error) {
	if d.Size > c.limits.Layer {
		return nil, false, fmt.Errorf("%d bytes, more than %d: not read", d.Size, c.limits.Layer)
	}
	if d.Size < 0 || d.Digest.Algorithm != "sha256" || len(d.Digest.Hex) != 64 {
		return nil, false, fmt.Errorf("the descriptor's size or digest is invalid")
	}
	if c.read+d.Size > c.limits.Total {
		return nil, false, fmt.Errorf("the layers read for this image reached %d bytes: not read", c.limits.Total)
	}
	l, err := remote.Layer(repo.Digest(d.Digest.String()), c.remote(ctx)...)
	if err != nil {
		return nil, true, registryError(ctx, err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, true, registryError(ctx, err)
	}
	defer rc.Close()
	b, err = io.ReadAll(io.LimitReader(rc, d.Size+1))
	c.read += int64(len(b))
	if err != nil {
		// The remote reader checks the digest at the end: a mismatch is the layer's
		// fault, not the registry's ("error verifying sha256 checksum ...").
		if ctx.Err() != nil || !strings.Contains(err.Error(), "error verifying") {
			return nil, true, registryError(ctx, err)
		}
		return nil, false, err
	}
	if int64(len(b)) != d.Size {
		return nil, false, fmt.Errorf("the blob is not the %d bytes its descriptor says", d.Size)
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != d.Digest.Hex {
		return nil, false, fmt.Errorf("the blob does not match its digest %s", d.Digest)
	}
	return b, false, nil
}

// registryError names a timeout as one.
func registryError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("the registry did not answer in time: %w", err)
	}
	return err
}

// cappedTransport fails a response whose body is longer than limit bytes.
type cappedTransport struct {
	next  http.RoundTripper
	limit int64
}

func (t *cappedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.limit {
		resp.Body.Close()
		return nil, fmt.Errorf("%s %s: the registry answers with %d bytes, more than %d", r.Method, r.URL.Redacted(), resp.ContentLength, t.limit)
	}
	resp.Body = &cappedBody{rc: resp.Body, left: t.limit, url: r.URL.Redacted()}
	return resp, nil
}

type cappedBody struct {
	rc   io.ReadCloser
	left int64
	url  string
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// Tell an answer of exactly the limit from a longer one.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("%s: the registry's answer is longer than the limit", b.url)
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
