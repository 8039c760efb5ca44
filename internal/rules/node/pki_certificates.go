package node

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

// PKICertificates is KN-0040.
var PKICertificates = &Rule{
	Meta: rule.Meta{
		ID:        "KN-0040",
		Slug:      "pki-certificates",
		Title:     "The node's certificates must be valid for 30 days more, with strong keys and signatures",
		Severity:  rule.High,
		Practices: []string{"D6"},
		Rationale: "An expired certificate in /etc/kubernetes/pki stops the control plane: the API server, etcd and " +
			"the kubelets refuse each other's connections, often on the day after a year of uptime. A key or " +
			"signature too weak to trust lets whoever breaks it impersonate the component or the CA: RSA keys " +
			"below 2048 bits can be factored, and SHA-1 and MD5 signatures forged through hash collisions.",
		Remediation: "Renew certificates before they expire (kubeadm certs check-expiration, kubeadm certs renew, or " +
			"the kubelet's rotateCertificates and serverTLSBootstrap) and watch their expiry; reissue any certificate " +
			"with an RSA key below 2048 bits or a SHA-1 or MD5 signature with an RSA 2048+ or ECDSA P-256 key and a " +
			"SHA-256 signature, the CA first when it is the weak one.",
		References: []string{
			"https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-certs/",
			"https://kubernetes.io/docs/setup/best-practices/certificates/",
			"https://csrc.nist.gov/pubs/sp/800/131/a/r2/final",
		},
		Since:   "0.1.0",
		Default: true,
	},
	// Every certificate of the *.crt files under /etc/kubernetes/pki and of the kubelet's
	// client CA and serving certificate files gets a verdict, judged at Facts.Now: Fail
	// when it has expired or expires within renewWithin, has an RSA key below 2048 bits,
	// or a SHA-1 or MD5 signature; Pass with its expiry otherwise. A file that cannot be
	// read or does not parse, or a PKI directory that cannot be listed, is an Error; no
	// certificate at all is Skipped.
	Check: func(f *node.Facts) []Finding {
		var out []Finding
		for _, ff := range f.FilesFor(node.RolePKIDir) {
			if ff.Err != nil && !errors.Is(ff.Err, fs.ErrNotExist) {
				out = append(out, verdict(rule.Error, "", ff.Path, 0, "cannot list the certificates in it: %s", errText(ff.Err)))
			}
		}
		for _, c := range f.Certificates {
			out = append(out, certVerdict(c, f.Now))
		}
		if len(out) == 0 {
			return []Finding{verdict(rule.Skipped, "", "/etc/kubernetes/pki", 0,
				"no certificate on the node: no *.crt under it and the kubelet names no certificate file")}
		}
		return out
	},
}

// renewWithin is how long before its expiry a certificate fails.
const renewWithin = 30 * 24 * time.Hour

// weakSignatures are the signature algorithms whose hash is broken.
var weakSignatures = map[x509.SignatureAlgorithm]bool{
	x509.MD2WithRSA: true, x509.MD5WithRSA: true, x509.SHA1WithRSA: true,
	x509.DSAWithSHA1: true, x509.ECDSAWithSHA1: true,
}

// certVerdict judges one certificate at now.
func certVerdict(c node.CertFact, now time.Time) Finding {
	if c.Err != nil {
		status := rule.Error
		if errors.Is(c.Err, fs.ErrNotExist) {
			status = rule.Skipped
		}
		return verdict(status, "", c.Path, 0, "%scannot be checked: %s", certRole(c.Role), errText(c.Err))
	}
	x := c.Cert
	name := fmt.Sprintf("certificate %q", x.Subject)
	if x.IsCA {
		name = fmt.Sprintf("CA certificate %q", x.Subject)
	}
	if c.Count > 1 {
		name += fmt.Sprintf(" (%d of %d in the file)", c.Index, c.Count)
	}
	name = certRole(c.Role) + name
	expiry := x.NotAfter.UTC().Format(time.DateOnly)
	left := x.NotAfter.Sub(now)
	days := int(left / (24 * time.Hour))
	var bad []string
	switch {
	case left <= 0:
		bad = append(bad, fmt.Sprintf("expired on %s (%d days ago)", expiry, -days))
	case left < renewWithin:
		bad = append(bad, fmt.Sprintf("expires on %s, in %d days (renew within %d days of expiry)", expiry, days, int(renewWithin.Hours()/24)))
	}
	if x.KeyAlgorithm == "RSA" && x.KeyBits < 2048 {
		bad = append(bad, fmt.Sprintf("has a %d-bit RSA key (want 2048 bits or more)", x.KeyBits))
	}
	if weakSignatures[x.SignatureAlgorithm] {
		bad = append(bad, fmt.Sprintf("is signed with %s, a broken hash", x.SignatureAlgorithm))
	}
	if len(bad) > 0 {
		return verdict(rule.Fail, "", c.Path, 0, "%s %s", name, strings.Join(bad, "; "))
	}
	key := x.KeyAlgorithm
	switch {
	case x.Curve != "":
		key += " " + x.Curve
	case x.KeyBits > 0:
		key += fmt.Sprintf(" %d-bit", x.KeyBits)
	}
	return verdict(rule.Pass, "", c.Path, 0, "%s expires on %s (%d days left), %s key, %s signature",
		name, expiry, days, key, x.SignatureAlgorithm)
}

// certRole introduces a certificate file that is not under /etc/kubernetes/pki.
func certRole(r node.Role) string {
	switch r {
	case node.RoleKubeletClientCA:
		return "the kubelet's client CA file: "
	case node.RoleKubeletServingCert:
		return "the kubelet's serving certificate file: "
	}
	return ""
}
