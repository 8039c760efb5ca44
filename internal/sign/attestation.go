package sign

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// ScanPredicateType is the predicate type of kharden's scan attestation
// (docs/supply-chain.md describes its fields).
const ScanPredicateType = "https://kharden.dev/attestation/scan/v1"

// statementType is the in-toto statement version written.
const statementType = "https://in-toto.io/Statement/v1"

// ScanPredicate is the result of a kharden image scan, as attested.
type ScanPredicate struct {
	// Time is when the scan ran.
	Time time.Time `json:"time"`
	// Scanner is the tool that scanned.
	Scanner Scanner `json:"scanner"`
	// Image is the reference scanned: the repository at the signed digest.
	Image string `json:"image"`
	// Rules are the IDs of the rules that ran.
	Rules []string `json:"rules"`
	// FailOn is the threshold the scan judged with.
	FailOn string `json:"failOn"`
	// Counts are the failing results by severity (info to critical), suppressed ones
	// left out.
	Counts map[string]int `json:"counts"`
	// Passed is true when no result is at or above FailOn and the image could be read.
	Passed bool `json:"passed"`
	// VulnerabilityDatabase is the vulnerability database the scan matched with, nil
	// when none was.
	VulnerabilityDatabase *VulnerabilityDatabase `json:"vulnerabilityDatabase"`
}

// Scanner names the scanning tool.
type Scanner struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// VulnerabilityDatabase tells how fresh the vulnerability data of a scan was.
type VulnerabilityDatabase struct {
	// Updated is when the database was last updated.
	Updated time.Time `json:"updated"`
	// Sources name the databases (OSV exports, ...).
	Sources []string `json:"sources,omitempty"`
}

// severities, lowest first: the keys of ScanPredicate.Counts.
var severities = []string{"info", "low", "medium", "high", "critical"}

// PassesAt tells whether the scan found nothing at or above failOn (one of
// severities), whatever threshold it ran with.
func (p *ScanPredicate) PassesAt(failOn string) (bool, error) {
	at := -1
	for i, s := range severities {
		if s == failOn {
			at = i
		}
	}
	if at < 0 {
		return false, fmt.Errorf("unknown severity %q", failOn)
	}
	for _, s := range severities[at:] {
		if p.Counts[s] > 0 {
			return false, nil
		}
	}
	return true, nil
}

// statement is an in-toto statement with kharden's scan predicate.
type statement struct {
	Type          string          `json:"_type"`
	Subject       []subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

type subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// newEnvelope signs the statement that digest has predicate p, as a DSSE envelope.
func newEnvelope(s *Signer, digest name.Digest, p *ScanPredicate) ([]byte, error) {
	h, err := hashOf(digest)
	if err != nil {
		return nil, err
	}
	pred, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	st, err := json.Marshal(statement{
		Type:          statementType,
		Subject:       []subject{{Name: digest.Repository.Name(), Digest: map[string]string{h.Algorithm: h.Hex}}},
		PredicateType: ScanPredicateType,
		Predicate:     pred,
	})
	if err != nil {
		return nil, err
	}
	sig, err := s.sign(dsse.PAE(InTotoPayloadType, st))
	if err != nil {
		return nil, err
	}
	return json.Marshal(dsse.Envelope{
		PayloadType: InTotoPayloadType,
		Payload:     base64.StdEncoding.EncodeToString(st),
		Signatures:  []dsse.Signature{{Sig: base64.StdEncoding.EncodeToString(sig)}},
	})
}

// openEnvelope checks a DSSE envelope against keys and returns the statement it
// signs and the key that verified it.
func openEnvelope(b []byte, keys []*PublicKey) (*statement, *PublicKey, error) {
	var env dsse.Envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, nil, fmt.Errorf("not a DSSE envelope: %w", err)
	}
	if env.PayloadType != InTotoPayloadType {
		return nil, nil, fmt.Errorf("the envelope's payload type is %q, not %q", env.PayloadType, InTotoPayloadType)
	}
	body, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, nil, fmt.Errorf("the envelope's payload is not base64: %w", err)
	}
	if len(env.Signatures) == 0 {
		return nil, nil, fmt.Errorf("the envelope has no signature")
	}
	if len(env.Signatures) > maxEnvelopeSignatures {
		return nil, nil, fmt.Errorf("the envelope has %d signatures, more than %d", len(env.Signatures), maxEnvelopeSignatures)
	}
	pae := dsse.PAE(env.PayloadType, body)
	var by *PublicKey
	for _, s := range env.Signatures {
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil {
			continue
		}
		for _, k := range keys {
			if k.verify(sig, pae) == nil {
				by = k
				break
			}
		}
		if by != nil {
			break
		}
	}
	if by == nil {
		return nil, nil, fmt.Errorf("no key verifies the envelope's signature")
	}
	var st statement
	if err := json.Unmarshal(body, &st); err != nil {
		return nil, by, fmt.Errorf("the signed payload is not an in-toto statement: %w", err)
	}
	return &st, by, nil
}

// maxEnvelopeSignatures bounds the signatures of one envelope tried against the keys.
const maxEnvelopeSignatures = 8

// about tells whether the statement's subjects include the digest h.
func (st *statement) about(algorithm, hex string) bool {
	for _, s := range st.Subject {
		if s.Digest[algorithm] == hex {
			return true
		}
	}
	return false
}
