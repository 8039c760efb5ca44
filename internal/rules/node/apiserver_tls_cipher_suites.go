package node

import "github.com/kharden/kharden/internal/rule"

// APIServerTLSCipherSuites is KN-0023.
var APIServerTLSCipherSuites = &Rule{
	Meta: rule.Meta{
		ID:          "KN-0023",
		Slug:        "apiserver-tls-cipher-suites",
		Title:       "The API server must accept only strong TLS cipher suites",
		Severity:    rule.Medium,
		Practices:   []string{"D6"},
		Rationale:   "Go's default cipher suites still include CBC suites with SHA-1 for TLS 1.2 clients; a client or a man in the middle that negotiates them gets weaker protection for tokens and Secrets in transit.",
		Remediation: "Set --tls-cipher-suites on kube-apiserver to the ECDHE suites with AES-GCM or ChaCha20-Poly1305, or --tls-min-version=VersionTLS13.",
		References:  []string{"https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/"},
		Standards:   rule.Standards{CIS: []string{"1.2.29"}},
		Since:       "0.1.0",
		Default:     true,
	},
	Flags: []string{"1.2.29"},
}
