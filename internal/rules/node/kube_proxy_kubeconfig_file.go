package node

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

// KubeProxyKubeconfigFile is KN-0007.
var KubeProxyKubeconfigFile = &Rule{
	Meta: rule.Meta{
		ID:        "KN-0007",
		Slug:      "kube-proxy-kubeconfig-file",
		Title:     "kube-proxy's kubeconfig must be root-owned and readable by root only",
		Severity:  rule.Medium,
		Practices: []string{"A7"},
		Rationale: "kube-proxy's kubeconfig carries credentials that read every Service and EndpointSlice of the " +
			"cluster; a writable one can point kube-proxy at another API server and reroute Service traffic on the node.",
		Remediation: "chown root:root and chmod 600 the file kube-proxy's --kubeconfig (or its config's " +
			"clientConnection.kubeconfig) names. kube-proxy run as a DaemonSet with an in-cluster config has no such file.",
		References: []string{"https://kubernetes.io/docs/reference/command-line-tools-reference/kube-proxy/"},
		Standards:  rule.Standards{CIS: []string{"4.1.3", "4.1.4"}},
		Since:      "0.1.0",
		Default:    true,
		Changes:    []string{"0.2.0: root:root is judged by UID and GID 0 whatever the node's /etc/passwd and /etc/group say: a file owned by 0:0 on a root without them passes (it failed as \"owned by 0:0\")."},
	},
	Check: fileChecks(
		modeCheck("4.1.3", "kube-proxy's kubeconfig", 0o600, node.RoleProxyKubeconfig),
		ownerCheck("4.1.4", "kube-proxy's kubeconfig", "root:root", node.RoleProxyKubeconfig),
	),
}
