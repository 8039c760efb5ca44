package sign

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
)

func TestSignVerify(t *testing.T) {
	tr := newRegistry(t)
	d := tr.push(t, "team/app:1.0")
	s, pub := testKey(t, 0)
	out := signOrFail(t, tr, "team/app:1.0", s, SignOptions{Annotations: map[string]string{"ci": "build-7"}})
	if out.Digest != d.DigestStr() || out.Pinned != d.String() || !out.Appended {
		t.Fatalf("signed %+v, want digest %s appended", out, d)
	}
	if want := tr.host + "/team/app:sha256-" + strings.TrimPrefix(d.DigestStr(), "sha256:") + ".sig"; out.SignatureTag != want {
		t.Errorf("signature tag %s, want %s", out.SignatureTag, want)
	}
	if out.AttestationTag != "" {
		t.Errorf("no scan, but an attestation was written to %s", out.AttestationTag)
	}

	// The layout written: one layer, cosign's media type and annotation, the payload naming
	// the repository and digest.
	m := tr.readManifest(t, strings.TrimPrefix(out.SignatureTag, tr.host+"/"))
	if len(m.Layers) != 1 || m.Layers[0].MediaType != SimpleSigningMediaType || m.Layers[0].Annotations[SignatureAnnotation] == "" {
		t.Fatalf("signature image layers %+v", m.Layers)
	}

	v := verify(t, tr, "team/app:1.0", VerifyOptions{Keys: []*PublicKey{pub}})
	if !v.Verified || v.Digest != d.DigestStr() || v.Pinned != d.String() {
		t.Fatalf("verification %+v", v)
	}
	r := v.Signatures[0]
	if !r.Verified || r.Key != "first.pub" || r.KeyID != pub.ID || r.Annotations["ci"] != "build-7" {
		t.Errorf("result %+v", r)
	}
	// Required annotations: present, absent, different.
	if v := verify(t, tr, "team/app:1.0", VerifyOptions{Keys: []*PublicKey{pub}, Annotations: map[string]string{"ci": "build-7"}}); !v.Verified {
		t.Errorf("required annotation present, not verified: %s", reasons(v))
	}
	if v := verify(t, tr, "team/app:1.0", VerifyOptions{Keys: []*PublicKey{pub}, Annotations: map[string]string{"ci": "build-8"}}); v.Verified || !strings.Contains(reasons(v), "ci=build-7, not build-8") {
		t.Errorf("annotation differs, verified %v: %s", v.Verified, reasons(v))
	}
	// By digest too.
	if v := verify(t, tr, "team/app@"+d.DigestStr(), VerifyOptions{Keys: []*PublicKey{pub}}); !v.Verified {
		t.Errorf("by digest: %s", reasons(v))
	}
}

