package node

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// certPEM returns a PEM certificate for cn with the key pub, signed by parent's key (self
// signed when parent is nil).
func certPEM(t *testing.T, cn string, ca bool, sig x509.SignatureAlgorithm, notAfter time.Time,
	pub crypto.PublicKey, key crypto.Signer, parent *x509.Certificate) ([]byte, *x509.Certificate) {
	t.Helper()
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: notAfter,
		IsCA: ca, BasicConstraintsValid: true, SignatureAlgorithm: sig,
	}
	if ca {
		tpl.KeyUsage = x509.KeyUsageCertSign
	}
	if parent == nil {
		parent = tpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, parent, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	x, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), x
}

func writeFiles(t *testing.T, root string, files map[string][]byte) {
	t.Helper()
	for p, b := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCertificates(t *testing.T) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsa2048, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	later := time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC)
	caPEM, ca := certPEM(t, "kubernetes", true, x509.ECDSAWithSHA256, later, &caKey.PublicKey, caKey, nil)
	apiPEM, _ := certPEM(t, "kube-apiserver", false, x509.ECDSAWithSHA256, later, &rsa2048.PublicKey, caKey, ca)
	oldPEM, _ := certPEM(t, "old", false, x509.SHA1WithRSA, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), &rsa1024.PublicKey, rsa1024, nil)
	keyDER, err := x509.MarshalPKCS8PrivateKey(caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})

	root := t.TempDir()
	writeFiles(t, root, map[string][]byte{
		"etc/kubernetes/pki/ca.crt":          caPEM,
		"etc/kubernetes/pki/ca.key":          keyPEM,
		"etc/kubernetes/pki/apiserver.crt":   append([]byte("# issued by kubeadm\n"), apiPEM...),
		"etc/kubernetes/pki/etcd/bundle.crt": append(append([]byte{}, oldPEM...), caPEM...),
		"etc/kubernetes/pki/fake.crt":        []byte("-----BEGIN CERTIFICATE-----\nZml4dHVyZQ==\n-----END CERTIFICATE-----\n"),
		"etc/kubernetes/pki/empty.crt":       []byte("not PEM\n"),
		"etc/systemd/system/kubelet.service": []byte("[Service]\nExecStart=/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml --tls-cert-file=/var/lib/kubelet/pki/kubelet.crt\n"),
		"var/lib/kubelet/config.yaml": []byte("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n" +
			"authentication:\n  x509:\n    clientCAFile: /etc/kubernetes/pki/ca.crt\n"),
		// A serving certificate with its key in the same file: the key is skipped.
		"var/lib/kubelet/pki/kubelet.crt": append(append([]byte{}, apiPEM...), keyPEM...),
	})
	h, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f := CollectOptions(h, Options{Now: now})
	if len(f.Errors) > 0 {
		t.Fatalf("collector errors: %v", f.Errors)
	}
	if !f.Now.Equal(now) {
		t.Errorf("Now = %v, want %v", f.Now, now)
	}

	var got []string
	for _, c := range f.Certificates {
		if strings.HasSuffix(c.Path, ".key") {
			t.Errorf("%s: a private key file was read", c.Path)
		}
		s := string(c.Role) + " " + c.Path
		if c.Err != nil {
			got = append(got, s+" error: "+c.Err.Error())
			continue
		}
		x := c.Cert
		got = append(got, s+" "+strings.Join([]string{
			strconv.Itoa(c.Index) + "/" + strconv.Itoa(c.Count) + "@" + strconv.Itoa(c.Line), x.Subject, x.Issuer,
			x.NotBefore.Format(time.DateOnly), x.NotAfter.Format(time.DateOnly), map[bool]string{true: "CA", false: "leaf"}[x.IsCA],
			x.KeyAlgorithm, strconv.Itoa(x.KeyBits), x.Curve, x.SignatureAlgorithm.String(),
		}, " "))
		if c.From == nil && c.Role != RolePKICert {
			t.Errorf("%s: no flag named", c.Path)
		}
	}
	want := []string{
		"pki-cert /etc/kubernetes/pki/apiserver.crt 1/1@2 kube-apiserver kubernetes 2025-01-01 2036-01-01 leaf RSA 2048  ECDSA-SHA256",
		"pki-cert /etc/kubernetes/pki/ca.crt 1/1@1 kubernetes kubernetes 2025-01-01 2036-01-01 CA ECDSA 256 P-256 ECDSA-SHA256",
		"pki-cert /etc/kubernetes/pki/empty.crt error: /etc/kubernetes/pki/empty.crt: no PEM certificate in it",
		"pki-cert /etc/kubernetes/pki/etcd/bundle.crt 1/2@1 old old 2025-01-01 2025-06-01 leaf RSA 1024  SHA1-RSA",
		"pki-cert /etc/kubernetes/pki/etcd/bundle.crt 2/2@" + strconv.Itoa(1+strings.Count(string(oldPEM), "\n")) +
			" kubernetes kubernetes 2025-01-01 2036-01-01 CA ECDSA 256 P-256 ECDSA-SHA256",
		"pki-cert /etc/kubernetes/pki/fake.crt error: /etc/kubernetes/pki/fake.crt: certificate at line 1: x509: malformed certificate",
		"kubelet-serving-cert /var/lib/kubelet/pki/kubelet.crt 1/1@1 kube-apiserver kubernetes 2025-01-01 2036-01-01 leaf RSA 2048  ECDSA-SHA256",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("certificates:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCertificatesUnreadable(t *testing.T) {
	// The kubelet names a client CA file that is not there; a fixture's clock is
	// FixtureTime.
	root := t.TempDir()
	writeFiles(t, root, map[string][]byte{
		"etc/systemd/system/kubelet.service": []byte("[Service]\nExecStart=/usr/bin/kubelet --client-ca-file=/etc/kubelet/ca.pem\n"),
	})
	h, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	f := Collect(h)
	if len(f.Certificates) != 1 || f.Certificates[0].Role != RoleKubeletClientCA || !errors.Is(f.Certificates[0].Err, fs.ErrNotExist) {
		t.Fatalf("certificates: %+v", f.Certificates)
	}
	if f.Now.IsZero() || f.Now.Equal(FixtureTime) {
		t.Errorf("Now = %v, want the clock's", f.Now)
	}
	fx := collectFixture(t, "kubeadm")
	if !fx.Now.Equal(FixtureTime) {
		t.Errorf("fixture Now = %v, want %v", fx.Now, FixtureTime)
	}
}
