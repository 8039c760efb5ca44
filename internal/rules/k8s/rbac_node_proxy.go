package k8s

import (
	"github.com/kharden/kharden/internal/rule"
)

// RBACNodeProxy is KM-0050.
var RBACNodeProxy = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0050",
		Slug:      "rbac-node-proxy",
		Title:     "ClusterRoles must not grant access to the nodes/proxy subresource",
		Severity:  rule.Critical,
		Practices: []string{"D10"},
		Rationale: "nodes/proxy reaches the kubelet API of a node, which runs commands in every container on it " +
			"(control-plane pods included on a control-plane node), bypassing admission control and the API " +
			"server's audit log. It is not read-only: exec goes over a WebSocket that the kubelet authorises with get.",
		Remediation: "Remove nodes/proxy from the role. Monitoring agents that read metrics or pods from the kubelet " +
			"need nodes/metrics, nodes/stats or, from Kubernetes v1.36, nodes/pods, nodes/healthz and nodes/configz, " +
			"which do not run commands.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#access-to-proxy-subresource-of-nodes",
			"https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/",
		},
		Standards: rule.Standards{
			CIS: []string{"5.1.10"},
			NSA: []string{"Authentication and authorization: role-based access control"},
		},
		Since:   "0.2.0",
		Default: true,
	},
	// Every verb the kubelet maps an HTTP method to counts (get, create, update, patch,
	// delete), and a rule limited to named nodes too: each is every pod on that node. A Role
	// cannot grant it, nodes being cluster-scoped.
	Check: func(in *Input) []rule.Finding {
		return permFindings(in, nodeProxyPerms,
			permScope{cluster: true, named: true})
	},
}

// nodeProxyPerms are the permissions whose grant the rule reports, made once rather than for every object checked.
var nodeProxyPerms = rbacPerms("", []string{"get", "create", "update", "patch", "delete"}, "nodes/proxy")
