package admission

import (
	"container/list"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kharden/kharden/internal/netguard"
	"github.com/kharden/kharden/internal/scan"
	"github.com/kharden/kharden/internal/sign"
	"github.com/kharden/kharden/internal/source/image"
	"github.com/kharden/kharden/internal/workload"
)

// Defaults of ImageOptions.
const (
	// DefaultImageTimeout bounds the registry work of one review: below the chart's
	// webhook timeoutSeconds (5), with room for the rest of the review and the network.
	DefaultImageTimeout = 3 * time.Second
	// DefaultImageCacheTTL is how long a verification is reused.
	DefaultImageCacheTTL = 5 * time.Minute
	// DefaultImageCacheSize is how many verifications (and tag resolutions) are kept.
	DefaultImageCacheSize = 1024
	// negativeTTL is how long an image that did not verify stays so without asking the
	// registry again: short, so that signing an image takes effect soon, yet a controller
	// retrying a rejected pod does not call the registry each time.
	negativeTTL = 10 * time.Second
	// tagTTL is the longest a tag's digest is reused; pinning (mutation) is what makes the
	// verified digest the one that runs.
	tagTTL = 30 * time.Second
	// imageWorkers is how many images of one review are verified at once.
	imageWorkers = 4
)

// ImageOptions configure image verification at admission (admission.imagePolicies).
type ImageOptions struct {
	// Registry says how to reach registries: Insecure, Keychain (the webhook's own
	// credentials; nil: docker's config and credential helpers), Transport, Limits. Its
	// Timeout is replaced by Timeout.
	Registry sign.Options
	// Timeout bounds the registry work of one review, all its images together (default
	// DefaultImageTimeout). An image not verified by then is denied.
	Timeout time.Duration
	// CacheTTL is how long a verification is reused (default DefaultImageCacheTTL); an
	// image that did not verify is asked about again after at most 10 seconds.
	CacheTTL time.Duration
	// CacheSize bounds the cached verifications (default DefaultImageCacheSize).
	CacheSize int
	// Secrets reads the imagePullSecrets of the objects judged; nil reads none.
	Secrets Secrets
	// Metrics receives what verification does; nil drops it.
	Metrics ImageMetrics
}

// Secrets reads a Secret; the verifier reads a workload's imagePullSecrets with it.
type Secrets interface {
	Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
}

// ClientSecrets reads Secrets from the API server (get, never list or watch).
type ClientSecrets struct{ Client kubernetes.Interface }

// Secret implements Secrets.
func (c ClientSecrets) Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	return c.Client.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
}

// ImageMetrics are told what image verification does. Implementations must be safe for
// concurrent use.
type ImageMetrics interface {
	// ImageVerification counts one image judged against one policy: result is
	// "verified", "not_verified" or "error" (the registry could not tell in time).
	ImageVerification(result string)
	// ImageCacheLookup counts a lookup of the verification cache.
	ImageCacheLookup(hit bool)
	// RegistryRequest observes one HTTP request to a registry.
	RegistryRequest(d time.Duration)
}

// Results of ImageMetrics.ImageVerification.
const (
	ImageVerified    = "verified"
	ImageNotVerified = "not_verified"
	ImageError       = "error"
)

// imageVerifier judges the images of workloads by the config's image policies.
type imageVerifier struct {
	policies []*imagePolicy
	o        ImageOptions
	now      func() time.Time
	verdicts *lru[imageVerdict] // by repository@digest and policy name
	tags     *lru[string]       // digest by image reference
	m        atomic.Pointer[metricsHolder]
}

type metricsHolder struct{ ImageMetrics }

// metrics returns where to report, or nil.
func (v *imageVerifier) metrics() ImageMetrics {
	if h := v.m.Load(); h != nil {
		return h.ImageMetrics
	}
	return nil
}

// imageVerdict is what verifying one digest against one policy gave.
type imageVerdict struct {
	ok     bool
	digest string // sha256:...
	reason string // why not, when !ok
}

func newImageVerifier(cfg []*imagePolicy, o ImageOptions, now func() time.Time) *imageVerifier {
	if len(cfg) == 0 {
		return nil
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultImageTimeout
	}
	if o.CacheTTL <= 0 {
		o.CacheTTL = DefaultImageCacheTTL
	}
	if o.CacheSize <= 0 {
		o.CacheSize = DefaultImageCacheSize
	}
	o.Registry.Timeout = o.Timeout
	t := o.Registry.Transport
	if t == nil {
		// The image references are the workload authors': with a policy whose pattern
		// has a wildcard host (*/**), anyone who may create a pod could make the webhook
		// connect to the cluster's own network or the cloud metadata service. Only the
		// registries the policies name literally may be at a non-public address.
		var named []string
		for _, p := range cfg {
			named = append(named, p.Registries()...)
		}
		t = netguard.New("only a registry an image policy names literally may be at a non-public address", named...).
			Transport(image.BaseTransport(o.Registry.Insecure))
	}
	v := &imageVerifier{policies: cfg, o: o, now: now,
		verdicts: newLRU[imageVerdict](o.CacheSize), tags: newLRU[string](o.CacheSize)}
	if o.Metrics != nil {
		v.m.Store(&metricsHolder{o.Metrics})
	}
	v.o.Registry.Transport = &timedTransport{next: t, v: v}
	return v
}

