package webhook

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// File names `kharden webhook certs` writes into its output directory: the layout of a
// kubernetes.io/tls Secret plus the CA.
const (
	CAFile   = "ca.crt"
	CAKey    = "ca.key"
	CertFile = "tls.crt"
	KeyFile  = "tls.key"
)

// CertOptions describe the certificates of a webhook reached through a Service.
type CertOptions struct {
	// Service and Namespace name the Service in front of the webhook: the serving
	// certificate is valid for service, service.namespace, service.namespace.svc and
	// service.namespace.svc.cluster.local.
	Service, Namespace string
	// Hosts are more DNS names or IP addresses ("127.0.0.1" for a webhook reached by URL).
	Hosts []string
	// Validity of the serving certificate (default one year) and of a new CA (ten years).
	Validity, CAValidity time.Duration
	// Now is when the certificates start; zero means now.
	Now time.Time
}

// CA is a certificate authority that signs serving certificates.
type CA struct {
	Cert    *x509.Certificate
	Key     crypto.Signer
	CertPEM []byte
	KeyPEM  []byte
}

// NewCA makes a self-signed ECDSA P-256 CA.
func NewCA(name string, now time.Time, validity time.Duration) (*CA, error) {
	if now.IsZero() {
		now = time.Now()
	}
	if validity <= 0 {
		validity = 10 * 365 * 24 * time.Hour
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-5 * time.Minute),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), KeyPEM: keyPEM}, nil
}

// LoadCA reads a CA written by WriteCerts.
func LoadCA(certFile, keyFile string) (*CA, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("CA %s: %w", certFile, err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, err
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("%s is not a CA certificate", certFile)
	}
	signer, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: key cannot sign", keyFile)
	}
	return &CA{Cert: cert, Key: signer, CertPEM: certPEM, KeyPEM: keyPEM}, nil
}

// Names returns the DNS names and IP addresses a serving certificate is made for.
func (o CertOptions) Names() (dns []string, ips []net.IP) {
	if o.Service != "" {
		dns = append(dns, o.Service)
		if o.Namespace != "" {
			dns = append(dns, o.Service+"."+o.Namespace, o.Service+"."+o.Namespace+".svc",
				o.Service+"."+o.Namespace+".svc.cluster.local")
		}
	}
	for _, h := range o.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			ips = append(ips, ip)
		} else if h != "" {
			dns = append(dns, h)
		}
	}
	return dns, ips
}

// Issue signs a serving certificate for the options' names and returns it and its key as
// PEM.
func (ca *CA) Issue(o CertOptions) (certPEM, keyPEM []byte, err error) {
	dns, ips := o.Names()
	if len(dns)+len(ips) == 0 {
		return nil, nil, errors.New("a serving certificate needs a service name or a host")
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	validity := o.Validity
	if validity <= 0 {
		validity = 365 * 24 * time.Hour
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, nil, err
	}
	cn := o.Service
	switch {
	case cn == "":
		cn = append(dns, ipStrings(ips)...)[0]
	case o.Namespace != "":
		cn += "." + o.Namespace + ".svc"
	}
	notAfter := now.Add(validity)
	if notAfter.After(ca.Cert.NotAfter) {
		notAfter = ca.Cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		DNSNames:     dns,
		IPAddresses:  ips,
		NotBefore:    now.Add(-5 * time.Minute),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM, nil
}

// CertFiles are the paths WriteCerts wrote.
type CertFiles struct {
	CA, CAKey, Cert, Key string
	// NewCA tells whether the CA was created (false: an existing one in the directory
	// signed the new serving certificate, so the caBundle stays valid).
	NewCA bool
}

// WriteCerts writes a CA (ca.crt, ca.key) and a serving certificate signed by it
// (tls.crt, tls.key) into dir. A CA already in dir is reused, so running it again renews
// the serving certificate without changing the webhooks' caBundle. Keys are written with
// mode 0600, and each file is replaced atomically (written aside, then renamed), so a
// server reloading them never reads half a file.
func WriteCerts(dir string, o CertOptions) (*CertFiles, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f := &CertFiles{CA: filepath.Join(dir, CAFile), CAKey: filepath.Join(dir, CAKey),
		Cert: filepath.Join(dir, CertFile), Key: filepath.Join(dir, KeyFile)}
	ca, err := LoadCA(f.CA, f.CAKey)
	switch {
	case err == nil:
	case errors.Is(err, os.ErrNotExist):
		name := "kharden-webhook-ca"
		if o.Service != "" {
			name = o.Service + "-ca"
		}
		if ca, err = NewCA(name, o.Now, o.CAValidity); err != nil {
			return nil, err
		}
		if err := writeAtomic(f.CAKey, ca.KeyPEM, 0o600); err != nil {
			return nil, err
		}
		if err := writeAtomic(f.CA, ca.CertPEM, 0o644); err != nil {
			return nil, err
		}
		f.NewCA = true
	default:
		return nil, err
	}
	certPEM, keyPEM, err := ca.Issue(o)
	if err != nil {
		return nil, err
	}
	// The key first: a reader that sees the new certificate with the old key rejects
	// the pair and keeps serving the old one until both are new.
	if err := writeAtomic(f.Key, keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := writeAtomic(f.Cert, certPEM, 0o644); err != nil {
		return nil, err
	}
	return f, nil
}

func writeAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func encodeKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func serialNumber() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

func ipStrings(ips []net.IP) []string {
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = ip.String()
	}
	return out
}

// describe summarises a certificate for logs: its names and expiry.
func describe(c *x509.Certificate) string {
	names := append(append([]string(nil), c.DNSNames...), ipStrings(c.IPAddresses)...)
	return fmt.Sprintf("%s (expires %s)", strings.Join(names, ", "), c.NotAfter.UTC().Format(time.RFC3339))
}
