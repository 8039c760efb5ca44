package scan

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/kharden/kharden/internal/engine"
	"github.com/kharden/kharden/internal/netguard"
	"github.com/kharden/kharden/internal/rule"
	imrules "github.com/kharden/kharden/internal/rules/image"
	"github.com/kharden/kharden/internal/sign"
	"github.com/kharden/kharden/internal/source/image"
)

// ImagePulls is how many images `kharden scan --images` reads at once.
const ImagePulls = 3

// imageJudge reads the images that workloads name, for `kharden scan --images`, and
// judges each with the image rules once: a reference is resolved to a digest once, and
// a digest read once, however many containers, inputs and references name it. Only
// the verdict is kept, not the image.
type imageJudge struct {
	sc    *ImageScanner
	rules []*imrules.Rule
	// ctx ends the reads: Each sets it before any object is checked.
	ctx context.Context
	// pulls holds a token per registry conversation in progress.
	pulls chan struct{}

	// guard says which registries may be read; nil: any.
	guard *RegistryGuard

	// used is set once an image is judged.
	used atomic.Bool

	// sig is image-signature-verified when it is on and the config has image policies:
	// each image a policy covers is verified under it, once per digest and policy.
	sig *imrules.Rule

	mu       sync.Mutex
	byRef    map[string]*verdict // the digest a reference names
	byDigest map[string]*verdict // the image rules' verdict
	bySig    map[string]*verdict // repository@digest NUL policy name: a policy's verdict
}

// verdict is one image's verdict, ready when done is closed.
type verdict struct {
	done   chan struct{}
	v      engine.ImageVerdict
	digest string // for byRef: repository@sha256:..., empty when not resolved
}

func newImageJudge(sc *ImageScanner) *imageJudge {
	j := &imageJudge{sc: sc, ctx: context.Background(), pulls: make(chan struct{}, ImagePulls),
		byRef: map[string]*verdict{}, byDigest: map[string]*verdict{}, bySig: map[string]*verdict{}}
	j.rules = sc.ContentRules()
	if len(sc.policies) > 0 {
		j.sig = sc.signature
	}
	return j
}

// metas are the rules the judge runs.
func (j *imageJudge) metas() []*rule.Meta {
	out := make([]*rule.Meta, 0, len(j.rules)+1)
	for _, r := range j.rules {
		out = append(out, &r.Meta)
	}
	if j.sig != nil {
		out = append(out, &j.sig.Meta)
	}
	return out
}

// once returns the verdict of key in m, computing it with f when it is the first to
// ask; the others wait for it.
func (j *imageJudge) once(m map[string]*verdict, key string, f func(v *verdict)) *verdict {
	j.mu.Lock()
	if v := m[key]; v != nil {
		j.mu.Unlock()
		<-v.done
		return v
	}
	v := &verdict{done: make(chan struct{})}
	m[key] = v
	j.mu.Unlock()
	defer close(v.done)
	f(v)
	return v
}

// judge is engine.Options.Images: the image rules' verdict on the image ref names and,
// when image policies apply, the verdict of each policy that covers it in namespace.
func (j *imageJudge) judge(ref, namespace string) engine.ImageVerdict {
	j.used.Store(true)
	r := j.once(j.byRef, ref, func(v *verdict) {
		if err := j.allow(ref); err != nil {
			v.v = engine.ImageVerdict{Errors: []string{"not read: " + err.Error()}}
			return
		}
		err := j.pull(func() (err error) {
			v.digest, err = image.Resolve(j.ctx, ref, j.sc.o.Image)
			return err
		})
		if err != nil {
			v.digest, v.v = "", unreadable(ref, err)
		}
	})
	if r.digest == "" {
		return r.v
	}
	out := j.once(j.byDigest, r.digest, func(v *verdict) { v.v = j.read(r.digest) }).v
	if ps := j.policiesFor(ref, namespace); len(ps) > 0 {
		out = engine.ImageVerdict{Results: slices.Clone(out.Results), Errors: slices.Clone(out.Errors), Notes: out.Notes}
		for _, p := range ps {
			s := j.once(j.bySig, r.digest+"\x00"+p.Name, func(v *verdict) { v.v = j.verify(r.digest, p) }).v
			out.Results = append(out.Results, s.Results...)
			out.Errors = append(out.Errors, s.Errors...)
		}
	}
	return out
}

// policiesFor are the image policies that judge ref in namespace: those whose images
// cover it and whose namespaces hold namespace. An object that names no namespace can
// be applied in any, so every policy that covers the image judges it.
func (j *imageJudge) policiesFor(ref, namespace string) []*ImagePolicy {
	if j.sig == nil {
		return nil
	}
	var out []*ImagePolicy
	for _, p := range j.sc.policies {
		if p.Covers(ref) && (namespace == "" || p.AppliesIn(namespace)) {
			out = append(out, p)
		}
	}
	return out
}

