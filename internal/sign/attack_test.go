package sign

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// signed pushes an image to ref, signs it with key 0 and returns the .sig tag
// (host-relative) and the image's digest.
func signed(t *testing.T, tr *testRegistry, ref string) (string, string) {
	t.Helper()
	d := tr.push(t, ref)
	s, _ := testKey(t, 0)
	out := signOrFail(t, tr, ref, s, SignOptions{})
	return strings.TrimPrefix(out.SignatureTag, tr.host+"/"), d.DigestStr()
}

// sigImage is an OCI image of the given signature layers.
func sigImage(t *testing.T, layers ...mutate.Addendum) v1.Image {
	t.Helper()
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.Append(img, layers...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func sigLayer(payload []byte, sig string) mutate.Addendum {
	return mutate.Addendum{Layer: static.NewLayer(payload, SimpleSigningMediaType), MediaType: SimpleSigningMediaType,
		Annotations: map[string]string{SignatureAnnotation: sig}}
}

// theSignature reads the payload and signature of the only layer of the .sig image at tag.
func theSignature(t *testing.T, tr *testRegistry, repo, tag string) ([]byte, string) {
	t.Helper()
	m := tr.readManifest(t, tag)
	return fetchBlob(t, tr, repo, m.Layers[0]), m.Layers[0].Annotations[SignatureAnnotation]
}

func wantDenied(t *testing.T, v *Verification, reason string) {
	t.Helper()
	if v.Verified {
		t.Errorf("verified; want denied with %q", reason)
	} else if !strings.Contains(reasons(v), reason) {
		t.Errorf("reasons\n%s\nwant %q", reasons(v), reason)
	}
}

func TestWrongKey(t *testing.T) {
	tr := newRegistry(t)
	signed(t, tr, "app:1")
	_, other := testKey(t, 1)
	wantDenied(t, verify(t, tr, "app:1", VerifyOptions{Keys: []*PublicKey{other}}), "no key verifies the signature (tried second.pub)")
}

func TestTamperedPayload(t *testing.T) {
	tr := newRegistry(t)
	tag, _ := signed(t, tr, "app:1")
	payload, sig := theSignature(t, tr, "app", tag)
	evil := bytes.Replace(payload, []byte(`"optional":null`), []byte(`"optional":{"scanned":"yes"}`), 1)
	if bytes.Equal(evil, payload) {
		t.Fatal("payload not changed")
	}
	tr.pushImage(t, tag, sigImage(t, sigLayer(evil, sig)))
	_, pub := testKey(t, 0)
	wantDenied(t, verify(t, tr, "app:1", VerifyOptions{Keys: []*PublicKey{pub}}), "no key verifies the signature")
}

func TestTamperedSignature(t *testing.T) {
	tr := newRegistry(t)
	tag, _ := signed(t, tr, "app:1")
	payload, sig := theSignature(t, tr, "app", tag)
	raw, _ := base64.StdEncoding.DecodeString(sig)
	raw[len(raw)-1] ^= 0x40
	_, pub := testKey(t, 0)
	for name, s := range map[string]string{
		"flipped bit": base64.StdEncoding.EncodeToString(raw),
		"not base64":  "%%%",
		"empty":       "",
	} {
		tr.pushImage(t, tag, sigImage(t, sigLayer(payload, s)))
		v := verify(t, tr, "app:1", VerifyOptions{Keys: []*PublicKey{pub}})
		if v.Verified || v.Signatures[0].Reason == "" {
			t.Errorf("%s: %+v", name, v.Signatures)
		}
	}
}

// A signature of one digest copied to another digest's .sig tag.
func TestSignatureForAnotherDigest(t *testing.T) {
	tr := newRegistry(t)
	tagA, digestA := signed(t, tr, "app:1")
	b := tr.push(t, "app:2")
	tagB, _ := tagFor(b, sigSuffix)
	tr.copyImage(t, tagA, strings.TrimPrefix(tagB.String(), tr.host+"/"))
	_, pub := testKey(t, 0)
	wantDenied(t, verify(t, tr, "app:2", VerifyOptions{Keys: []*PublicKey{pub}}), fmt.Sprintf("for the digest %q, not %s", digestA, b.DigestStr()))
}

// The same image in two repositories, signed in one: its signature copied to the other
// does not verify there.
func TestSignatureFromAnotherRepository(t *testing.T) {
	tr := newRegistry(t)
	img, err := random.Image(128, 1)
	if err != nil {
		t.Fatal(err)
	}
	tr.pushImage(t, "trusted/app:1", img)
	d := tr.pushImage(t, "untrusted/app:1", img)
	s, pub := testKey(t, 0)
	out := signOrFail(t, tr, "trusted/app:1", s, SignOptions{})
	tag, _ := tagFor(d, sigSuffix)
	tr.copyImage(t, strings.TrimPrefix(out.SignatureTag, tr.host+"/"), strings.TrimPrefix(tag.String(), tr.host+"/"))
	wantDenied(t, verify(t, tr, "untrusted/app:1", VerifyOptions{Keys: []*PublicKey{pub}}),
		fmt.Sprintf("for the repository %q, not %s/untrusted/app (a signature copied from another repository)", tr.host+"/trusted/app", tr.host))
	if v := verify(t, tr, "trusted/app:1", VerifyOptions{Keys: []*PublicKey{pub}}); !v.Verified {
		t.Error(reasons(v))
	}
}

// A tag moved to an unsigned image after signing: the verification is of the digest
// the tag names now, and says which.
func TestTagMovedAfterSigning(t *testing.T) {
	tr := newRegistry(t)
	_, signedDigest := signed(t, tr, "app:1")
	moved := tr.push(t, "app:1")
	_, pub := testKey(t, 0)
	v := verify(t, tr, "app:1", VerifyOptions{Keys: []*PublicKey{pub}})
	wantDenied(t, v, "no signatures")
	if v.Digest != moved.DigestStr() || v.Pinned != moved.String() {
		t.Errorf("verified %s, want the tag's new digest %s", v.Digest, moved.DigestStr())
	}
	if v := verify(t, tr, "app@"+signedDigest, VerifyOptions{Keys: []*PublicKey{pub}}); !v.Verified {
		t.Error(reasons(v))
	}
}

// A tag moved while a verification runs, between the resolution and the reading of the
// signatures: what is verified and reported is the digest resolved.
func TestTagMovedDuringVerification(t *testing.T) {
	tr := newRegistry(t)
	_, signedDigest := signed(t, tr, "app:1")
	other, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	var moved atomic.Bool
	tr.setWrap(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, ".sig") && !moved.Load() {
			moved.Store(true)
			tr.setWrap(nil)
			tr.pushImage(t, "app:1", other)
		}
		return false
	})
	_, pub := testKey(t, 0)
	v := verify(t, tr, "app:1", VerifyOptions{Keys: []*PublicKey{pub}})
	if !moved.Load() {
		t.Fatal("the tag was not moved")
	}
	if !v.Verified || v.Digest != signedDigest || !strings.HasSuffix(v.Pinned, "@"+signedDigest) {
		t.Errorf("verified %v %s, want %s pinned", v.Verified, v.Digest, signedDigest)
	}
}

