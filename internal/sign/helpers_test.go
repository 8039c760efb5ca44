package sign

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// testRegistry is an in-process registry; wrap, when set, sees every request first and
// answers it itself when it returns true.
type testRegistry struct {
	host string
	srv  *httptest.Server
	mu   sync.Mutex
	wrap func(w http.ResponseWriter, r *http.Request) bool
	// requests lists "METHOD PATH" of every request.
	requests []string
}

func newRegistry(t testing.TB) *testRegistry {
	t.Helper()
	tr := &testRegistry{}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(true))
	tr.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.mu.Lock()
		tr.requests = append(tr.requests, r.Method+" "+r.URL.Path)
		wrap := tr.wrap
		tr.mu.Unlock()
		if wrap != nil && wrap(w, r) {
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(tr.srv.Close)
	tr.host = strings.TrimPrefix(tr.srv.URL, "http://")
	return tr
}

func (tr *testRegistry) setWrap(f func(w http.ResponseWriter, r *http.Request) bool) {
	tr.mu.Lock()
	tr.wrap = f
	tr.mu.Unlock()
}

func (tr *testRegistry) count(method, pathPart string) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	n := 0
	for _, r := range tr.requests {
		if strings.HasPrefix(r, method+" ") && strings.Contains(r, pathPart) {
			n++
		}
	}
	return n
}

// opts are registry options for the test registry (plain HTTP, no credentials).
func (tr *testRegistry) opts() Options {
	return Options{Insecure: true, Timeout: 10 * time.Second}
}

// push writes a random image to ref (host-relative: "repo:tag") and returns its digest.
func (tr *testRegistry) push(t testing.TB, ref string) name.Digest {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	return tr.pushImage(t, ref, img)
}

func (tr *testRegistry) pushImage(t testing.TB, ref string, img v1.Image) name.Digest {
	t.Helper()
	r, err := name.ParseReference(tr.host+"/"+ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return r.Context().Digest(d.String())
}

// putManifest writes a raw manifest at ref.
func (tr *testRegistry) putManifest(t testing.TB, ref string, m any) {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(tr.host+"/"+ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(r, rawManifest{b}); err != nil {
		t.Fatal(err)
	}
}

type rawManifest struct{ b []byte }

func (m rawManifest) RawManifest() ([]byte, error) { return m.b, nil }
func (m rawManifest) MediaType() (string, error) {
	return "application/vnd.oci.image.manifest.v1+json", nil
}

// readManifest reads the manifest at ref.
func (tr *testRegistry) readManifest(t testing.TB, ref string) *v1.Manifest {
	t.Helper()
	r, err := name.ParseReference(tr.host+"/"+ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r)
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// copyImage copies the image at from to the tag to (host-relative references).
func (tr *testRegistry) copyImage(t testing.TB, from, to string) {
	t.Helper()
	f, err := name.ParseReference(tr.host+"/"+from, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(f)
	if err != nil {
		t.Fatal(err)
	}
	tr.pushImage(t, to, img)
}

// Keys made once: scrypt makes each take a moment.
var (
	keysOnce sync.Once
	keyPEMs  [3][2][]byte // private, public
	keysMu   sync.Mutex
	signers  [3]*Signer
)

const testPassword = "correct horse"

// testKeys returns signer i (0..2) and its public key.
func testKey(t testing.TB, i int) (*Signer, *PublicKey) {
	t.Helper()
	keysOnce.Do(func() {
		for j := range keyPEMs {
			priv, pub, err := GenerateKeyPair([]byte(testPassword))
			if err != nil {
				panic(err)
			}
			keyPEMs[j] = [2][]byte{priv, pub}
		}
	})
	names := []string{"first.key", "second.key", "third.key"}
	keysMu.Lock()
	s := signers[i]
	if s == nil {
		var err error
		if s, err = ParsePrivateKey(names[i], keyPEMs[i][0], []byte(testPassword)); err != nil {
			keysMu.Unlock()
			t.Fatal(err)
		}
		signers[i] = s
	}
	keysMu.Unlock()
	p, err := ParsePublicKey(strings.Replace(names[i], ".key", ".pub", 1), keyPEMs[i][1])
	if err != nil {
		t.Fatal(err)
	}
	return s, p
}

// passingScan is a scan predicate with nothing found, made at the given time.
func passingScan(at time.Time) func(context.Context, string) (*ScanPredicate, error) {
	return func(_ context.Context, pinned string) (*ScanPredicate, error) {
		return &ScanPredicate{Time: at, Scanner: Scanner{Name: "kharden", Version: "test"}, Image: pinned,
			Rules: []string{"IM-0001"}, FailOn: "high", Counts: map[string]int{"low": 2}, Passed: true}, nil
	}
}

func signOrFail(t testing.TB, tr *testRegistry, ref string, s *Signer, o SignOptions) *Signed {
	t.Helper()
	o.Options = tr.opts()
	out, err := Sign(context.Background(), tr.host+"/"+ref, s, o)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func verify(t testing.TB, tr *testRegistry, ref string, o VerifyOptions) *Verification {
	t.Helper()
	if o.Options.Timeout == 0 {
		o.Options = tr.opts()
	}
	v, err := Verify(context.Background(), tr.host+"/"+ref, o)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// reasons joins the reasons of a verification's results and its problems.
func reasons(v *Verification) string {
	var b strings.Builder
	for _, r := range append(append([]Result(nil), v.Signatures...), v.Attestations...) {
		b.WriteString(r.Reason + "\n")
	}
	for _, p := range v.Problems {
		b.WriteString(p + "\n")
	}
	return b.String()
}

// fetchBlob reads a layer's blob from repo.
func fetchBlob(t testing.TB, tr *testRegistry, repo string, d v1.Descriptor) []byte {
	t.Helper()
	r, err := name.NewDigest(tr.host+"/"+repo+"@"+d.Digest.String(), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	l, err := remote.Layer(r)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
