package sign

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// SignOptions are the inputs of a signing.
type SignOptions struct {
	Options
	// Annotations go into the signature's payload (its optional part).
	Annotations map[string]string
	// Scan, when set, scans the image at its pinned reference before it is signed: an
	// image whose scan did not pass is not signed, and the scan of one that did is
	// attached as an attestation. Its error stops the signing.
	Scan func(ctx context.Context, pinned string) (*ScanPredicate, error)
}

// Signed is what a signing did.
type Signed struct {
	// Ref is the reference as given, Digest the digest it resolved to and Pinned the
	// repository at that digest.
	Ref, Digest, Pinned string
	// Scan is the scan's result, nil when there was no scan.
	Scan *ScanPredicate
	// Refused is true when the scan did not pass: nothing was written.
	Refused bool
	// SignatureTag is the tag of the signatures; Appended is false when the image already
	// had this signature (same payload, same key), which is then left as it was.
	SignatureTag string
	Appended     bool
	// AttestationTag is the tag the scan attestation was appended to, when there was a scan.
	AttestationTag string
}

// Sign resolves ref to a digest, scans the image at that digest when o.Scan is set,
// and, unless the scan failed, signs the digest: the signature is appended to the
// digest's .sig image and the scan result to its .att image, existing layers kept.
func Sign(ctx context.Context, ref string, s *Signer, o SignOptions) (*Signed, error) {
	c := newClient(o.Options)
	rctx, cancel := context.WithTimeout(ctx, c.o.timeout())
	t, err := c.resolve(rctx, ref)
	cancel()
	if err != nil {
		return nil, err
	}
	out := &Signed{Ref: ref, Digest: t.Digest.DigestStr(), Pinned: t.Pinned()}
	if o.Scan != nil {
		p, err := o.Scan(ctx, t.Pinned())
		if err != nil {
			return out, fmt.Errorf("scanning %s: %w", t.Pinned(), err)
		}
		out.Scan = p
		if !p.Passed {
			out.Refused = true
			return out, nil
		}
	}
	wctx, cancel := context.WithTimeout(ctx, c.o.timeout())
	defer cancel()
	if out.Scan != nil {
		env, err := newEnvelope(s, t.Digest, out.Scan)
		if err != nil {
			return out, err
		}
		tag, err := tagFor(t.Digest, attSuffix)
		if err != nil {
			return out, err
		}
		ann := map[string]string{SignatureAnnotation: "", PredicateTypeAnnotation: ScanPredicateType}
		if _, err := c.appendLayer(wctx, tag, env, DSSEMediaType, ann, nil); err != nil {
			return out, err
		}
		out.AttestationTag = tag.String()
	}
	payload, err := newPayload(t.Digest, o.Annotations)
	if err != nil {
		return out, err
	}
	sig, err := s.sign(payload)
	if err != nil {
		return out, fmt.Errorf("signing: %w", err)
	}
	tag, err := tagFor(t.Digest, sigSuffix)
	if err != nil {
		return out, err
	}
	ann := map[string]string{SignatureAnnotation: base64.StdEncoding.EncodeToString(sig)}
	dupe := func(d v1.Descriptor) bool { // the same payload, signed by the same key
		b, err := base64.StdEncoding.DecodeString(d.Annotations[SignatureAnnotation])
		return err == nil && s.Public.verify(b, payload) == nil
	}
	appended, err := c.appendLayer(wctx, tag, payload, SimpleSigningMediaType, ann, dupe)
	if err != nil {
		return out, err
	}
	out.SignatureTag, out.Appended = tag.String(), appended
	return out, nil
}

// appendLayer adds a layer holding blob to the image tagged tag, made when missing,
// and tells whether it did: not when dupe says an existing layer with the same blob
// is the same. An image that cannot be read within the limits is left alone (an
// error), never replaced.
func (c *client) appendLayer(ctx context.Context, tag name.Tag, blob []byte, mt types.MediaType, ann map[string]string, dupe func(v1.Descriptor) bool) (bool, error) {
	a, err := c.fetchAttached(ctx, tag)
	if err != nil {
		return false, fmt.Errorf("reading %s before appending to it: %w", tag, err)
	}
	sum := sha256.Sum256(blob)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	if a.exists {
		if dupe != nil {
			for _, d := range a.manifest.Layers {
				if d.MediaType == mt && d.Digest.String() == digest && dupe(d) {
					return false, nil
				}
			}
		}
		img, err := remote.Image(tag, c.remote(ctx)...)
		if err != nil {
			return false, fmt.Errorf("reading %s before appending to it: %w", tag, registryError(ctx, err))
		}
		base = img
	}
	img, err := mutate.Append(base, mutate.Addendum{Layer: static.NewLayer(blob, mt), Annotations: ann, MediaType: mt})
	if err != nil {
		return false, err
	}
	if err := remote.Write(tag, img, c.remote(ctx)...); err != nil {
		return false, fmt.Errorf("writing %s: %w", tag, registryError(ctx, err))
	}
	return true, nil
}