// imageCheck is the verdict on one container's image under one policy.
type imageCheck struct {
	container string
	path      string // field path of the image: spec.template.spec.containers[0].image
	image     string
	policy    *imagePolicy
	ok        bool
	digest    string // the digest verified
	reason    string
}

// judge verifies every image of the workload that a policy applying in the namespace
// covers, within the timeout. Checks come in container order, one per container and
// policy.
func (v *imageVerifier) judge(ctx context.Context, namespace string, w *workload.Workload) []imageCheck {
	var checks []imageCheck
	type job struct {
		image    string
		policies []*imagePolicy
		out      []imageVerdict
	}
	jobs := map[string]*job{}
	var order []*job
	for _, c := range w.Containers() {
		for _, p := range v.policies {
			if !p.AppliesIn(namespace) || !p.Covers(c.Image) {
				continue
			}
			checks = append(checks, imageCheck{container: c.Name, path: c.Field("image"), image: c.Image, policy: p})
			j := jobs[c.Image]
			if j == nil {
				j = &job{image: c.Image}
				jobs[c.Image] = j
				order = append(order, j)
			}
			if !containsPolicy(j.policies, p) {
				j.policies = append(j.policies, p)
			}
		}
	}
	if len(checks) == 0 {
		return nil
	}
	// The cache first, with no deadline, goroutine or credentials: what a review of
	// images verified a moment ago (a controller's pods) costs.
	var misses []*job
	for _, j := range order {
		if j.out = v.cached(j.image, j.policies); j.out == nil {
			misses = append(misses, j)
		}
	}
	if len(misses) > 0 {
		ctx, cancel := context.WithTimeout(ctx, v.o.Timeout)
		defer cancel()
		creds := &pullCredentials{v: v, namespace: namespace, names: pullSecretNames(w.Spec)}
		sem := make(chan struct{}, imageWorkers)
		var wg sync.WaitGroup
		for _, j := range misses {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				j.out = v.verifyImage(ctx, j.image, j.policies, creds)
			}()
		}
		wg.Wait()
	}
	for i := range checks {
		c := &checks[i]
		j := jobs[c.image]
		for k, p := range j.policies {
			if p == c.policy {
				vd := j.out[k]
				c.ok, c.digest, c.reason = vd.ok, vd.digest, vd.reason
			}
		}
	}
	return checks
}

func containsPolicy(ps []*imagePolicy, p *imagePolicy) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// cached returns the verdicts of an image under each policy when the cache holds them
// all, else nil (and counts nothing).
func (v *imageVerifier) cached(img string, policies []*imagePolicy) []imageVerdict {
	ref, err := name.ParseReference(img, v.nameOptions()...)
	if err != nil {
		return nil
	}
	digest := ""
	if d, ok := ref.(name.Digest); ok {
		digest = d.DigestStr()
	} else if d, ok := v.tags.get(img, v.now()); ok {
		digest = d
	} else {
		return nil
	}
	key := ref.Context().Name() + "@" + digest + "\x00"
	out := make([]imageVerdict, len(policies))
	now := v.now()
	for i, p := range policies {
		vd, hit := v.verdicts.get(key+p.Name, now)
		if !hit {
			return nil
		}
		out[i] = vd
	}
	m := v.metrics()
	for _, vd := range out {
		if m != nil {
			m.ImageCacheLookup(true)
			m.ImageVerification(result(vd))
		}
	}
	return out
}

