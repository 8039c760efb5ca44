package cluster

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// PKI names the files of a cluster's certificates and keys. The layout follows kubeadm's: one CA
// for the cluster, one for etcd and one for the aggregation layer's front proxy. Keys are written with mode 0600, certificates with 0644.
type PKI struct {
	Dir string

	CACert, CAKey string // cluster CA: API server serving cert and all Kubernetes client certs

	APIServerCert, APIServerKey                     string // serving cert of kube-apiserver
	APIServerKubeletClientCert, APIServerKubeletKey string // kube-apiserver -> kubelet client cert
	APIServerEtcdClientCert, APIServerEtcdClientKey string // kube-apiserver -> etcd client cert

	EtcdCACert, EtcdCAKey   string // etcd CA: etcd serving and peer cert, etcd client certs
	EtcdServerCert          string // etcd serving and peer cert (server and client auth)
	EtcdServerKey           string
	EtcdClientCert          string // the harness's own etcd client cert (health checks, reads)
	EtcdClientKey           string
	ServiceAccountKey       string // RSA private key that signs service-account tokens
	ServiceAccountPublicKey string

	AdminCert, AdminKey string // user "kharden-admin" in group system:masters

	ControllerManagerCert, ControllerManagerKey string // user system:kube-controller-manager

	// The aggregation layer: kube-apiserver authenticates to extension API servers with the
	// front-proxy client cert, which they verify against the front-proxy CA.
	FrontProxyCACert, FrontProxyCAKey         string
	FrontProxyClientCert, FrontProxyClientKey string

	ca, etcdCA, frontProxyCA *authority
}

// authority is a CA that can sign more certificates.
type authority struct {
	cert    *x509.Certificate
	certPEM []byte
	key     crypto.Signer
}

// certSpec describes a certificate to issue.
type certSpec struct {
	commonName   string
	organization []string
	dnsNames     []string
	ips          []net.IP
	usages       []x509.ExtKeyUsage
}

