// Package sign signs container images and verifies their signatures in the formats
// cosign reads and writes offline, with kharden's scan result attached:
//
//   - key files: an ECDSA P-256 private key as encrypted PKCS#8 PEM
//     (ENCRYPTED SIGSTORE PRIVATE KEY; the older ENCRYPTED COSIGN PRIVATE KEY is read
//     too), the public key as PKIX PEM (PUBLIC KEY);
//   - signatures: a simple-signing payload naming the image's repository and manifest
//     digest, signed (ASN.1 ECDSA over SHA-256), one layer per signature of an OCI
//     image tagged REPO:sha256-HEX.sig, the signature in the layer's annotation;
//   - attestations: an in-toto statement about the digest in a DSSE envelope, one layer
//     per attestation of the image tagged REPO:sha256-HEX.att.
//
// Every tag is resolved to a digest first and only the digest is signed or verified.
// Everything read from a registry is bounded in size, count and time (Limits).
package sign

// Media types, annotations and tag suffixes of cosign's legacy layout.
const (
	// SimpleSigningMediaType is the media type of a signature layer: its blob is the payload.
	SimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	// DSSEMediaType is the media type of an attestation layer: its blob is a DSSE envelope.
	DSSEMediaType = "application/vnd.dsse.envelope.v1+json"
	// SignatureAnnotation holds the base64 signature of a signature layer's blob.
	SignatureAnnotation = "dev.cosignproject.cosign/signature"
	// PredicateTypeAnnotation names the predicate type of an attestation layer.
	PredicateTypeAnnotation = "predicateType"
	// InTotoPayloadType is the DSSE payload type of an in-toto statement.
	InTotoPayloadType = "application/vnd.in-toto+json"

	sigSuffix = ".sig"
	attSuffix = ".att"
)
