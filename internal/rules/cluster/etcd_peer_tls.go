package cluster

import "github.com/kharden/kharden/internal/rule"

// EtcdPeerTLS is KC-0035.
var EtcdPeerTLS = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0035",
		Slug:      "etcd-peer-tls",
		Title:     "etcd members must talk to each other over mutually authenticated TLS",
		Severity:  rule.High,
		Practices: []string{"D7"},
		Rationale: "etcd members replicate the whole cluster state to each other. Without peer TLS it crosses the " +
			"network readable; without peer client certificate authentication anyone who reaches the peer port " +
			"can join the cluster as a member and receive everything; auto-TLS peer certificates are verified by " +
			"nobody.",
		Remediation: "Give etcd --peer-cert-file and --peer-key-file from its own CA, --peer-client-cert-auth=true with " +
			"--peer-trusted-ca-file set to that CA, and remove --peer-auto-tls (or set it to false).",
		References: []string{
			"https://etcd.io/docs/latest/op-guide/security/",
		},
		Standards: rule.Standards{
			CIS: []string{"2.4", "2.5", "2.6"},
			NSA: []string{"Network separation and hardening: etcd"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: controlPlaneNeeds,
	Flags: []string{"2.4", "2.5", "2.6"},
}
