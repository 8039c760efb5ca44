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

	// allowed are the registries that may be read (RegistryStr), nil meaning any.
	allowed map[string]bool

	// used is set once an image is judged.
	used atomic.Bool

	mu       sync.Mutex
	byRef    map[string]*verdict
	byDigest map[string]*verdict
}

// verdict is one image's verdict, ready when done is closed.
type verdict struct {
	done chan struct{}
	v    engine.ImageVerdict
}

func newImageJudge(sc *ImageScanner) *imageJudge {
	j := &imageJudge{sc: sc, ctx: context.Background(), pulls: make(chan struct{}, ImagePulls),
		byRef: map[string]*verdict{}, byDigest: map[string]*verdict{}}
	for _, r := range sc.rules {
		if !r.Reference {
			j.rules = append(j.rules, r)
		}
	}
	return j
}

// metas are the rules the judge runs.
func (j *imageJudge) metas() []*rule.Meta {
	out := make([]*rule.Meta, len(j.rules))
	for i, r := range j.rules {
		out[i] = &r.Meta
	}
	return out
}

// once returns the verdict of key in m, computing it with f when it is the first to
// ask; the others wait for it.
func (j *imageJudge) once(m map[string]*verdict, key string, f func() engine.ImageVerdict) engine.ImageVerdict {
	j.mu.Lock()
	if v := m[key]; v != nil {
		j.mu.Unlock()
		<-v.done
		return v.v
	}
	v := &verdict{done: make(chan struct{})}
	m[key] = v
	j.mu.Unlock()
	defer close(v.done)
	v.v = f()
	return v.v
}

// judge is engine.Options.Images.
func (j *imageJudge) judge(ref string) engine.ImageVerdict {
	j.used.Store(true)
	return j.once(j.byRef, ref, func() engine.ImageVerdict {
		if err := j.allow(ref); err != nil {
			return engine.ImageVerdict{Errors: []string{"not read: " + err.Error()}}
		}
		var digest string
		err := j.pull(func() (err error) {
			digest, err = image.Resolve(j.ctx, ref, j.sc.o.Image)
			return err
		})
		if err != nil {
			return unreadable(ref, err)
		}
		return j.once(j.byDigest, digest, func() engine.ImageVerdict { return j.read(digest) })
	})
}

// allow refuses a reference to a registry not among the allowed ones.
func (j *imageJudge) allow(ref string) error {
	if j.allowed == nil {
		return nil
	}
	var opts []name.Option
	if j.sc.o.Image.Insecure {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(ref, opts...)
	if err != nil {
		return nil // Resolve says what is wrong with it
	}
	if reg := r.Context().RegistryStr(); !j.allowed[reg] {
		return fmt.Errorf("registry %s is not among those --allow-registry names", reg)
	}
	return nil
}

// registries checks the --allow-registry entries and returns the registries allowed
// (nil when any is) and the guarded transport of the reads.
func registries(entries []string, insecure bool) (map[string]bool, http.RoundTripper, error) {
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
			return nil, nil, fmt.Errorf("--allow-registry %q: not a registry (host or host:port, as in an image reference; \"*\" for any at a public address)", e)
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
	return allowed, netguard.New("name its registry with --allow-registry to reach it", named...).Transport(image.BaseTransport(insecure)), nil
}

// read reads the image at digest (registry/repo@sha256:...) and judges it.
func (j *imageJudge) read(digest string) engine.ImageVerdict {
	var im *image.Image
	err := j.pull(func() (err error) {
		im, err = image.Scan(j.ctx, digest, j.sc.o.Image)
		return err
	})
	if err != nil {
		return unreadable(digest, err)
	}
	var v engine.ImageVerdict
	for _, p := range im.Errors {
		v.Errors = append(v.Errors, problemText(im, p))
	}
	for _, p := range im.Notes {
		v.Notes = append(v.Notes, problemText(im, p))
	}
	v.Results = j.sc.results(im, j.rules, "")
	rs, ss, probs := j.sc.matchImage(im, "")
	v.Results = append(append(v.Results, rs...), ss...)
	for _, p := range probs.Errors {
		v.Errors = append(v.Errors, p.Message)
	}
	for _, p := range probs.Notes {
		v.Notes = append(v.Notes, p.Message)
	}
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
