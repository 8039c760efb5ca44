package node

import (
	"crypto/x509"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

func TestPKICertificates(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	good := node.Certificate{Subject: "kube-apiserver", Issuer: "kubernetes", NotAfter: now.AddDate(1, 0, 0),
		KeyAlgorithm: "RSA", KeyBits: 2048, SignatureAlgorithm: x509.SHA256WithRSA}
	with := func(edit func(*node.Certificate)) node.Certificate { c := good; edit(&c); return c }
	cert := func(p string, c node.Certificate) node.CertFact {
		return node.CertFact{Role: node.RolePKICert, Path: p, Index: 1, Count: 1, Line: 1, Cert: c}
	}
	pkiDir := node.FileFact{Role: node.RolePKIDir, Path: "/etc/kubernetes/pki", File: node.File{Dir: true}}
	for _, tc := range []struct {
		name  string
		files []node.FileFact
		certs []node.CertFact
		want  []string // status file: message part
	}{
		{"valid RSA", nil, []node.CertFact{cert("/p/a.crt", good)},
			[]string{`pass /p/a.crt: certificate "kube-apiserver" expires on 2027-01-01 (365 days left), RSA 2048-bit key, SHA256-RSA signature`}},
		{"valid ECDSA CA", nil, []node.CertFact{cert("/p/ca.crt", with(func(c *node.Certificate) {
			c.Subject, c.IsCA, c.KeyAlgorithm, c.KeyBits, c.Curve, c.SignatureAlgorithm = "kubernetes", true, "ECDSA", 256, "P-256", x509.ECDSAWithSHA256
		}))}, []string{`pass /p/ca.crt: CA certificate "kubernetes" expires on 2027-01-01 (365 days left), ECDSA P-256 key, ECDSA-SHA256 signature`}},
		{"expired", nil, []node.CertFact{cert("/p/a.crt", with(func(c *node.Certificate) { c.NotAfter = now.AddDate(0, 0, -10) }))},
			[]string{`fail /p/a.crt: certificate "kube-apiserver" expired on 2025-12-22 (10 days ago)`}},
		{"expires at now", nil, []node.CertFact{cert("/p/a.crt", with(func(c *node.Certificate) { c.NotAfter = now }))},
			[]string{`fail /p/a.crt: certificate "kube-apiserver" expired on 2026-01-01 (0 days ago)`}},
		{"expires within 30 days", nil, []node.CertFact{cert("/p/a.crt", with(func(c *node.Certificate) { c.NotAfter = now.AddDate(0, 0, 29) }))},
			[]string{`fail /p/a.crt: certificate "kube-apiserver" expires on 2026-01-30, in 29 days`}},
		{"expires in 31 days", nil, []node.CertFact{cert("/p/a.crt", with(func(c *node.Certificate) { c.NotAfter = now.AddDate(0, 0, 31) }))},
			[]string{`pass /p/a.crt: certificate "kube-apiserver" expires on 2026-02-01 (31 days left)`}},
		{"RSA 1024", nil, []node.CertFact{cert("/p/a.crt", with(func(c *node.Certificate) { c.KeyBits = 1024 }))},
			[]string{`fail /p/a.crt: certificate "kube-apiserver" has a 1024-bit RSA key (want 2048 bits or more)`}},
		{"SHA-1", nil, []node.CertFact{cert("/p/a.crt", with(func(c *node.Certificate) { c.SignatureAlgorithm = x509.SHA1WithRSA }))},
			[]string{`fail /p/a.crt: certificate "kube-apiserver" is signed with SHA1-RSA, a broken hash`}},
		{"MD5", nil, []node.CertFact{cert("/p/a.crt", with(func(c *node.Certificate) { c.SignatureAlgorithm = x509.MD5WithRSA }))},
			[]string{`fail /p/a.crt: certificate "kube-apiserver" is signed with MD5-RSA`}},
		{"all wrong, in a bundle", nil, []node.CertFact{{Role: node.RolePKICert, Path: "/p/b.crt", Index: 2, Count: 2,
			Cert: with(func(c *node.Certificate) {
				c.NotAfter, c.KeyBits, c.SignatureAlgorithm = now.AddDate(-1, 0, 0), 512, x509.SHA1WithRSA
			})}},
			[]string{`fail /p/b.crt: certificate "kube-apiserver" (2 of 2 in the file) expired on 2025-01-01 (365 days ago); has a 512-bit RSA key (want 2048 bits or more); is signed with SHA1-RSA`}},
		{"ECDSA key is not judged by bits", nil, []node.CertFact{cert("/p/a.crt", with(func(c *node.Certificate) {
			c.KeyAlgorithm, c.KeyBits, c.Curve = "ECDSA", 256, "P-256"
		}))}, []string{`pass /p/a.crt: certificate "kube-apiserver" expires`}},
		{"kubelet serving certificate", nil, []node.CertFact{{Role: node.RoleKubeletServingCert, Path: "/var/lib/kubelet/pki/kubelet.crt", Cert: good}},
			[]string{`pass /var/lib/kubelet/pki/kubelet.crt: the kubelet's serving certificate file: certificate "kube-apiserver" expires`}},
		{"does not parse", nil, []node.CertFact{{Role: node.RolePKICert, Path: "/p/x.crt",
			Err: node.FileError{Path: "/p/x.crt", Err: fmt.Errorf("certificate at line 1: x509: malformed certificate")}}},
			[]string{`error /p/x.crt: cannot be checked: /p/x.crt: certificate at line 1: x509: malformed certificate`}},
		{"unreadable", nil, []node.CertFact{{Role: node.RolePKICert, Path: "/p/x.crt", Err: node.FileError{Path: "/p/x.crt", Err: fs.ErrPermission}}},
			[]string{`error /p/x.crt: cannot be checked: /p/x.crt: permission denied`}},
		{"client CA missing", nil, []node.CertFact{{Role: node.RoleKubeletClientCA, Path: "/etc/kubelet/ca.pem", Err: node.FileError{Path: "/etc/kubelet/ca.pem", Err: fs.ErrNotExist}}},
			[]string{`skipped /etc/kubelet/ca.pem: the kubelet's client CA file: cannot be checked: /etc/kubelet/ca.pem: file does not exist`}},
		{"PKI directory unreadable", []node.FileFact{{Role: node.RolePKIDir, Path: "/etc/kubernetes/pki", Err: node.FileError{Path: "/etc/kubernetes/pki", Err: fs.ErrPermission}}}, nil,
			[]string{`error /etc/kubernetes/pki: cannot list the certificates in it: /etc/kubernetes/pki: permission denied`}},
		{"no PKI", []node.FileFact{{Role: node.RolePKIDir, Path: "/etc/kubernetes/pki", Err: node.FileError{Path: "/etc/kubernetes/pki", Err: fs.ErrNotExist}}}, nil,
			[]string{`skipped /etc/kubernetes/pki: no certificate on the node`}},
		{"empty PKI directory", []node.FileFact{pkiDir}, nil, []string{`skipped /etc/kubernetes/pki: no certificate`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := PKICertificates.Check(&node.Facts{Now: now, Files: tc.files, Certificates: tc.certs})
			if len(got) != len(tc.want) {
				t.Fatalf("got %d findings, want %d: %v", len(got), len(tc.want), got)
			}
			for i, f := range got {
				if f.Line != 0 || f.Control != "" {
					t.Errorf("finding %d: line %d, control %q; want neither", i, f.Line, f.Control)
				}
				if s := fmt.Sprintf("%s %s: %s", f.Status, f.File, f.Message); !strings.HasPrefix(s, tc.want[i]) {
					t.Errorf("finding %d:\n got %s\nwant %s...", i, s, tc.want[i])
				}
			}
		})
	}
	if PKICertificates.Severity != rule.High {
		t.Errorf("severity %s", PKICertificates.Severity)
	}
}
