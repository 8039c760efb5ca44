package sign

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// VerifyOptions are what a verification requires.
type VerifyOptions struct {
	Options
	// Keys are the keys a signature may be made with; at least one.
	Keys []*PublicKey
	// Annotations must all be in a signature's payload, with these values.
	Annotations map[string]string
	// Attestation, when set, requires a passing kharden scan attestation as well.
	Attestation *AttestationPolicy
	// Now is the clock attestations' ages are judged by; nil means time.Now.
	Now func() time.Time
}

// AttestationPolicy is what a scan attestation must show.
type AttestationPolicy struct {
	// MaxAge is the oldest a scan may be; zero means any age.
	MaxAge time.Duration
	// FailOn is the lowest severity the scan must have found nothing at or above:
	// info, low, medium, high or critical.
	FailOn string
}

// clockSkew is how far in the future a scan's time may be.
const clockSkew = 5 * time.Minute

// Verification is the outcome of verifying one image.
type Verification struct {
	// Ref is the reference as given.
	Ref string `json:"ref"`
	// Digest is the digest the reference resolved to: what was verified.
	Digest string `json:"digest"`
	// Pinned is the repository at Digest: the reference to deploy.
	Pinned string `json:"pinned"`
	// Verified is true when a signature verified (and, when asked, an attestation).
	Verified bool `json:"verified"`
	// SignatureTag and AttestationTag are the tags read.
	SignatureTag   string `json:"signatureTag"`
	AttestationTag string `json:"attestationTag,omitempty"`
	// Signatures has one entry per layer of the .sig image.
	Signatures []Result `json:"signatures"`
	// Attestations has one entry per layer of the .att image, when required.
	Attestations []Result `json:"attestations,omitempty"`
	// Problems say why nothing verified when no layer could say it: no .sig image,
	// too many layers.
	Problems []string `json:"problems,omitempty"`
}

// Result is the verdict on one signature or attestation layer.
type Result struct {
	// Layer is the layer's index in its image, from 0.
	Layer int `json:"layer"`
	// Digest is the layer's digest.
	Digest string `json:"digest"`
	// Verified is true when the layer passed every check.
	Verified bool `json:"verified"`
	// Key and KeyID name the key whose signature verified, even when a later check failed.
	Key   string `json:"key,omitempty"`
	KeyID string `json:"keyID,omitempty"`
	// Reason says why the layer did not verify.
	Reason string `json:"reason,omitempty"`
	// Annotations are a verified signature payload's optional part.
	Annotations map[string]any `json:"annotations,omitempty"`
	// Scan is a verified attestation's scan result.
	Scan *ScanPredicate `json:"scan,omitempty"`
}

