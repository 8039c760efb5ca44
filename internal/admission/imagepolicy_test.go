package admission

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/testkit/registry"
)

// imageSetup is a registry with signed and unsigned images and a reviewer whose config
// has one image policy over the registry, keyed by key 0.
type imageSetup struct {
	reg     *registry.Registry
	pub     []byte // key 0's public key PEM
	metrics *countingMetrics
}

func newImageSetup(t testing.TB) *imageSetup {
	t.Helper()
	_, pub := registry.Key(t, 0)
	return &imageSetup{reg: registry.Start(t), pub: pub, metrics: &countingMetrics{}}
}

// config is a config whose one policy covers the registry's team/* repositories.
func (s *imageSetup) config(t testing.TB, extra string) *config.Config {
	t.Helper()
	key, _ := json.Marshal(string(s.pub))
	doc := fmt.Sprintf("admission:\n  imagePolicies:\n    - name: team-signed\n      images: [%q]\n      keys: [%s]\n%s",
		s.reg.Host+"/team/*", key, extra)
	cfg, err := config.Parse("kharden.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func (s *imageSetup) reviewer(t testing.TB, cfg *config.Config, o ImageOptions) *Reviewer {
	t.Helper()
	o.Registry = s.reg.Options()
	o.Registry.Keychain = nil // the webhook's own: none here, the pod's pull secrets only
	if o.Metrics == nil {
		o.Metrics = s.metrics
	}
	r, err := New(Options{Config: cfg, Images: o, Namespaces: StaticNamespaces{
		"shop":  {LabelEnforce: "critical"},
		"dev":   {LabelWarn: "critical"},
		"audit": {LabelAudit: "critical"},
		"free":  {},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// imagePod is a pod in namespace ns with one container per image (the first an init
// container when init is set).
func imagePod(ns string, init bool, pullSecret string, images ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: %s\n  annotations:\n    ignore.kharden.io/image-policy: \"the author says so\"\nspec:\n", ns)
	if pullSecret != "" {
		fmt.Fprintf(&b, "  imagePullSecrets: [{name: %s}]\n", pullSecret)
	}
	list := "containers"
	if init {
		list = "initContainers"
	}
	for i, img := range images {
		if i == 1 && init {
			list = "containers"
		}
		if i == 0 || (i == 1 && init) {
			fmt.Fprintf(&b, "  %s:\n", list)
		}
		fmt.Fprintf(&b, "  - name: c%d\n    image: %s\n", i, img)
	}
	return b.String()
}

func deploymentOf(ns, img string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: %s}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: %s}
`, ns, img)
}

func TestImagePolicyVerdicts(t *testing.T) {
	s := newImageSetup(t)
	signer0, _ := registry.Key(t, 0)
	signer1, _ := registry.Key(t, 1)
	reg := s.reg
	signed := reg.Push(t, "team/signed:1")
	reg.Sign(t, "team/signed:1", signer0, nil)
	reg.Push(t, "team/unsigned:1")
	reg.Push(t, "team/other-key:1")
	reg.Sign(t, "team/other-key:1", signer1, nil)
	// A signed image and its .sig copied into another repository: same digest, the
	// signature names the first repository.
	reg.Push(t, "team/original:1")
	copied := reg.Sign(t, "team/original:1", signer0, nil)
	reg.Copy(t, "team/original:1", "team/copy:1")
	sigTag := "sha256-" + strings.TrimPrefix(copied, "sha256:") + ".sig"
	reg.Copy(t, "team/original:"+sigTag, "team/copy:"+sigTag)
	r := s.reviewer(t, s.config(t, ""), ImageOptions{})

	for _, tc := range []struct {
		name, obj string
		allowed   bool
		want      []string // in the message
	}{
		{"signed pod", imagePod("shop", false, "", reg.Ref("team/signed:1")), true, nil},
		{"signed by digest", imagePod("shop", false, "", reg.Ref("team/signed@"+signed)), true, nil},
		{"signed deployment", deploymentOf("shop", reg.Ref("team/signed:1")), true, nil},
		{"unsigned", imagePod("shop", false, "", reg.Ref("team/unsigned:1")), false,
			[]string{reg.Ref("team/unsigned:1"), `image policy "team-signed"`, "no signatures", `container "c0"`, "spec.containers[0].image"}},
		{"unsigned deployment", deploymentOf("shop", reg.Ref("team/unsigned:1")), false,
			[]string{"Deployment shop/web", "spec.template.spec.containers[0].image", "no signatures"}},
		{"wrong key", imagePod("shop", false, "", reg.Ref("team/other-key:1")), false,
			[]string{reg.Ref("team/other-key:1"), "no key verifies the signature"}},
		{"signature of another repository", imagePod("shop", false, "", reg.Ref("team/copy:1")), false,
			[]string{reg.Ref("team/copy:1"), "a signature copied from another repository"}},
		{"unsigned init container", imagePod("shop", true, "", reg.Ref("team/unsigned:1"), reg.Ref("team/signed:1")), false,
			[]string{"spec.initContainers[0].image"}},
		{"image no policy covers", imagePod("shop", false, "", reg.Host+"/elsewhere/app:1"), true, nil},
		{"namespace judging nothing", imagePod("free", false, "", reg.Ref("team/unsigned:1")), true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := r.Validate(context.Background(), request(t, admissionv1.Create, tc.obj))
			resp := d.Response
			if resp.Allowed != tc.allowed {
				t.Fatalf("allowed = %v, want %v: %+v", resp.Allowed, tc.allowed, resp.Result)
			}
			if tc.allowed {
				return
			}
			msg := resp.Result.Message
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message does not hold %q:\n%s", w, msg)
				}
			}
			if !strings.Contains(msg, "annotations on the object exempt nothing") {
				t.Errorf("message does not say annotations exempt nothing:\n%s", msg)
			}
		})
	}
}

func TestImagePolicyEphemeralContainers(t *testing.T) {
	s := newImageSetup(t)
	s.reg.Push(t, "team/debug:1")
	r := s.reviewer(t, s.config(t, ""), ImageOptions{})
	pod := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: app, namespace: shop}
spec:
  containers: [{name: app, image: %s}]
  ephemeralContainers: [{name: debug, image: %s}]
`, s.reg.Host+"/elsewhere/app:1", s.reg.Ref("team/debug:1"))
	req := request(t, admissionv1.Update, pod)
	req.SubResource = "ephemeralcontainers"
	d := r.Validate(context.Background(), req)
	if d.Response.Allowed || !strings.Contains(d.Response.Result.Message, "spec.ephemeralContainers[0].image") {
		t.Fatalf("an unsigned ephemeral container is admitted or not named: %+v", d.Response.Result)
	}
}

func TestImagePolicyWarnAndAudit(t *testing.T) {
	s := newImageSetup(t)
	s.reg.Push(t, "team/unsigned:1")
	r := s.reviewer(t, s.config(t, ""), ImageOptions{})
	d := r.Validate(context.Background(), request(t, admissionv1.Create, imagePod("dev", false, "", s.reg.Ref("team/unsigned:1"))))
	if !d.Response.Allowed || len(d.Response.Warnings) != 1 || !strings.Contains(d.Response.Warnings[0], "team-signed") {
		t.Errorf("warn: allowed %v, warnings %q", d.Response.Allowed, d.Response.Warnings)
	}
	d = r.Validate(context.Background(), request(t, admissionv1.Create, imagePod("audit", false, "", s.reg.Ref("team/unsigned:1"))))
	if got := d.Response.AuditAnnotations[AnnotationAuditImages]; !d.Response.Allowed || !strings.Contains(got, "team/unsigned:1 (team-signed)") {
		t.Errorf("audit: allowed %v, annotation %q", d.Response.Allowed, got)
	}
}

func TestImagePolicyAttestation(t *testing.T) {
	s := newImageSetup(t)
	signer0, _ := registry.Key(t, 0)
	s.reg.Push(t, "team/attested:1")
	s.reg.Sign(t, "team/attested:1", signer0, registry.PassingScan(time.Now().Add(-time.Hour)))
	s.reg.Push(t, "team/stale:1")
	s.reg.Sign(t, "team/stale:1", signer0, registry.PassingScan(time.Now().Add(-30*24*time.Hour)))
	s.reg.Push(t, "team/signed-only:1")
	s.reg.Sign(t, "team/signed-only:1", signer0, nil)
	r := s.reviewer(t, s.config(t, "      attestation: {maxAge: 7d, failOn: high}\n"), ImageOptions{})
	for img, want := range map[string]string{
		"team/attested:1":    "",
		"team/stale:1":       "more than the 168h0m0s allowed",
		"team/signed-only:1": "no attestations",
	} {
		d := r.Validate(context.Background(), request(t, admissionv1.Create, imagePod("shop", false, "", s.reg.Ref(img))))
		if want == "" {
			if !d.Response.Allowed {
				t.Errorf("%s: denied: %s", img, d.Response.Result.Message)
			}
			continue
		}
		if d.Response.Allowed || !strings.Contains(d.Response.Result.Message, want) {
			t.Errorf("%s: allowed %v, want a denial with %q: %+v", img, d.Response.Allowed, want, d.Response.Result)
		}
	}
}

// A tag verified and pinned by mutation, then moved to an unsigned image: the patch
// pins the digest verified, and the pinned pod is admitted from the cache.
func TestImagePolicyPinsVerifiedDigest(t *testing.T) {
	s := newImageSetup(t)
	signer0, _ := registry.Key(t, 0)
	first := s.reg.Push(t, "team/app:1")
	s.reg.Sign(t, "team/app:1", signer0, nil)
	cfg := s.config(t, "")
	cfg.Admission.Mutate = "true"
	r := s.reviewer(t, cfg, ImageOptions{})
	pod := imagePod("shop", true, "", s.reg.Ref("team/app:1"), s.reg.Ref("team/app:1"), s.reg.Host+"/elsewhere/x:1")
	d := r.Mutate(context.Background(), request(t, admissionv1.Create, pod))
	pins := pinsOf(t, d.Response.Patch)
	want := s.reg.Ref("team/app@" + first)
	if pins["/spec/initContainers/0/image"] != want || pins["/spec/containers/0/image"] != want || len(pins) != 2 {
		t.Fatalf("pins = %v, want both team/app containers at %s", pins, want)
	}
	second := s.reg.Push(t, "team/app:1") // the tag moves to an unsigned image
	if second == first {
		t.Fatal("the tag did not move")
	}
	before := s.reg.Requests()
	pinned := imagePod("shop", false, "", want)
	if d := r.Validate(context.Background(), request(t, admissionv1.Create, pinned)); !d.Response.Allowed {
		t.Fatalf("the pinned, verified digest is denied: %s", d.Response.Result.Message)
	}
	if s.reg.Requests() != before {
		t.Errorf("a verified digest in the cache called the registry %d times", s.reg.Requests()-before)
	}
	// Mutation again while the tag's digest is cached: still the verified digest.
	d = r.Mutate(context.Background(), request(t, admissionv1.Create, imagePod("shop", false, "", s.reg.Ref("team/app:1"))))
	if got := pinsOf(t, d.Response.Patch)["/spec/containers/0/image"]; got != want {
		t.Errorf("pinned to %q, want %q", got, want)
	}
	// The moved tag, judged afresh (no cache), is denied; no patch pins it.
	r2 := s.reviewer(t, cfg, ImageOptions{})
	if d := r2.Validate(context.Background(), request(t, admissionv1.Create, imagePod("shop", false, "", s.reg.Ref("team/app:1")))); d.Response.Allowed {
		t.Error("the moved tag is admitted")
	}
	if d := r2.Mutate(context.Background(), request(t, admissionv1.Create, imagePod("shop", false, "", s.reg.Ref("team/app:1")))); len(pinsOf(t, d.Response.Patch)) != 0 {
		t.Errorf("an unverified image is pinned: %s", d.Response.Patch)
	}
}

func pinsOf(t *testing.T, patch []byte) map[string]string {
	t.Helper()
	var ops []PatchOp
	if len(patch) > 0 {
		if err := json.Unmarshal(patch, &ops); err != nil {
			t.Fatal(err)
		}
	}
	out := map[string]string{}
	for _, op := range ops {
		if strings.HasSuffix(op.Path, "/image") {
			if op.Op != "replace" {
				t.Errorf("%s: op %s, want replace", op.Path, op.Op)
			}
			out[op.Path], _ = op.Value.(string)
		}
	}
	return out
}

func TestImagePolicyRegistryDownOrSlow(t *testing.T) {
	s := newImageSetup(t)
	signer0, _ := registry.Key(t, 0)
	s.reg.Push(t, "team/app:1")
	s.reg.Sign(t, "team/app:1", signer0, nil)
	r := s.reviewer(t, s.config(t, ""), ImageOptions{Timeout: 300 * time.Millisecond})
	pod := imagePod("shop", false, "", s.reg.Ref("team/app:1"))

	s.reg.SetDelay(5 * time.Second)
	d := r.Validate(context.Background(), request(t, admissionv1.Create, pod))
	if d.Response.Allowed || !strings.Contains(d.Response.Result.Message, "did not answer in time") ||
		!strings.Contains(d.Response.Result.Message, "team-signed") {
		t.Errorf("slow registry: allowed %v, %+v", d.Response.Allowed, d.Response.Result)
	}
	s.reg.SetDelay(0)
	s.reg.SetDown(true)
	d = r.Validate(context.Background(), request(t, admissionv1.Create, pod))
	if d.Response.Allowed || !strings.Contains(d.Response.Result.Message, "could not be verified") {
		t.Errorf("registry down: allowed %v, %+v", d.Response.Allowed, d.Response.Result)
	}
	// Errors are not cached: the registry back, the image verifies.
	s.reg.SetDown(false)
	if d := r.Validate(context.Background(), request(t, admissionv1.Create, pod)); !d.Response.Allowed {
		t.Errorf("registry back: denied: %s", d.Response.Result.Message)
	}
	if s.metrics.get(ImageError) != 2 || s.metrics.get(ImageVerified) != 1 {
		t.Errorf("metrics: %v", s.metrics.counts)
	}
}

type staticSecrets map[string]*corev1.Secret

func (s staticSecrets) Secret(_ context.Context, namespace, name string) (*corev1.Secret, error) {
	if sec, ok := s[namespace+"/"+name]; ok {
		return sec, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, name)
}

func TestImagePolicyPullSecrets(t *testing.T) {
	s := newImageSetup(t)
	signer0, _ := registry.Key(t, 0)
	s.reg.RequireAuth("puller", "s3cret")
	s.reg.Push(t, "team/private:1")
	s.reg.Sign(t, "team/private:1", signer0, nil)
	auth := base64.StdEncoding.EncodeToString([]byte("puller:s3cret"))
	dockercfg := fmt.Sprintf(`{"auths":{"http://%s/v2/":{"auth":%q}}}`, s.reg.Host, auth)
	secrets := staticSecrets{"shop/pull": {Type: corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(dockercfg)}}}
	r := s.reviewer(t, s.config(t, ""), ImageOptions{Secrets: secrets})
	d := r.Validate(context.Background(), request(t, admissionv1.Create, imagePod("shop", false, "pull", s.reg.Ref("team/private:1"))))
	if !d.Response.Allowed {
		t.Fatalf("with the pull secret: denied: %s", d.Response.Result.Message)
	}
	r = s.reviewer(t, s.config(t, ""), ImageOptions{Secrets: secrets})
	d = r.Validate(context.Background(), request(t, admissionv1.Create, imagePod("shop", false, "missing", s.reg.Ref("team/private:1"))))
	if d.Response.Allowed || !strings.Contains(d.Response.Result.Message, `imagePullSecret "missing" not read`) {
		t.Errorf("without credentials: allowed %v, %+v", d.Response.Allowed, d.Response.Result)
	}
}

