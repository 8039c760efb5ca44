package node

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

// ControlPlaneManifestFiles is KN-0001.
var ControlPlaneManifestFiles = &Rule{
	Meta: rule.Meta{
		ID:        "KN-0001",
		Slug:      "control-plane-manifest-files",
		Title:     "Control-plane static pod manifests must be root-owned and readable by root only",
		Severity:  rule.High,
		Practices: []string{"A7"},
		Rationale: "The kubelet runs whatever the static pod manifests say, as the control plane, with host access. " +
			"Anyone who can write one of them can change the API server's flags (turn off authorization, add a token " +
			"file) or start a privileged pod on the control-plane node; anyone who can read them learns the paths of " +
			"keys and the shape of the control plane.",
		Remediation: "chown root:root and chmod 600 the manifests in the kubelet's static pod directory, by default " +
			"/etc/kubernetes/manifests/{kube-apiserver,kube-controller-manager,kube-scheduler,etcd}.yaml.",
		References: []string{"https://kubernetes.io/docs/tasks/configure-pod-container/static-pod/"},
		Standards:  rule.Standards{CIS: []string{"1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.1.5", "1.1.6", "1.1.7", "1.1.8"}},
		Since:      "0.1.0",
		Default:    true,
		Changes:    []string{"0.2.0: root:root is judged by UID and GID 0 whatever the node's /etc/passwd and /etc/group say: a file owned by 0:0 on a root without them passes (it failed as \"owned by 0:0\")."},
	},
	Check: fileChecks(
		modeCheck("1.1.1", "the API server's static pod manifest", 0o600, node.RoleAPIServerManifest),
		ownerCheck("1.1.2", "the API server's static pod manifest", "root:root", node.RoleAPIServerManifest),
		modeCheck("1.1.3", "the controller manager's static pod manifest", 0o600, node.RoleControllerManagerManifest),
		ownerCheck("1.1.4", "the controller manager's static pod manifest", "root:root", node.RoleControllerManagerManifest),
		modeCheck("1.1.5", "the scheduler's static pod manifest", 0o600, node.RoleSchedulerManifest),
		ownerCheck("1.1.6", "the scheduler's static pod manifest", "root:root", node.RoleSchedulerManifest),
		modeCheck("1.1.7", "etcd's static pod manifest", 0o600, node.RoleEtcdManifest),
		ownerCheck("1.1.8", "etcd's static pod manifest", "root:root", node.RoleEtcdManifest),
	),
}