// Verify resolves ref to a digest and verifies the signatures of that digest (and,
// when asked, its scan attestations) against the keys. A registry that cannot be
// reached or answers what is no registry's answer is an error; an image that is not
// signed as required is a Verification with Verified false and the reasons.
func Verify(ctx context.Context, ref string, o VerifyOptions) (*Verification, error) {
	if len(o.Keys) == 0 {
		return nil, errors.New("no key to verify with")
	}
	if o.Attestation != nil {
		if _, err := (&ScanPredicate{}).PassesAt(o.Attestation.FailOn); err != nil {
			return nil, fmt.Errorf("attestation policy: %w", err)
		}
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	c := newClient(o.Options)
	ctx, cancel := context.WithTimeout(ctx, c.o.timeout())
	defer cancel()
	t, err := c.resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	return c.verifyTarget(ctx, t, o, now())
}

// verifyTarget verifies a resolved image.
func (c *client) verifyTarget(ctx context.Context, t Target, o VerifyOptions, now time.Time) (*Verification, error) {
	v := &Verification{Ref: t.Ref, Digest: t.Digest.DigestStr(), Pinned: t.Pinned()}
	sigTag, err := tagFor(t.Digest, sigSuffix)
	if err != nil {
		return nil, err
	}
	v.SignatureTag = sigTag.String()
	signed, err := c.verifySignatures(ctx, t, sigTag, o, v)
	if err != nil {
		return nil, err
	}
	v.Verified = signed
	if o.Attestation == nil {
		return v, nil
	}
	attTag, err := tagFor(t.Digest, attSuffix)
	if err != nil {
		return nil, err
	}
	v.AttestationTag = attTag.String()
	attested, err := c.verifyAttestations(ctx, t, attTag, o, now, v)
	if err != nil {
		return nil, err
	}
	v.Verified = signed && attested
	return v, nil
}

// verifySignatures checks every layer of the .sig image and tells whether one verified.
func (c *client) verifySignatures(ctx context.Context, t Target, tag name.Tag, o VerifyOptions, v *Verification) (bool, error) {
	a, err := c.fetchAttached(ctx, tag)
	if errors.Is(err, errTooMany) {
		v.Problems = append(v.Problems, err.Error()+": signatures not read")
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !a.exists {
		v.Problems = append(v.Problems, fmt.Sprintf("no signatures: %s does not exist", tag))
		return false, nil
	}
	ok := false
	for i, d := range a.manifest.Layers {
		r := Result{Layer: i, Digest: d.Digest.String()}
		fatal, err := c.checkSignature(ctx, t, d, o, &r)
		if fatal {
			return false, fmt.Errorf("%s layer %d: %w", tag, i, err)
		}
		if err != nil {
			r.Reason = err.Error()
		} else {
			r.Verified, ok = true, true
		}
		v.Signatures = append(v.Signatures, r)
	}
	if len(a.manifest.Layers) == 0 {
		v.Problems = append(v.Problems, fmt.Sprintf("no signatures: %s has no layers", tag))
	}
	return ok, nil
}

// checkSignature checks one signature layer: media type, blob, signature against the
// keys, then the payload's claims. fatal reports a registry failure.
func (c *client) checkSignature(ctx context.Context, t Target, d v1.Descriptor, o VerifyOptions, r *Result) (fatal bool, err error) {
	if d.MediaType != SimpleSigningMediaType {
		return false, fmt.Errorf("media type %q, not a signature (%s): not read", d.MediaType, SimpleSigningMediaType)
	}
	b64, ok := d.Annotations[SignatureAnnotation]
	if !ok || b64 == "" {
		return false, fmt.Errorf("no %s annotation: not read", SignatureAnnotation)
	}
	sig, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return false, fmt.Errorf("the %s annotation is not base64: not read", SignatureAnnotation)
	}
	payload, fatal, err := c.fetchLayer(ctx, t.Digest.Repository, d)
	if err != nil {
		return fatal, err
	}
	var by *PublicKey
	for _, k := range o.Keys {
		if k.verify(sig, payload) == nil {
			by = k
			break
		}
	}
	if by == nil {
		return false, fmt.Errorf("no key verifies the signature (tried %s)", keyNames(o.Keys))
	}
	r.Key, r.KeyID = by.Name, by.ID
	cl, err := parsePayload(payload)
	if err != nil {
		return false, fmt.Errorf("signed by %s, but %w", by.Name, err)
	}
	if cl.Digest != t.Digest.DigestStr() {
		return false, fmt.Errorf("signed by %s for the digest %q, not %s", by.Name, cl.Digest, t.Digest.DigestStr())
	}
	if !sameRepository(cl.Reference, t.Digest.Repository) {
		return false, fmt.Errorf("signed by %s for the repository %q, not %s (a signature copied from another repository)", by.Name, cl.Reference, t.Digest.Repository.Name())
	}
	r.Annotations = cl.Annotations
	for _, k := range sortedKeys(o.Annotations) {
		got, ok := cl.Annotations[k]
		if !ok {
			return false, fmt.Errorf("signed by %s, without the annotation %s=%s", by.Name, k, o.Annotations[k])
		}
		if s, isString := got.(string); !isString || s != o.Annotations[k] {
			return false, fmt.Errorf("signed by %s with the annotation %s=%v, not %s", by.Name, k, got, o.Annotations[k])
		}
	}
	return false, nil
}

// verifyAttestations checks every layer of the .att image and tells whether one is a
// passing scan signed by a key.
func (c *client) verifyAttestations(ctx context.Context, t Target, tag name.Tag, o VerifyOptions, now time.Time, v *Verification) (bool, error) {
	a, err := c.fetchAttached(ctx, tag)
	if errors.Is(err, errTooMany) {
		v.Problems = append(v.Problems, err.Error()+": attestations not read")
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !a.exists {
		v.Problems = append(v.Problems, fmt.Sprintf("no attestations: %s does not exist", tag))
		return false, nil
	}
	ok := false
	for i, d := range a.manifest.Layers {
		r := Result{Layer: i, Digest: d.Digest.String()}
		fatal, err := c.checkAttestation(ctx, t, d, o, now, &r)
		if fatal {
			return false, fmt.Errorf("%s layer %d: %w", tag, i, err)
		}
		if err != nil {
			r.Reason = err.Error()
		} else {
			r.Verified, ok = true, true
		}
		v.Attestations = append(v.Attestations, r)
	}
	if !ok {
		v.Problems = append(v.Problems, fmt.Sprintf("no passing kharden scan attestation (%s) signed by a key", ScanPredicateType))
	}
	return ok, nil
}

// checkAttestation checks one attestation layer.
func (c *client) checkAttestation(ctx context.Context, t Target, d v1.Descriptor, o VerifyOptions, now time.Time, r *Result) (fatal bool, err error) {
	if d.MediaType != DSSEMediaType {
		return false, fmt.Errorf("media type %q, not an attestation (%s): not read", d.MediaType, DSSEMediaType)
	}
	// The annotation is not signed: it only spares reading other predicates.
	if pt := d.Annotations[PredicateTypeAnnotation]; pt != ScanPredicateType {
		return false, fmt.Errorf("predicate type %q, not %s: not read", pt, ScanPredicateType)
	}
	b, fatal, err := c.fetchLayer(ctx, t.Digest.Repository, d)
	if err != nil {
		return fatal, err
	}
	st, by, err := openEnvelope(b, o.Keys)
	if by != nil {
		r.Key, r.KeyID = by.Name, by.ID
	}
	if err != nil {
		if by == nil {
			return false, fmt.Errorf("%w (tried %s)", err, keyNames(o.Keys))
		}
		return false, fmt.Errorf("signed by %s, but %w", by.Name, err)
	}
	if st.PredicateType != ScanPredicateType {
		return false, fmt.Errorf("signed by %s, but the statement's predicate type is %q", by.Name, st.PredicateType)
	}
	h, err := hashOf(t.Digest)
	if err != nil {
		return false, err
	}
	if !st.about(h.Algorithm, h.Hex) {
		return false, fmt.Errorf("signed by %s for another digest: the statement's subjects do not include %s", by.Name, h)
	}
	var p ScanPredicate
	if err := json.Unmarshal(st.Predicate, &p); err != nil {
		return false, fmt.Errorf("signed by %s, but the predicate does not parse: %w", by.Name, err)
	}
	r.Scan = &p
	pol := o.Attestation
	if p.Time.IsZero() {
		return false, fmt.Errorf("signed by %s, but the scan has no time", by.Name)
	}
	if p.Time.After(now.Add(clockSkew)) {
		return false, fmt.Errorf("signed by %s, but the scan's time %s is in the future", by.Name, p.Time.UTC().Format(time.RFC3339))
	}
	if age := now.Sub(p.Time); pol.MaxAge > 0 && age > pol.MaxAge {
		return false, fmt.Errorf("signed by %s, but the scan of %s is %s old, more than the %s allowed", by.Name,
			p.Time.UTC().Format(time.RFC3339), age.Round(time.Minute), pol.MaxAge)
	}
	pass, err := p.PassesAt(pol.FailOn)
	if err != nil {
		return false, err
	}
	if !pass {
		return false, fmt.Errorf("signed by %s, but the scan found %s at or above %s", by.Name, countsText(p.Counts), pol.FailOn)
	}
	return false, nil
}

// countsText is "2 high, 1 critical".
func countsText(m map[string]int) string {
	s := ""
	for _, sev := range severities {
		if m[sev] > 0 {
			if s != "" {
				s += ", "
			}
			s += fmt.Sprintf("%d %s", m[sev], sev)
		}
	}
	if s == "" {
		return "nothing"
	}
	return s
}

func keyNames(keys []*PublicKey) string {
	s := ""
	for i, k := range keys {
		if i > 0 {
			s += ", "
		}
		s += k.Name
	}
	return s
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