func TestImagePolicyCache(t *testing.T) {
	s := newImageSetup(t)
	signer0, _ := registry.Key(t, 0)
	s.reg.Push(t, "team/app:1")
	s.reg.Sign(t, "team/app:1", signer0, nil)
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	cfg := s.config(t, "")
	r, err := New(Options{Config: cfg, Now: clock, Namespaces: StaticNamespaces{"shop": {LabelEnforce: "critical"}},
		Images: ImageOptions{Registry: s.reg.Options(), CacheTTL: time.Minute, Metrics: s.metrics}})
	if err != nil {
		t.Fatal(err)
	}
	pod := request(t, admissionv1.Create, imagePod("shop", false, "", s.reg.Ref("team/app:1")))
	for range 3 {
		if d := r.Validate(context.Background(), pod); !d.Response.Allowed {
			t.Fatal(d.Response.Result.Message)
		}
	}
	if s.metrics.get("hit") != 2 || s.metrics.get("miss") != 0 || s.metrics.get("registry") == 0 {
		t.Errorf("after 3 reviews: %v", s.metrics.counts)
	}
	n := s.reg.Requests()
	mu.Lock()
	now = now.Add(2 * time.Minute) // past the TTL: verified again
	mu.Unlock()
	if d := r.Validate(context.Background(), pod); !d.Response.Allowed {
		t.Fatal(d.Response.Result.Message)
	}
	if s.reg.Requests() == n {
		t.Error("an expired verification was reused")
	}
	c := newLRU[int](2)
	c.put("a", 1, now.Add(time.Hour))
	c.put("b", 2, now.Add(time.Hour))
	c.get("a", now)
	c.put("c", 3, now.Add(time.Hour))
	if _, ok := c.get("b", now); ok {
		t.Error("the least recently used entry stayed")
	}
	if v, ok := c.get("a", now); !ok || v != 1 {
		t.Error("a recently used entry left")
	}
}