// verifyImage judges one image against each policy, from the cache where it can.
func (v *imageVerifier) verifyImage(ctx context.Context, img string, policies []*imagePolicy, creds *pullCredentials) []imageVerdict {
	out := make([]imageVerdict, len(policies))
	ref, err := name.ParseReference(img, v.nameOptions()...)
	if err != nil {
		for i := range out {
			out[i] = imageVerdict{reason: fmt.Sprintf("not an image reference: %v", err)}
			v.count(ImageNotVerified)
		}
		return out
	}
	repo := ref.Context().Name()
	digest := ""
	if d, ok := ref.(name.Digest); ok {
		digest = d.DigestStr()
	} else if d, ok := v.tags.get(img, v.now()); ok {
		digest = d
	}
	for i, p := range policies {
		if digest != "" {
			vd, hit := v.verdicts.get(repo+"@"+digest+"\x00"+p.Name, v.now())
			if m := v.metrics(); m != nil {
				m.ImageCacheLookup(hit)
			}
			if hit {
				out[i] = vd
				v.count(result(vd))
				continue
			}
		}
		target := img
		if digest != "" {
			target = repo + "@" + digest
		}
		vo := p.Verify
		vo.Options = v.o.Registry
		vo.Options.Keychain = creds.keychain(ctx)
		vo.Now = v.now
		res, err := sign.Verify(ctx, target, vo)
		if err != nil {
			out[i] = imageVerdict{reason: "could not be verified: " + err.Error() + creds.problems()}
			v.count(ImageError)
			continue // errors are not cached: the next review asks again
		}
		vd := imageVerdict{ok: res.Verified, digest: res.Digest}
		ttl := v.o.CacheTTL
		if !res.Verified {
			vd.reason = scan.NotVerifiedReason(res) + creds.problems()
			ttl = min(ttl, negativeTTL)
		}
		if digest == "" {
			digest = res.Digest
			if _, isTag := ref.(name.Tag); isTag {
				v.tags.put(img, digest, v.now().Add(min(v.o.CacheTTL, tagTTL)))
			}
		}
		v.verdicts.put(repo+"@"+res.Digest+"\x00"+p.Name, vd, v.now().Add(ttl))
		out[i] = vd
		v.count(result(vd))
	}
	return out
}

func result(vd imageVerdict) string {
	if vd.ok {
		return ImageVerified
	}
	return ImageNotVerified
}

func (v *imageVerifier) count(r string) {
	if m := v.metrics(); m != nil {
		m.ImageVerification(r)
	}
}

func (v *imageVerifier) nameOptions() []name.Option {
	if v.o.Registry.Insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

// pullSecretNames are the names of a pod spec's imagePullSecrets.
func pullSecretNames(spec *corev1.PodSpec) []string {
	var out []string
	for _, s := range spec.ImagePullSecrets {
		if s.Name != "" {
			out = append(out, s.Name)
		}
	}
	return out
}

// pullCredentials are a review's registry credentials: the workload's imagePullSecrets,
// read once and only when a registry is called, then the webhook's own keychain.
type pullCredentials struct {
	v         *imageVerifier
	namespace string
	names     []string
	once      sync.Once
	kc        authn.Keychain
	notes     []string
}

func (p *pullCredentials) keychain(ctx context.Context) authn.Keychain {
	p.once.Do(func() {
		own := p.v.o.Registry.Keychain
		if own == nil {
			own = authn.DefaultKeychain
		}
		p.kc = own
		if p.v.o.Secrets == nil || len(p.names) == 0 {
			return
		}
		auths := map[string]authn.AuthConfig{}
		for _, n := range p.names {
			s, err := p.v.o.Secrets.Secret(ctx, p.namespace, n)
			if err != nil {
				p.notes = append(p.notes, fmt.Sprintf("imagePullSecret %q not read: %v", n, err))
				continue
			}
			if err := addDockerAuths(auths, s); err != nil {
				p.notes = append(p.notes, fmt.Sprintf("imagePullSecret %q: %v", n, err))
			}
		}
		p.kc = &pullKeychain{auths: auths, next: own}
	})
	return p.kc
}

// problems are the notes on pull secrets, as a suffix of a reason.
func (p *pullCredentials) problems() string {
	if len(p.notes) == 0 {
		return ""
	}
	return " (" + strings.Join(p.notes, "; ") + ")"
}

// pullKeychain answers from pull secrets by registry host, else asks next.
type pullKeychain struct {
	auths map[string]authn.AuthConfig
	next  authn.Keychain
}

// Resolve implements authn.Keychain.
func (k *pullKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if a, ok := k.auths[registryHost(r.RegistryStr())]; ok {
		return authn.FromConfig(a), nil
	}
	return k.next.Resolve(r)
}

// addDockerAuths adds the credentials of a kubernetes.io/dockerconfigjson or
// kubernetes.io/dockercfg Secret; the first Secret naming a registry wins, as for the
// kubelet.
func addDockerAuths(auths map[string]authn.AuthConfig, s *corev1.Secret) error {
	type entry struct {
		Username      string `json:"username"`
		Password      string `json:"password"`
		Auth          string `json:"auth"`
		IdentityToken string `json:"identitytoken"`
		RegistryToken string `json:"registrytoken"`
	}
	var entries map[string]entry
	switch {
	case s.Type == corev1.SecretTypeDockerConfigJson || len(s.Data[corev1.DockerConfigJsonKey]) > 0:
		var cfg struct {
			Auths map[string]entry `json:"auths"`
		}
		if err := json.Unmarshal(s.Data[corev1.DockerConfigJsonKey], &cfg); err != nil {
			return fmt.Errorf("%s does not parse: %w", corev1.DockerConfigJsonKey, err)
		}
		entries = cfg.Auths
	case s.Type == corev1.SecretTypeDockercfg || len(s.Data[corev1.DockerConfigKey]) > 0:
		if err := json.Unmarshal(s.Data[corev1.DockerConfigKey], &entries); err != nil {
			return fmt.Errorf("%s does not parse: %w", corev1.DockerConfigKey, err)
		}
	default:
		return fmt.Errorf("type %s, not %s", s.Type, corev1.SecretTypeDockerConfigJson)
	}
	for host, e := range entries {
		a := authn.AuthConfig{Username: e.Username, Password: e.Password, IdentityToken: e.IdentityToken, RegistryToken: e.RegistryToken}
		if a.Username == "" && e.Auth != "" {
			if b, err := base64.StdEncoding.DecodeString(e.Auth); err == nil {
				a.Username, a.Password, _ = strings.Cut(string(b), ":")
			}
		}
		h := registryHost(host)
		if _, seen := auths[h]; !seen {
			auths[h] = a
		}
	}
	return nil
}

// registryHost is a docker config key ("https://index.docker.io/v1/", "host:5000") as
// a registry's host, Docker Hub's by one name.
func registryHost(k string) string {
	k = strings.TrimPrefix(strings.TrimPrefix(k, "https://"), "http://")
	k, _, _ = strings.Cut(k, "/")
	switch k {
	case "docker.io", "registry-1.docker.io":
		return name.DefaultRegistry
	}
	return k
}

// timedTransport observes the time of every registry request.
type timedTransport struct {
	next http.RoundTripper
	v    *imageVerifier
}

func (t *timedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	if m := t.v.metrics(); m != nil {
		m.RegistryRequest(time.Since(start))
	}
	return resp, err
}

// lru is a cache of values with an expiry, bounded by count, least recently used out.
type lru[V any] struct {
	mu  sync.Mutex
	max int
	ll  *list.List
	m   map[string]*list.Element
}

type lruEntry[V any] struct {
	key     string
	val     V
	expires time.Time
}

func newLRU[V any](max int) *lru[V] {
	return &lru[V]{max: max, ll: list.New(), m: map[string]*list.Element{}}
}

func (c *lru[V]) get(key string, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero V
	e, ok := c.m[key]
	if !ok {
		return zero, false
	}
	ent := e.Value.(*lruEntry[V])
	if !now.Before(ent.expires) {
		c.ll.Remove(e)
		delete(c.m, key)
		return zero, false
	}
	c.ll.MoveToFront(e)
	return ent.val, true
}

func (c *lru[V]) put(key string, val V, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok {
		e.Value = &lruEntry[V]{key, val, expires}
		c.ll.MoveToFront(e)
		return
	}
	c.m[key] = c.ll.PushFront(&lruEntry[V]{key, val, expires})
	for c.ll.Len() > c.max {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.m, last.Value.(*lruEntry[V]).key)
	}
}