func TestHostileSignatureImage(t *testing.T) {
	_, pub := testKey(t, 0)
	t.Run("many layers", func(t *testing.T) {
		tr := newRegistry(t)
		tag, _ := signed(t, tr, "app:1")
		m := tr.readManifest(t, tag)
		for len(m.Layers) < 300 {
			m.Layers = append(m.Layers, m.Layers[0])
		}
		tr.putManifest(t, tag, m)
		before := tr.count("GET", "/blobs/")
		wantDenied(t, verify(t, tr, "app:1", VerifyOptions{Keys: []*PublicKey{pub}}), "has 300 layers, more than 256: too many layers: signatures not read")
		if n := tr.count("GET", "/blobs/") - before; n != 0 {
			t.Errorf("%d blobs read", n)
		}
	})
	t.Run("huge layer", func(t *testing.T) {
		tr := newRegistry(t)
		tag, _ := signed(t, tr, "app:1")
		m := tr.readManifest(t, tag)
		huge := m.Layers[0]
		huge.Size = 8 << 30
		huge.Digest = v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("0", 64)}
		m.Layers = append([]v1.Descriptor{huge}, m.Layers...)
		tr.putManifest(t, tag, m)
		v := verify(t, tr, "app:1", VerifyOptions{Keys: []*PublicKey{pub}})
		if !v.Verified || !strings.Contains(v.Signatures[0].Reason, "8589934592 bytes, more than 1048576: not read") {
			t.Errorf("%+v", v.Signatures)
		}
		if tr.count("GET", strings.Repeat("0", 64)) != 0 {
			t.Error("the huge layer was fetched")
		}
	})
	t.Run("layer larger than its descriptor", func(t *testing.T) {
		tr := newRegistry(t)
		tag, _ := signed(t, tr, "app:1")
		m := tr.readManifest(t, tag)
		// The registry answers the blob with an endless stream.
		d := m.Layers[0].Digest.String()
		var sent atomic.Int64
		tr.setWrap(func(w http.ResponseWriter, r *http.Request) bool {
			if !strings.HasSuffix(r.URL.Path, "/blobs/"+d) {
				return false
			}
			w.WriteHeader(http.StatusOK)
			buf := make([]byte, 64<<10)
			for sent.Load() < 1<<30 {
				n, err := w.Write(buf)
				sent.Add(int64(n))
				if err != nil {
					return true
				}
			}
			return true
		})
		v := verify(t, tr, "app:1", VerifyOptions{Keys: []*PublicKey{pub}})
		if v.Verified || !strings.Contains(v.Signatures[0].Reason, "not the") && !strings.Contains(v.Signatures[0].Reason, "digest") {
			t.Errorf("%+v", v.Signatures)
		}
		if sent.Load() >= 1<<30 {
			t.Error("the whole stream was read")
		}
	})
	t.Run("wrong media types", func(t *testing.T) {
		tr := newRegistry(t)
		tag, _ := signed(t, tr, "app:1")
		payload, sig := theSignature(t, tr, "app", tag)
		layers := []mutate.Addendum{
			{Layer: static.NewLayer([]byte("#!/bin/sh\n"), types.OCILayer), MediaType: types.OCILayer, Annotations: map[string]string{SignatureAnnotation: sig}},
			{Layer: static.NewLayer(payload, "application/json"), MediaType: "application/json", Annotations: map[string]string{SignatureAnnotation: sig}},
		}
		tr.pushImage(t, tag, sigImage(t, layers...))
		v := verify(t, tr, "app:1", VerifyOptions{Keys: []*PublicKey{pub}})
		wantDenied(t, v, `media type "application/vnd.oci.image.layer.v1.tar+gzip", not a signature`)
		wantDenied(t, v, `media type "application/json", not a signature`)
		// With the real signature beside them, it verifies.
		tr.pushImage(t, tag, sigImage(t, append(layers, sigLayer(payload, sig))...))
		if v := verify(t, tr, "app:1", VerifyOptions{Keys: []*PublicKey{pub}}); !v.Verified {
			t.Error(reasons(v))
		}
	})
	t.Run("huge manifest", func(t *testing.T) {
		tr := newRegistry(t)
		tag, _ := signed(t, tr, "app:1")
		tr.setWrap(func(w http.ResponseWriter, r *http.Request) bool {
			if !strings.HasSuffix(r.URL.Path, "/manifests/"+strings.TrimPrefix(tag, "app:")) {
				return false
			}
			w.Header().Set("Content-Type", string(types.OCIManifestSchema1))
			w.Header().Set("Content-Length", fmt.Sprint(64<<20))
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(bytes.Repeat([]byte(" "), 1<<20))
			return true
		})
		_, err := Verify(context.Background(), tr.host+"/app:1", VerifyOptions{Options: tr.opts(), Keys: []*PublicKey{pub}})
		if err == nil || !strings.Contains(err.Error(), "more than 4194304") {
			t.Errorf("%v", err)
		}
	})
	t.Run("attestation layers", func(t *testing.T) {
		tr := newRegistry(t)
		d := tr.push(t, "app:1")
		s, _ := testKey(t, 0)
		signOrFail(t, tr, "app:1", s, SignOptions{Scan: passingScan(time.Now())})
		tag, _ := tagFor(d, attSuffix)
		att := strings.TrimPrefix(tag.String(), tr.host+"/")
		m := tr.readManifest(t, att)
		env := fetchBlob(t, tr, "app", m.Layers[0])
		unsigned := mutate.Addendum{Layer: static.NewLayer([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}`), DSSEMediaType),
			MediaType: DSSEMediaType, Annotations: map[string]string{PredicateTypeAnnotation: ScanPredicateType}}
		sbom := mutate.Addendum{Layer: static.NewLayer(env, DSSEMediaType), MediaType: DSSEMediaType,
			Annotations: map[string]string{PredicateTypeAnnotation: "https://spdx.dev/Document"}}
		tr.pushImage(t, att, sigImage(t, unsigned, sbom))
		v := verify(t, tr, "app:1", VerifyOptions{Keys: []*PublicKey{pub}, Attestation: &AttestationPolicy{FailOn: "high"}})
		wantDenied(t, v, "the envelope has no signature")
		wantDenied(t, v, `predicate type "https://spdx.dev/Document", not https://kharden.dev/attestation/scan/v1: not read`)
	})
}

func TestRegistryFailures(t *testing.T) {
	_, pub := testKey(t, 0)
	t.Run("down", func(t *testing.T) {
		tr := newRegistry(t)
		tr.srv.Close()
		_, err := Verify(context.Background(), tr.host+"/app:1", VerifyOptions{Options: tr.opts(), Keys: []*PublicKey{pub}})
		if err == nil || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("%v", err)
		}
	})
	t.Run("slow", func(t *testing.T) {
		tr := newRegistry(t)
		release := make(chan struct{})
		defer close(release)
		tr.setWrap(func(w http.ResponseWriter, r *http.Request) bool {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return true
		})
		o := tr.opts()
		o.Timeout = 300 * time.Millisecond
		done := make(chan error, 1)
		go func() {
			_, err := Verify(context.Background(), tr.host+"/app:1", VerifyOptions{Options: o, Keys: []*PublicKey{pub}})
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "did not answer in time") || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%v", err)
			}
		case <-time.After(time.Minute):
			t.Fatal("the verification did not stop at its timeout")
		}
	})
	t.Run("slow signatures", func(t *testing.T) {
		tr := newRegistry(t)
		signed(t, tr, "app:1")
		release := make(chan struct{})
		defer close(release)
		tr.setWrap(func(w http.ResponseWriter, r *http.Request) bool {
			if !strings.HasSuffix(r.URL.Path, ".sig") {
				return false
			}
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return true
		})
		o := tr.opts()
		o.Timeout = 300 * time.Millisecond
		_, err := Verify(context.Background(), tr.host+"/app:1", VerifyOptions{Options: o, Keys: []*PublicKey{pub}})
		if err == nil || !strings.Contains(err.Error(), "did not answer in time") {
			t.Errorf("%v", err)
		}
	})
	t.Run("garbage", func(t *testing.T) {
		tr := newRegistry(t)
		tr.push(t, "app:1")
		junk := make([]byte, 4096)
		_, _ = rand.Read(junk)
		for name, answer := range map[string]func(w http.ResponseWriter){
			"random bytes": func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", string(types.OCIManifestSchema1))
				_, _ = w.Write(junk)
			},
			"html": func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", "text/html")
				_, _ = w.Write([]byte("<html>maintenance</html>"))
			},
			"500": func(w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) },
		} {
			tr.setWrap(func(w http.ResponseWriter, r *http.Request) bool {
				if !strings.Contains(r.URL.Path, "/manifests/") {
					return false
				}
				answer(w)
				return true
			})
			v, err := Verify(context.Background(), tr.host+"/app:1", VerifyOptions{Options: tr.opts(), Keys: []*PublicKey{pub}})
			if err == nil {
				t.Errorf("%s: no error: %+v", name, v)
			}
		}
	})
	t.Run("garbage signatures", func(t *testing.T) {
		tr := newRegistry(t)
		tag, _ := signed(t, tr, "app:1")
		tr.setWrap(func(w http.ResponseWriter, r *http.Request) bool {
			if !strings.HasSuffix(r.URL.Path, "/manifests/"+strings.TrimPrefix(tag, "app:")) {
				return false
			}
			w.Header().Set("Content-Type", string(types.OCIManifestSchema1))
			_, _ = w.Write([]byte(`{"schemaVersion":2,"layers":"many"}`))
			return true
		})
		_, err := Verify(context.Background(), tr.host+"/app:1", VerifyOptions{Options: tr.opts(), Keys: []*PublicKey{pub}})
		if err == nil || !strings.Contains(err.Error(), "does not parse") && !strings.Contains(err.Error(), "digest") {
			t.Errorf("%v", err)
		}
	})
}