func TestPayloadFormat(t *testing.T) {
	d, err := name.NewDigest("registry.example.com/team/app@sha256:" + strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	b, err := newPayload(d, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"critical":{"identity":{"docker-reference":"registry.example.com/team/app"},"image":{"docker-manifest-digest":"sha256:` +
		strings.Repeat("ab", 32) + `"},"type":"cosign container image signature"},"optional":null}`
	if string(b) != want {
		t.Errorf("payload\n%s\nwant\n%s", b, want)
	}
	for _, bad := range []string{`{"critical":{"type":"atomic container signature"}}`, `{"critical":{"type":"cosign container image signature"}} {}`, `[]`} {
		if _, err := parsePayload([]byte(bad)); err == nil {
			t.Errorf("payload %s parsed", bad)
		}
	}
	repo := d.Repository
	for ref, want := range map[string]bool{
		"registry.example.com/team/app": true, "registry.example.com/team/app:1.0": true,
		"registry.example.com/team/app@sha256:" + strings.Repeat("cd", 32): true,
		"registry.example.com/team/other":                                  false, "evil.example.com/team/app": false, "": false, "::": false,
	} {
		if got := sameRepository(ref, repo); got != want {
			t.Errorf("sameRepository(%q) = %v", ref, got)
		}
	}
	hub, _ := name.NewRepository("nginx")
	if !sameRepository("index.docker.io/library/nginx", hub) || !sameRepository("docker.io/library/nginx:1", hub) {
		t.Error("Docker Hub names are not expanded")
	}
}

func TestSignAppends(t *testing.T) {
	tr := newRegistry(t)
	tr.push(t, "app:1")
	s1, pub1 := testKey(t, 0)
	s2, pub2 := testKey(t, 1)
	signOrFail(t, tr, "app:1", s1, SignOptions{})
	// The same payload by the same key: left as it was.
	if out := signOrFail(t, tr, "app:1", s1, SignOptions{}); out.Appended {
		t.Error("the same signature was appended again")
	}
	// Another annotation, then another key: appended.
	if out := signOrFail(t, tr, "app:1", s1, SignOptions{Annotations: map[string]string{"a": "b"}}); !out.Appended {
		t.Error("a new payload was not appended")
	}
	out := signOrFail(t, tr, "app:1", s2, SignOptions{})
	if !out.Appended {
		t.Error("a new key's signature was not appended")
	}
	m := tr.readManifest(t, strings.TrimPrefix(out.SignatureTag, tr.host+"/"))
	if len(m.Layers) != 3 {
		t.Fatalf("%d layers, want 3", len(m.Layers))
	}
	// Key rotation: either key verifies; each result names its key.
	v := verify(t, tr, "app:1", VerifyOptions{Keys: []*PublicKey{pub2, pub1}})
	if !v.Verified {
		t.Fatal(reasons(v))
	}
	got := []string{v.Signatures[0].Key, v.Signatures[1].Key, v.Signatures[2].Key}
	if strings.Join(got, ",") != "first.pub,first.pub,second.pub" {
		t.Errorf("keys %v", got)
	}
	v = verify(t, tr, "app:1", VerifyOptions{Keys: []*PublicKey{pub2}})
	if !v.Verified || v.Signatures[0].Verified || !strings.Contains(v.Signatures[0].Reason, "no key verifies the signature (tried second.pub)") || !v.Signatures[2].Verified {
		t.Errorf("second key only: %+v", v.Signatures)
	}
}

// A signature made by cosign before kharden's, of another type (an attestation image
// written under .sig by mistake): appending keeps it.
func TestSignKeepsForeignLayers(t *testing.T) {
	tr := newRegistry(t)
	d := tr.push(t, "app:1")
	tag, _ := tagFor(d, sigSuffix)
	tr.copyImage(t, "app:1", strings.TrimPrefix(tag.String(), tr.host+"/"))
	s, pub := testKey(t, 0)
	signOrFail(t, tr, "app:1", s, SignOptions{})
	m := tr.readManifest(t, strings.TrimPrefix(tag.String(), tr.host+"/"))
	if len(m.Layers) != 2 {
		t.Fatalf("%d layers, want the foreign one and the signature", len(m.Layers))
	}
	v := verify(t, tr, "app:1", VerifyOptions{Keys: []*PublicKey{pub}})
	if !v.Verified || !strings.Contains(v.Signatures[0].Reason, "not a signature") {
		t.Errorf("%v %s", v.Verified, reasons(v))
	}
}

func TestAttestation(t *testing.T) {
	tr := newRegistry(t)
	d := tr.push(t, "app:1")
	s, pub := testKey(t, 0)
	scanned := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	out := signOrFail(t, tr, "app:1", s, SignOptions{Scan: passingScan(scanned)})
	if out.AttestationTag == "" || out.Scan == nil || out.Scan.Image != d.String() {
		t.Fatalf("signed %+v", out)
	}
	m := tr.readManifest(t, strings.TrimPrefix(out.AttestationTag, tr.host+"/"))
	if len(m.Layers) != 1 || m.Layers[0].MediaType != DSSEMediaType || m.Layers[0].Annotations[PredicateTypeAnnotation] != ScanPredicateType {
		t.Fatalf("attestation layers %+v", m.Layers)
	}
	at := func(now time.Time, p AttestationPolicy) *Verification {
		return verify(t, tr, "app:1", VerifyOptions{Keys: []*PublicKey{pub}, Attestation: &p, Now: func() time.Time { return now }})
	}
	v := at(scanned.Add(24*time.Hour), AttestationPolicy{MaxAge: 7 * 24 * time.Hour, FailOn: "high"})
	if !v.Verified || len(v.Attestations) != 1 || v.Attestations[0].Key != "first.pub" || v.Attestations[0].Scan.Counts["low"] != 2 {
		t.Fatalf("%+v\n%s", v, reasons(v))
	}
	if v := at(scanned.Add(8*24*time.Hour), AttestationPolicy{MaxAge: 7 * 24 * time.Hour, FailOn: "high"}); v.Verified ||
		!strings.Contains(reasons(v), "is 192h0m0s old, more than the 168h0m0s allowed") {
		t.Errorf("too old: %s", reasons(v))
	}
	if v := at(scanned.Add(time.Hour), AttestationPolicy{FailOn: "low"}); v.Verified || !strings.Contains(reasons(v), "found 2 low at or above low") {
		t.Errorf("stricter threshold: %s", reasons(v))
	}
	if v := at(scanned.Add(-time.Hour), AttestationPolicy{FailOn: "high"}); v.Verified || !strings.Contains(reasons(v), "in the future") {
		t.Errorf("scan from the future: %s", reasons(v))
	}
	_, other := testKey(t, 1)
	if v := verify(t, tr, "app:1", VerifyOptions{Keys: []*PublicKey{other}, Attestation: &AttestationPolicy{FailOn: "high"}}); v.Verified {
		t.Error("verified with another key")
	}
	// The signature alone verifies: no attestation is then read.
	before := tr.count("GET", ".att")
	if v := verify(t, tr, "app:1", VerifyOptions{Keys: []*PublicKey{pub}}); !v.Verified || v.Attestations != nil || tr.count("GET", ".att") != before {
		t.Errorf("attestation read when not asked for")
	}

	// The statement: in-toto, about the digest.
	b := fetchBlob(t, tr, "app", m.Layers[0])
	st, by, err := openEnvelope(b, []*PublicKey{pub})
	if err != nil || by != pub {
		t.Fatal(err)
	}
	h, _ := hashOf(d)
	if st.Type != statementType || !st.about("sha256", h.Hex) || st.Subject[0].Name != d.Repository.Name() {
		t.Errorf("statement %+v", st)
	}
	var p map[string]any
	if err := json.Unmarshal(st.Predicate, &p); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"time", "scanner", "image", "rules", "failOn", "counts", "passed", "vulnerabilityDatabase"} {
		if _, ok := p[k]; !ok {
			t.Errorf("predicate has no %s: %v", k, p)
		}
	}
}

func TestSignRefusedWhenScanFails(t *testing.T) {
	tr := newRegistry(t)
	d := tr.push(t, "app:1")
	s, pub := testKey(t, 0)
	failing := func(_ context.Context, pinned string) (*ScanPredicate, error) {
		if pinned != d.String() {
			t.Errorf("scanned %s, want the pinned %s", pinned, d)
		}
		return &ScanPredicate{Time: time.Now(), FailOn: "high", Counts: map[string]int{"critical": 1}}, nil
	}
	out := signOrFail(t, tr, "app:1", s, SignOptions{Scan: failing})
	if !out.Refused || out.SignatureTag != "" {
		t.Fatalf("%+v", out)
	}
	if tr.count("PUT", "/manifests/") != 1 { // the push of the image only
		t.Errorf("something was written: %d manifest PUTs", tr.count("PUT", "/manifests/"))
	}
	v := verify(t, tr, "app:1", VerifyOptions{Keys: []*PublicKey{pub}})
	if v.Verified || !strings.Contains(reasons(v), "no signatures") {
		t.Errorf("%s", reasons(v))
	}
}

func TestVerifyNeedsKey(t *testing.T) {
	if _, err := Verify(context.Background(), "example.com/app:1", VerifyOptions{}); err == nil {
		t.Error("no key, no error")
	}
	_, pub := testKey(t, 0)
	if _, err := Verify(context.Background(), "example.com/app:1", VerifyOptions{Keys: []*PublicKey{pub}, Attestation: &AttestationPolicy{FailOn: "severe"}}); err == nil {
		t.Error("unknown severity accepted")
	}
}