func newPKI(dir string) (*PKI, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	p := &PKI{Dir: dir}
	path := func(name string) string { return filepath.Join(dir, name) }
	var err error

	p.ca, err = newAuthority("kharden-test-ca")
	if err != nil {
		return nil, err
	}
	p.etcdCA, err = newAuthority("kharden-test-etcd-ca")
	if err != nil {
		return nil, err
	}
	p.frontProxyCA, err = newAuthority("kharden-test-front-proxy-ca")
	if err != nil {
		return nil, err
	}
	p.FrontProxyCACert, p.FrontProxyCAKey = path("front-proxy-ca.crt"), path("front-proxy-ca.key")
	if err := p.frontProxyCA.write(p.FrontProxyCACert, p.FrontProxyCAKey); err != nil {
		return nil, err
	}
	p.CACert, p.CAKey = path("ca.crt"), path("ca.key")
	if err := p.ca.write(p.CACert, p.CAKey); err != nil {
		return nil, err
	}
	p.EtcdCACert, p.EtcdCAKey = path("etcd-ca.crt"), path("etcd-ca.key")
	if err := p.etcdCA.write(p.EtcdCACert, p.EtcdCAKey); err != nil {
		return nil, err
	}

	loopback := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	server := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	client := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	both := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	issue := []struct {
		ca          *authority
		spec        certSpec
		cert, key   *string
		certN, keyN string
	}{
		{p.ca, certSpec{
			commonName: "kube-apiserver",
			dnsNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
				"kubernetes.default.svc.cluster.local"},
			ips:    append([]net.IP{net.IPv4(10, 0, 0, 1)}, loopback...),
			usages: server,
		}, &p.APIServerCert, &p.APIServerKey, "apiserver.crt", "apiserver.key"},
		{p.ca, certSpec{commonName: "kube-apiserver-kubelet-client", organization: []string{"system:masters"}, usages: client},
			&p.APIServerKubeletClientCert, &p.APIServerKubeletKey, "apiserver-kubelet-client.crt", "apiserver-kubelet-client.key"},
		{p.ca, certSpec{commonName: "kharden-admin", organization: []string{"system:masters"}, usages: client},
			&p.AdminCert, &p.AdminKey, "admin.crt", "admin.key"},
		{p.ca, certSpec{commonName: "system:kube-controller-manager", usages: client},
			&p.ControllerManagerCert, &p.ControllerManagerKey, "controller-manager.crt", "controller-manager.key"},
		{p.etcdCA, certSpec{commonName: "kube-apiserver-etcd-client", usages: client},
			&p.APIServerEtcdClientCert, &p.APIServerEtcdClientKey, "apiserver-etcd-client.crt", "apiserver-etcd-client.key"},
		// etcd uses its serving cert as a client too (peers, its gRPC gateway), so it has both usages.
		{p.etcdCA, certSpec{commonName: "etcd", dnsNames: []string{"localhost"}, ips: loopback, usages: both},
			&p.EtcdServerCert, &p.EtcdServerKey, "etcd-server.crt", "etcd-server.key"},
		{p.etcdCA, certSpec{commonName: "kharden-etcd-client", usages: client},
			&p.EtcdClientCert, &p.EtcdClientKey, "etcd-client.crt", "etcd-client.key"},
		{p.frontProxyCA, certSpec{commonName: "front-proxy-client", usages: client},
			&p.FrontProxyClientCert, &p.FrontProxyClientKey, "front-proxy-client.crt", "front-proxy-client.key"},
	}
	for _, i := range issue {
		certPEM, keyPEM, err := i.ca.issue(i.spec)
		if err != nil {
			return nil, fmt.Errorf("issue %s: %w", i.certN, err)
		}
		*i.cert, *i.key = path(i.certN), path(i.keyN)
		if err := writeFile(*i.cert, certPEM, 0o644); err != nil {
			return nil, err
		}
		if err := writeFile(*i.key, keyPEM, 0o600); err != nil {
			return nil, err
		}
	}

	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	saPriv, err := x509.MarshalPKCS8PrivateKey(saKey)
	if err != nil {
		return nil, err
	}
	saPub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return nil, err
	}
	p.ServiceAccountKey, p.ServiceAccountPublicKey = path("sa.key"), path("sa.pub")
	if err := writeFile(p.ServiceAccountKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: saPriv}), 0o600); err != nil {
		return nil, err
	}
	if err := writeFile(p.ServiceAccountPublicKey, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPub}), 0o644); err != nil {
		return nil, err
	}
	return p, nil
}

// clientCert issues a client certificate of the cluster CA for a user and groups, as PEM.
func (p *PKI) clientCert(user string, groups []string) (certPEM, keyPEM []byte, err error) {
	return p.ca.issue(certSpec{commonName: user, organization: groups, usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
}

func newAuthority(name string) (*authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &authority{cert: cert, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key: key}, nil
}

func (a *authority) write(certPath, keyPath string) error {
	keyPEM, err := encodeKey(a.key)
	if err != nil {
		return err
	}
	if err := writeFile(certPath, a.certPEM, 0o644); err != nil {
		return err
	}
	return writeFile(keyPath, keyPEM, 0o600)
}

func (a *authority) issue(s certSpec) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: s.commonName, Organization: s.organization},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  s.usages,
		DNSNames:     s.dnsNames,
		IPAddresses:  s.ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, key.Public(), a.key)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM, nil
}

func encodeKey(key crypto.Signer) ([]byte, error) {
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("unexpected key type %T", key)
	}
	der, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

func serialNumber() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

func writeFile(path string, data []byte, mode os.FileMode) error {
	if err := os.WriteFile(path, data, mode); err != nil {
		return err
	}
	return os.Chmod(path, mode) // WriteFile's mode is filtered by the umask
}
