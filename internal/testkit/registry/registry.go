// Package registry runs an OCI registry in the test process (go-containerregistry's
// pkg/registry behind httptest, with the OCI 1.1 referrers API on) and signs images in
// it with package sign, for the tests of image verification: at admission, in the CLI
// and end to end. It can require basic authentication, answer slowly or not at all.
package registry

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcr "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/kharden/kharden/internal/sign"
)

// Registry is a running in-process registry.
type Registry struct {
	// Host is host:port, to put before repository names.
	Host string
	srv  *httptest.Server

	mu         sync.Mutex
	delay      time.Duration
	down       bool
	user, pass string
	requests   int
	byPath     map[string]int // "METHOD /path"
}

// Start runs a registry until the test ends.
func Start(t testing.TB) *Registry {
	t.Helper()
	r := &Registry{}
	reg := ggcr.New(ggcr.Logger(log.New(io.Discard, "", 0)), ggcr.WithReferrersSupport(true))
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		delay, down, user, pass := r.delay, r.down, r.user, r.pass
		r.requests++
		if r.byPath == nil {
			r.byPath = map[string]int{}
		}
		r.byPath[req.Method+" "+req.URL.Path]++
		r.mu.Unlock()
		if down {
			// Not an answer any registry gives: the connection is dropped.
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
					return
				}
			}
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-req.Context().Done():
				return
			}
		}
		if user != "" {
			if u, p, ok := req.BasicAuth(); !ok || u != user || p != pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="kharden-test"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
				return
			}
		}
		reg.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	r.Host = strings.TrimPrefix(r.srv.URL, "http://")
	return r
}

// SetDelay makes every answer wait d (0: none).
func (r *Registry) SetDelay(d time.Duration) { r.mu.Lock(); r.delay = d; r.mu.Unlock() }

// SetDown makes the registry drop every connection (true) or answer again (false).
func (r *Registry) SetDown(down bool) { r.mu.Lock(); r.down = down; r.mu.Unlock() }

// RequireAuth makes the registry require basic authentication as user and pass.
func (r *Registry) RequireAuth(user, pass string) {
	r.mu.Lock()
	r.user, r.pass = user, pass
	r.mu.Unlock()
}

// Requests counts the requests the registry received.
func (r *Registry) Requests() int { r.mu.Lock(); defer r.mu.Unlock(); return r.requests }

// RequestsTo counts the requests with method to path ("/v2/team/app/manifests/sha256:...").
func (r *Registry) RequestsTo(method, path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byPath[method+" "+path]
}

// Options are how the tests' own clients reach the registry: plain HTTP, with the
// credentials RequireAuth set.
func (r *Registry) Options() sign.Options {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := sign.Options{Insecure: true, Timeout: 10 * time.Second, Keychain: authn.NewMultiKeychain()}
	if r.user != "" {
		o.Keychain = staticKeychain{authn.FromConfig(authn.AuthConfig{Username: r.user, Password: r.pass})}
	}
	return o
}

type staticKeychain struct{ a authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.a, nil }

// Ref is the full reference of a host-relative one ("team/app:1").
func (r *Registry) Ref(rel string) string { return r.Host + "/" + rel }

// Push writes a random image at rel ("team/app:1") and returns its digest (sha256:...).
func (r *Registry) Push(t testing.TB, rel string) string {
	t.Helper()
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(r.Ref(rel), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	o := r.Options()
	if err := remote.Write(ref, img, remote.WithAuthFromKeychain(o.Keychain)); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// PushFiles writes an image of one layer holding files (path -> content) for
// linux/amd64 at rel and returns its digest (sha256:...).
func (r *Registry) PushFiles(t testing.TB, rel string, files map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := tw.WriteHeader(&tar.Header{Name: p, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(files[p]))}); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, files[p])
	}
	tw.Close()
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: "COPY rootfs /"}})
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.User = "65532"
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(r.Ref(rel), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithAuthFromKeychain(r.Options().Keychain)); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// Sign signs the image at rel with s; scan, when not nil, is attached as its
// attestation. It returns the digest signed.
func (r *Registry) Sign(t testing.TB, rel string, s *sign.Signer, scan *sign.ScanPredicate) string {
	t.Helper()
	o := sign.SignOptions{Options: r.Options()}
	if scan != nil {
		o.Scan = func(_ context.Context, pinned string) (*sign.ScanPredicate, error) {
			p := *scan
			p.Image = pinned
			return &p, nil
		}
	}
	out, err := sign.Sign(context.Background(), r.Ref(rel), s, o)
	if err != nil {
		t.Fatal(err)
	}
	return out.Digest
}

// Copy copies the manifest at from (host-relative) to the reference to, tags included.
func (r *Registry) Copy(t testing.TB, from, to string) {
	t.Helper()
	o := r.Options()
	src, err := name.ParseReference(r.Ref(from), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	dst, err := name.ParseReference(r.Ref(to), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(src, remote.WithAuthFromKeychain(o.Keychain))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(dst, img, remote.WithAuthFromKeychain(o.Keychain)); err != nil {
		t.Fatal(err)
	}
}

// PassingScan is a scan attestation's predicate with nothing found, made at the given time.
func PassingScan(at time.Time) *sign.ScanPredicate {
	return &sign.ScanPredicate{Time: at, Scanner: sign.Scanner{Name: "kharden", Version: "test"},
		Rules: []string{"IM-0001"}, FailOn: "high", Counts: map[string]int{"low": 1}, Passed: true}
}

const password = "test password"

var (
	keysOnce sync.Once
	keyPEMs  [2][2][]byte
)

// Key returns signer i (0 or 1) and its public key's PEM; the pairs are made once per
// test binary.
func Key(t testing.TB, i int) (*sign.Signer, []byte) {
	t.Helper()
	keysOnce.Do(func() {
		for j := range keyPEMs {
			priv, pub, err := sign.GenerateKeyPair([]byte(password))
			if err != nil {
				panic(err)
			}
			keyPEMs[j] = [2][]byte{priv, pub}
		}
	})
	s, err := sign.ParsePrivateKey("key"+string(rune('0'+i)), keyPEMs[i][0], []byte(password))
	if err != nil {
		t.Fatal(err)
	}
	return s, keyPEMs[i][1]
}