// A digest reference the registry answers with another manifest.
func TestDigestMismatch(t *testing.T) {
	tr := newRegistry(t)
	_, digest := signed(t, tr, "app:1")
	other := tr.push(t, "app:2")
	m := tr.readManifest(t, "app:2")
	b, _ := json.Marshal(m)
	_ = other
	tr.setWrap(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, "/manifests/"+digest) {
			return false
		}
		w.Header().Set("Content-Type", string(types.OCIManifestSchema1))
		w.Header().Set("Docker-Content-Digest", digest)
		_, _ = w.Write(b)
		return true
	})
	_, pub := testKey(t, 0)
	_, err := Verify(context.Background(), tr.host+"/app@"+digest, VerifyOptions{Options: tr.opts(), Keys: []*PublicKey{pub}})
	if err == nil || !strings.Contains(err.Error(), "does not match requested digest") {
		t.Errorf("%v", err)
	}
	s, _ := testKey(t, 0)
	if _, err := Sign(context.Background(), tr.host+"/app@"+digest, s, SignOptions{Options: tr.opts()}); err == nil {
		t.Error("signed an image whose manifest does not match its digest")
	}
}

// A .sig image that cannot be read within the limits is never replaced by a signing.
func TestSignLeavesHostileSignatureImage(t *testing.T) {
	tr := newRegistry(t)
	tag, _ := signed(t, tr, "app:1")
	m := tr.readManifest(t, tag)
	for len(m.Layers) < 300 {
		m.Layers = append(m.Layers, m.Layers[0])
	}
	tr.putManifest(t, tag, m)
	s, _ := testKey(t, 1)
	_, err := Sign(context.Background(), tr.host+"/app:1", s, SignOptions{Options: tr.opts()})
	if err == nil || !strings.Contains(err.Error(), "before appending to it") || !strings.Contains(err.Error(), "more than 256") {
		t.Errorf("%v", err)
	}
	if got := tr.readManifest(t, tag); len(got.Layers) != 300 {
		t.Errorf("the .sig image now has %d layers", len(got.Layers))
	}
}

// A registry that answers a signature blob with other bytes of the same length.
func TestBlobNotMatchingItsDigest(t *testing.T) {
	tr := newRegistry(t)
	tag, _ := signed(t, tr, "app:1")
	payload, _ := theSignature(t, tr, "app", tag)
	d := tr.readManifest(t, tag).Layers[0].Digest.String()
	evil := bytes.Replace(payload, []byte(`"optional":null`), []byte(`"optional":1234`), 1)
	if len(evil) != len(payload) || bytes.Equal(evil, payload) {
		t.Fatal("not a same-length change")
	}
	tr.setWrap(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, "/blobs/"+d) {
			return false
		}
		_, _ = w.Write(evil)
		return true
	})
	_, pub := testKey(t, 0)
	v := verify(t, tr, "app:1", VerifyOptions{Keys: []*PublicKey{pub}})
	wantDenied(t, v, "error verifying sha256 checksum")
}
