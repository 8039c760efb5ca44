package node

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

// KubeletClientCAFile is KN-0008.
var KubeletClientCAFile = &Rule{
	Meta: rule.Meta{
		ID:        "KN-0008",
		Slug:      "kubelet-client-ca-file",
		Title:     "The CA file the kubelet trusts for clients must be root-owned and not writable by others",
		Severity:  rule.High,
		Practices: []string{"A7", "D8"},
		Rationale: "The kubelet accepts any client certificate signed by a CA in its client CA file. Whoever can " +
			"add a CA there can sign a certificate and use the kubelet's API: exec into every pod on the node.",
		Remediation: "chown root:root and chmod 644 (or stricter) the file the kubelet's --client-ca-file or " +
			"authentication.x509.clientCAFile names (kubeadm: /etc/kubernetes/pki/ca.crt).",
		References: []string{"https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/"},
		Standards:  rule.Standards{CIS: []string{"4.1.7", "4.1.8"}},
		Since:      "0.1.0",
		Default:    true,
		Changes:    []string{"0.2.0: root:root is judged by UID and GID 0 whatever the node's /etc/passwd and /etc/group say: a file owned by 0:0 on a root without them passes (it failed as \"owned by 0:0\")."},
	},
	Check: fileChecks(
		modeCheck("4.1.7", "the kubelet's client CA file", 0o644, node.RoleKubeletClientCA),
		ownerCheck("4.1.8", "the kubelet's client CA file", "root:root", node.RoleKubeletClientCA),
	),
}
