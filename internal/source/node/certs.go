package node

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"
)

// RoleKubeletServingCert is the kubelet's serving certificate, --tls-cert-file or its
// config file's tlsCertFile. It is only in Facts.Certificates, not in Facts.Files: CIS
// names no owner or mode for it.
const RoleKubeletServingCert Role = "kubelet-serving-cert"

// FixtureTime is the collection time (Facts.Now) of a Host from OpenFixture, so that a
// fixture's certificates are judged the same on every day.
var FixtureTime = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// CertFact is one certificate read from a PEM file of the node's PKI, or why a file gave
// no certificate. Only CERTIFICATE blocks are decoded: the *.key files are never read,
// and a private key block in a certificate file is skipped and its bytes cleared.
type CertFact struct {
	// Role is RolePKICert (a *.crt under /etc/kubernetes/pki), RoleKubeletClientCA or
	// RoleKubeletServingCert. A file is read once, under its first role.
	Role Role
	// Path is the file's path on the host.
	Path string
	// From names the flag or config field the path was read from; nil under the PKI
	// directory.
	From *FlagRef
	// Index is the certificate's position in its file, from 1 (a CA bundle holds several),
	// and Count how many CERTIFICATE blocks the file holds.
	Index, Count int
	// Line is the line of the certificate's BEGIN CERTIFICATE.
	Line int
	// Cert is valid when Err is nil.
	Cert Certificate
	// Err says why the file could not be read, holds no certificate, or why this block
	// does not parse.
	Err error
}

// Certificate is what the rules read of an X.509 certificate.
type Certificate struct {
	// Subject and Issuer are the common names.
	Subject, Issuer     string
	NotBefore, NotAfter time.Time
	IsCA                bool
	// KeyAlgorithm is "RSA", "ECDSA", "Ed25519" or x509's name for another one.
	KeyAlgorithm string
	// KeyBits is the RSA modulus's size or the ECDSA curve's; 0 for Ed25519.
	KeyBits int
	// Curve is the ECDSA curve ("P-256"), else empty.
	Curve              string
	SignatureAlgorithm x509.SignatureAlgorithm
}

// collectCerts fills f.Certificates from the *.crt files of the PKI directory and the
// kubelet's client CA and serving certificate.
func (c *collector) collectCerts() {
	seen := map[string]bool{}
	read := func(role Role, p string, from *FlagRef, h *Host) {
		if seen[p] {
			return
		}
		seen[p] = true
		b, err := h.ReadFile(p)
		if err != nil {
			c.f.Certificates = append(c.f.Certificates, CertFact{Role: role, Path: p, From: from, Err: err})
			return
		}
		for _, cf := range ParseCertificates(p, b) {
			cf.Role, cf.From = role, from
			c.f.Certificates = append(c.f.Certificates, cf)
		}
		clear(b)
	}
	for _, ff := range c.f.FilesFor(RolePKICert) {
		read(RolePKICert, ff.Path, nil, c.h)
	}
	for _, comp := range c.f.Instances(Kubelet) {
		if ref, p := kubeletClientCARef(comp); ref != nil {
			read(RoleKubeletClientCA, p, ref, c.hostFor(comp))
		}
	}
	for _, comp := range c.f.Instances(Kubelet) {
		if ref, p := kubeletConfigRef(comp, "tls-cert-file", "tlsCertFile"); ref != nil {
			read(RoleKubeletServingCert, p, ref, c.hostFor(comp))
		}
	}
}

// ParseCertificates reads the CERTIFICATE blocks of the PEM file p, whose content is b:
// one fact per block, or one error fact when there is none. Other blocks are skipped
// and their decoded bytes cleared.
func ParseCertificates(p string, b []byte) []CertFact {
	var out []CertFact
	rest := b
	for {
		i := bytes.Index(rest, []byte("-----BEGIN "))
		if i < 0 {
			break
		}
		line := 1 + bytes.Count(b[:len(b)-len(rest)+i], []byte("\n"))
		block, next := pem.Decode(rest[i:])
		if block == nil {
			// A BEGIN line without a well-formed block: skip past it.
			rest = rest[i+len("-----BEGIN "):]
			continue
		}
		rest = next
		if block.Type != "CERTIFICATE" {
			clear(block.Bytes)
			continue
		}
		cf := CertFact{Path: p, Line: line}
		if x, err := x509.ParseCertificate(block.Bytes); err != nil {
			cf.Err = FileError{Path: p, Err: fmt.Errorf("certificate at line %d: %w", line, err)}
		} else {
			cf.Cert = certificate(x)
		}
		out = append(out, cf)
	}
	if len(out) == 0 {
		return []CertFact{{Path: p, Err: FileError{Path: p, Err: errors.New("no PEM certificate in it")}}}
	}
	for i := range out {
		out[i].Index, out[i].Count = i+1, len(out)
	}
	return out
}

func certificate(x *x509.Certificate) Certificate {
	c := Certificate{
		Subject: x.Subject.CommonName, Issuer: x.Issuer.CommonName,
		NotBefore: x.NotBefore, NotAfter: x.NotAfter, IsCA: x.IsCA,
		KeyAlgorithm: x.PublicKeyAlgorithm.String(), SignatureAlgorithm: x.SignatureAlgorithm,
	}
	switch k := x.PublicKey.(type) {
	case *rsa.PublicKey:
		c.KeyBits = k.N.BitLen()
	case *ecdsa.PublicKey:
		c.KeyBits, c.Curve = k.Curve.Params().BitSize, k.Curve.Params().Name
	case ed25519.PublicKey:
	}
	return c
}