func TestImagePolicyConfigErrors(t *testing.T) {
	dir := t.TempDir()
	_, pub := registry.Key(t, 0)
	if err := os.WriteFile(filepath.Join(dir, "cosign.pub"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	good := "admission:\n  imagePolicies:\n    - {name: a, images: [\"r.example.com/**\"], keys: [cosign.pub], attestation: {maxAge: 0}}\n"
	cfg, err := config.Parse(filepath.Join(dir, "kharden.yaml"), []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(Options{Config: cfg})
	if err != nil {
		t.Fatalf("a key file beside the config: %v", err)
	}
	if got := r.ImagePolicies(); len(got) != 1 || got[0] != "a" {
		t.Errorf("policies %v", got)
	}
	for _, tc := range []struct{ entry, want string }{
		{`{images: ["r/**"], keys: [cosign.pub]}`, "kharden.yaml:4: admission.imagePolicies[1]: name is required"},
		{`{name: a, images: ["r/**"], keys: [cosign.pub]}`, `name "a" is given to another policy too`},
		{`{name: b, keys: [cosign.pub]}`, "images: name at least one"},
		{`{name: b, images: ["r/app:1"], keys: [cosign.pub]}`, `"r/app:1" is not a repository pattern`},
		{`{name: b, images: ["r/**"]}`, "keys: give at least one public key"},
		{`{name: b, images: ["r/**"], keys: [missing.pub]}`, "admission.imagePolicies[1].keys[0]: stat "},
		{`{name: b, images: ["r/**"], keys: ["-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"]}`, "admission.imagePolicies[1].keys[0]"},
		{`{name: b, images: ["r/**"], keys: [cosign.pub], namespaces: ["["]}`, `namespaces: "[" is not a glob`},
		{`{name: b, images: ["r/**"], keys: [cosign.pub], attestation: {maxAge: soon}}`, "attestation.maxAge"},
		{`{name: b, images: ["r/**"], keys: [cosign.pub], attestation: {failOn: urgent}}`, "attestation.failOn"},
	} {
		doc := good + "    - " + tc.entry + "\n"
		cfg, err := config.Parse(filepath.Join(dir, "kharden.yaml"), []byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", tc.entry, err)
		}
		_, err = New(Options{Config: cfg})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "kharden.yaml:4: ") {
			t.Errorf("%s: error %v, want one at line 4 with %q", tc.entry, err, tc.want)
		}
	}
}

func TestPinImage(t *testing.T) {
	d := "sha256:" + strings.Repeat("a", 64)
	for in, want := range map[string]string{
		"nginx:1.27":              "nginx@" + d,
		"nginx":                   "nginx@" + d,
		"localhost:5000/team/app": "localhost:5000/team/app@" + d,
		"localhost:5000/app:v1":   "localhost:5000/app@" + d,
	} {
		if got := pinImage(in, d); got != want {
			t.Errorf("pinImage(%q) = %q, want %q", in, got, want)
		}
	}
	if got := fieldPointer("spec.template.spec.containers[3].image"); got != "/spec/template/spec/containers/3/image" {
		t.Errorf("fieldPointer = %q", got)
	}
}

// countingMetrics counts what ImageMetrics is told: results, "hit"/"miss", "registry".
type countingMetrics struct {
	mu     sync.Mutex
	counts map[string]int
}

func (m *countingMetrics) add(k string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil {
		m.counts = map[string]int{}
	}
	m.counts[k]++
}

func (m *countingMetrics) get(k string) int { m.mu.Lock(); defer m.mu.Unlock(); return m.counts[k] }

func (m *countingMetrics) ImageVerification(result string) { m.add(result) }
func (m *countingMetrics) ImageCacheLookup(hit bool) {
	if hit {
		m.add("hit")
	} else {
		m.add("miss")
	}
}
func (m *countingMetrics) RegistryRequest(time.Duration) { m.add("registry") }

// The image references are the workload authors': under a policy whose pattern has a
// wildcard host (*.*.*.*:*/*/** covers any address and port), an image at a loopback
// (private, link-local) address is refused before any connection, and the pod is
// denied with why; a policy naming the registry reaches it.
func TestImagePolicyWildcardHostGuarded(t *testing.T) {
	s := newImageSetup(t)
	signer0, _ := registry.Key(t, 0)
	s.reg.Push(t, "team/signed:1")
	s.reg.Sign(t, "team/signed:1", signer0, nil)
	key, _ := json.Marshal(string(s.pub))
	cfg, err := config.Parse("kharden.yaml", []byte(fmt.Sprintf("admission:\n  imagePolicies:\n    - name: any\n      images: [\"*.*.*.*:*/*/**\"]\n      keys: [%s]\n", key)))
	if err != nil {
		t.Fatal(err)
	}
	r := s.reviewer(t, cfg, ImageOptions{})
	before := s.reg.Requests()
	resp := r.Validate(context.Background(), request(t, admissionv1.Create, imagePod("shop", false, "", s.reg.Ref("team/signed:1")))).Response
	if resp.Allowed || resp.Result == nil || !strings.Contains(resp.Result.Message, "refused by kharden") || !strings.Contains(resp.Result.Message, "loopback") {
		t.Fatalf("allowed %v, result %+v", resp.Allowed, resp.Result)
	}
	if n := s.reg.Requests() - before; n != 0 {
		t.Errorf("the registry got %d requests", n)
	}
	// The same image under the usual policy, which names the registry: admitted.
	named := s.reviewer(t, s.config(t, ""), ImageOptions{})
	if resp := named.Validate(context.Background(), request(t, admissionv1.Create, imagePod("shop", false, "", s.reg.Ref("team/signed:1")))).Response; !resp.Allowed {
		t.Errorf("named registry: %q", resp.Result.Message)
	}
}
