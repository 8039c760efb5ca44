package node

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

// KubeletFiles is KN-0006.
var KubeletFiles = &Rule{
	Meta: rule.Meta{
		ID:        "KN-0006",
		Slug:      "kubelet-files",
		Title:     "The kubelet's unit, kubeconfig and config files must be root-owned and readable by root only",
		Severity:  rule.High,
		Practices: []string{"A7"},
		Rationale: "The kubelet's systemd unit and config file decide how it authenticates and authorizes callers " +
			"and which pods it trusts; its kubeconfig holds the node's credentials. Whoever can change the former " +
			"opens the kubelet's API to anyone; whoever can read the latter acts as the node.",
		Remediation: "chown root:root and chmod 600 the kubelet's unit file and drop-ins (e.g. " +
			"/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf), its --kubeconfig (/etc/kubernetes/kubelet.conf) " +
			"and its --config (/var/lib/kubelet/config.yaml).",
		References: []string{"https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/"},
		Standards:  rule.Standards{CIS: []string{"4.1.1", "4.1.2", "4.1.5", "4.1.6", "4.1.9", "4.1.10"}},
		Since:      "0.1.0",
		Default:    true,
		Changes:    []string{"0.2.0: root:root is judged by UID and GID 0 whatever the node's /etc/passwd and /etc/group say: a file owned by 0:0 on a root without them passes (it failed as \"owned by 0:0\")."},
	},
	Check: fileChecks(
		modeCheck("4.1.1", "the kubelet's unit file", 0o600, node.RoleKubeletService, node.RoleKubeletServiceDropIn),
		ownerCheck("4.1.2", "the kubelet's unit file", "root:root", node.RoleKubeletService, node.RoleKubeletServiceDropIn),
		modeCheck("4.1.5", "the kubelet's kubeconfig", 0o600, node.RoleKubeletKubeconfig),
		ownerCheck("4.1.6", "the kubelet's kubeconfig", "root:root", node.RoleKubeletKubeconfig),
		modeCheck("4.1.9", "the kubelet's config file", 0o600, node.RoleKubeletConfig),
		ownerCheck("4.1.10", "the kubelet's config file", "root:root", node.RoleKubeletConfig),
	),
}
