package node

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

// PKIFiles is KN-0005.
var PKIFiles = &Rule{
	Meta: rule.Meta{
		ID:        "KN-0005",
		Slug:      "pki-files",
		Title:     "The Kubernetes PKI must be root-owned, with private keys readable by root only",
		Severity:  rule.Critical,
		Practices: []string{"A7", "D6"},
		Rationale: "/etc/kubernetes/pki holds the cluster CA's key, etcd's CA key and the service account signing " +
			"key. With any of them one mints credentials the cluster trusts: client certificates for system:masters, " +
			"tokens for any service account, peer certificates for etcd.",
		Remediation: "chown -R root:root /etc/kubernetes/pki; chmod 600 the *.key files and 644 or stricter the *.crt files.",
		References:  []string{"https://kubernetes.io/docs/setup/best-practices/certificates/"},
		Standards:   rule.Standards{CIS: []string{"1.1.19", "1.1.20", "1.1.21"}},
		Since:       "0.1.0",
		Default:     true,
		Changes:     []string{"0.2.0: root:root is judged by UID and GID 0 whatever the node's /etc/passwd and /etc/group say: a file owned by 0:0 on a root without them passes (it failed as \"owned by 0:0\")."},
	},
	Check: fileChecks(
		ownerCheck("1.1.19", "PKI file", "root:root", node.RolePKIDir, node.RolePKICert, node.RolePKIKey, node.RolePKIOther),
		modeCheck("1.1.20", "PKI certificate", 0o644, node.RolePKICert).in(node.RolePKIDir),
		modeCheck("1.1.21", "PKI private key", 0o600, node.RolePKIKey).in(node.RolePKIDir),
	),
}
