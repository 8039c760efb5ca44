package cluster

import "github.com/kharden/kharden/internal/rule"

// APIServerServingTLS is KC-0025.
var APIServerServingTLS = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0025",
		Slug:      "apiserver-serving-tls",
		Title:     "The API server must serve TLS with its own certificate and verify client certificates",
		Severity:  rule.High,
		Practices: []string{"D6"},
		Rationale: "Without --tls-cert-file and --tls-private-key-file the API server serves a self-signed certificate " +
			"it makes up at start, which clients cannot verify, inviting them to skip verification. Without " +
			"--client-ca-file no client certificate is accepted, and the components fall back to weaker " +
			"credentials.",
		Remediation: "Set --tls-cert-file and --tls-private-key-file to a certificate from the cluster CA, and " +
			"--client-ca-file to the CA that signs client certificates, in the kube-apiserver manifest.",
		References: []string{
			"https://kubernetes.io/docs/setup/best-practices/certificates/",
		},
		Standards: rule.Standards{
			CIS: []string{"1.2.24", "1.2.25"},
			NSA: []string{"Network separation and hardening: control plane hardening"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: controlPlaneNeeds,
	Flags: []string{"1.2.24", "1.2.25"},
}