// imagePatch pins each verified image to its digest: a replace of the container's image
// by its name (as written, without the tag) at the digest. Images already given by
// digest, and those that did not verify under every policy, are left alone.
func imagePatch(checks []imageCheck) []PatchOp {
	failed := map[string]bool{}
	for _, c := range checks {
		if !c.ok {
			failed[c.path] = true
		}
	}
	var ops []PatchOp
	done := map[string]bool{}
	for _, c := range checks {
		if failed[c.path] || done[c.path] || c.digest == "" || strings.Contains(c.image, "@") {
			continue
		}
		done[c.path] = true
		ops = append(ops, PatchOp{Op: "replace", Path: fieldPointer(c.path), Value: pinImage(c.image, c.digest)})
	}
	return ops
}

// pinImage writes image (without a digest) at digest, keeping its name as written.
func pinImage(img, digest string) string {
	slash := strings.LastIndexByte(img, '/')
	if i := strings.LastIndexByte(img, ':'); i > slash {
		img = img[:i]
	}
	return img + "@" + digest
}

// fieldPointer turns a field path ("spec.containers[1].image") into a JSON pointer
// ("/spec/containers/1/image").
func fieldPointer(path string) string {
	r := strings.NewReplacer(".", "/", "[", "/", "]", "")
	return "/" + r.Replace(path)
}

// imageFailures are the checks that failed.
func imageFailures(checks []imageCheck) []imageCheck {
	var out []imageCheck
	for _, c := range checks {
		if !c.ok {
			out = append(out, c)
		}
	}
	return out
}

// String is one failure as a denial, warning or annotation lists it.
func (c imageCheck) String() string {
	return fmt.Sprintf("image %q (container %q, %s) is not verified by image policy %q: %s", c.image, c.container, c.path, c.policy.Name, c.reason)
}
