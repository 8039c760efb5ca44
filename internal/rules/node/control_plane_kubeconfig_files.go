package node

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

// ControlPlaneKubeconfigFiles is KN-0004.
var ControlPlaneKubeconfigFiles = &Rule{
	Meta: rule.Meta{
		ID:        "KN-0004",
		Slug:      "control-plane-kubeconfig-files",
		Title:     "Control-plane kubeconfig files must be root-owned and readable by root only",
		Severity:  rule.Critical,
		Practices: []string{"A7"},
		Rationale: "admin.conf and super-admin.conf hold cluster-admin credentials (super-admin.conf bypasses RBAC " +
			"through system:masters); the scheduler's and controller manager's kubeconfigs hold the credentials of " +
			"components that can read every Secret and create pods anywhere. A readable copy is the cluster.",
		Remediation: "chown root:root and chmod 600 /etc/kubernetes/admin.conf, super-admin.conf, scheduler.conf and " +
			"controller-manager.conf (or the files the components' --kubeconfig flags name).",
		References: []string{"https://kubernetes.io/docs/setup/best-practices/certificates/#configure-certificates-for-user-accounts"},
		Standards:  rule.Standards{CIS: []string{"1.1.13", "1.1.14", "1.1.15", "1.1.16", "1.1.17", "1.1.18"}},
		Since:      "0.1.0",
		Default:    true,
		Changes:    []string{"0.2.0: root:root is judged by UID and GID 0 whatever the node's /etc/passwd and /etc/group say: a file owned by 0:0 on a root without them passes (it failed as \"owned by 0:0\")."},
	},
	Check: fileChecks(
		modeCheck("1.1.13", "the administrator kubeconfig", 0o600, node.RoleAdminConf, node.RoleSuperAdminConf),
		ownerCheck("1.1.14", "the administrator kubeconfig", "root:root", node.RoleAdminConf, node.RoleSuperAdminConf),
		modeCheck("1.1.15", "the scheduler's kubeconfig", 0o600, node.RoleSchedulerKubeconfig),
		ownerCheck("1.1.16", "the scheduler's kubeconfig", "root:root", node.RoleSchedulerKubeconfig),
		modeCheck("1.1.17", "the controller manager's kubeconfig", 0o600, node.RoleControllerManagerConfig),
		ownerCheck("1.1.18", "the controller manager's kubeconfig", "root:root", node.RoleControllerManagerConfig),
	),
}