// verify verifies the image at digest (registry/repo@sha256:..., as resolved) under
// policy p, as the webhook and `kharden verify` do, through the judge's guarded
// transport. An image that does not verify is a finding of image-signature-verified
// with the reason; a verification that could not be made is an error.
func (j *imageJudge) verify(digest string, p *ImagePolicy) engine.ImageVerdict {
	vo := p.Verify
	vo.Options = sign.Options{Insecure: j.sc.o.Image.Insecure, Keychain: j.sc.o.Image.Keychain,
		Transport: j.sc.o.Image.Transport, Timeout: j.sc.o.Image.Timeout}
	var res *sign.Verification
	err := j.pull(func() (err error) {
		res, err = sign.Verify(j.ctx, digest, vo)
		return err
	})
	if err != nil {
		return engine.ImageVerdict{Errors: []string{fmt.Sprintf("could not be verified by image policy %q (%s): %s",
			p.Name, ImagePoliciesKey, strings.TrimPrefix(err.Error(), digest+": "))}}
	}
	if res.Verified {
		return engine.ImageVerdict{}
	}
	sev := j.sig.Severity
	if v, ok := j.sc.severity[j.sig.ID]; ok {
		sev = v
	}
	// images.exceptions do not apply: the webhook does not read them for image policies.
	return engine.ImageVerdict{Results: []rule.Result{{Meta: &j.sig.Meta, Status: rule.Fail, Severity: sev,
		Message: fmt.Sprintf("%s is not verified by image policy %q: %s", shortDigest(digest), p.Name, NotVerifiedReason(res))}}}
}

// shortDigest is the digest part of repository@sha256:..., as a finding names it.
func shortDigest(ref string) string {
	if _, d, ok := strings.Cut(ref, "@"); ok {
		return d
	}
	return ref
}

// allow refuses a reference to a registry not among the allowed ones.
func (j *imageJudge) allow(ref string) error {
	if j.guard == nil {
		return nil
	}
	return j.guard.Allow(ref)
}

// RegistryGuard is what --allow-registry allows: the registries an image may be read
// from, and the transport that refuses any other address (private and loopback ones
// unless a named registry is there), checked on the address dialled.
type RegistryGuard struct {
	allowed  map[string]bool // RegistryStr; nil: any at a public address
	insecure bool
	// Transport is the guarded transport of the reads.
	Transport http.RoundTripper
}

// NewRegistryGuard checks the --allow-registry entries (host[:port], or "*" for any
// at a public address). insecure is --insecure-registry.
func NewRegistryGuard(entries []string, insecure bool) (*RegistryGuard, error) {
	var allowed map[string]bool
	var named []string
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "*" {
			continue
		}
		var opts []name.Option
		if insecure {
			opts = append(opts, name.Insecure)
		}
		reg, err := name.NewRegistry(e, append(opts, name.StrictValidation)...)
		if err != nil || strings.ContainsAny(e, "/@") {
			return nil, fmt.Errorf("--allow-registry %q: not a registry (host or host:port, as in an image reference; \"*\" for any at a public address)", e)
		}
		if allowed == nil {
			allowed = map[string]bool{}
		}
		allowed[reg.RegistryStr()] = true
		named = append(named, reg.RegistryStr())
	}
	if slices.Contains(entries, "*") {
		allowed = nil
	}
	return &RegistryGuard{allowed: allowed, insecure: insecure,
		Transport: netguard.New("name its registry with --allow-registry to reach it", named...).Transport(image.BaseTransport(insecure))}, nil
}

// Allow refuses a reference to a registry the entries do not name (when they name
// any). A reference that does not parse is let through: reading it says what is wrong.
func (g *RegistryGuard) Allow(ref string) error {
	if g.allowed == nil {
		return nil
	}
	var opts []name.Option
	if g.insecure {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(ref, opts...)
	if err != nil {
		return nil
	}
	if reg := r.Context().RegistryStr(); !g.allowed[reg] {
		return fmt.Errorf("registry %s is not among those --allow-registry names", reg)
	}
	return nil
}

// read reads the image at digest (registry/repo@sha256:...) and judges it.
func (j *imageJudge) read(digest string) engine.ImageVerdict {
	var si *ScannedImage
	err := j.pull(func() (err error) {
		si, err = j.sc.Read(j.ctx, digest, "")
		return err
	})
	if err != nil {
		return unreadable(digest, err)
	}
	var v engine.ImageVerdict
	v.Results, v.Errors, v.Notes = j.sc.Judge(si)
	return v
}

// pull runs f holding one of the ImagePulls tokens.
func (j *imageJudge) pull(f func() error) error {
	select {
	case j.pulls <- struct{}{}:
	case <-j.ctx.Done():
		return context.Cause(j.ctx)
	}
	defer func() { <-j.pulls }()
	return f()
}

func unreadable(ref string, err error) engine.ImageVerdict {
	return engine.ImageVerdict{Errors: []string{"could not be read: " + strings.TrimPrefix(err.Error(), ref+": ")}}
}
