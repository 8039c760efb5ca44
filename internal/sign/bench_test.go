package sign

import (
	"context"
	"testing"
	"time"
)

// BenchmarkVerifyCold is a cold verification against the in-process registry: each
// iteration has a new client (new connections, nothing cached), resolves the tag,
// reads the .sig image and its layer and verifies the signature against two keys.
// Recorded in docs/benchmarks.md.
func BenchmarkVerifyCold(b *testing.B) {
	tr := newRegistry(b)
	tr.push(b, "team/app:1.0")
	s, pub := testKey(b, 0)
	_, other := testKey(b, 1)
	signOrFail(b, tr, "team/app:1.0", s, SignOptions{})
	o := VerifyOptions{Options: tr.opts(), Keys: []*PublicKey{other, pub}}
	ref := tr.host + "/team/app:1.0"
	b.ReportAllocs()
	for b.Loop() {
		v, err := Verify(context.Background(), ref, o)
		if err != nil || !v.Verified {
			b.Fatal(err, v)
		}
	}
}

// BenchmarkVerifyColdAttestation adds the scan attestation: the .att image and its layer.
func BenchmarkVerifyColdAttestation(b *testing.B) {
	tr := newRegistry(b)
	tr.push(b, "team/app:1.0")
	s, pub := testKey(b, 0)
	signOrFail(b, tr, "team/app:1.0", s, SignOptions{Scan: passingScan(time.Now())})
	o := VerifyOptions{Options: tr.opts(), Keys: []*PublicKey{pub}, Attestation: &AttestationPolicy{FailOn: "high"}}
	ref := tr.host + "/team/app:1.0"
	b.ReportAllocs()
	for b.Loop() {
		v, err := Verify(context.Background(), ref, o)
		if err != nil || !v.Verified {
			b.Fatal(err, v)
		}
	}
}
