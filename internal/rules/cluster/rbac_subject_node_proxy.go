package cluster

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// RBACSubjectNodeProxy is KC-0036.
var RBACSubjectNodeProxy = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0036",
		Slug:      "rbac-subject-node-proxy",
		Title:     "No subject may reach the kubelet API through nodes/proxy",
		Severity:  rule.Critical,
		Practices: []string{"D10"},
		Rationale: "nodes/proxy reaches the kubelet API of a node, which runs commands in every container on it " +
			"(control-plane pods included on a control-plane node), bypassing admission control and the API " +
			"server's audit log. get is enough: exec goes over a WebSocket that the kubelet authorises with get.",
		Remediation: "Remove nodes/proxy from the subject's roles. Monitoring agents need nodes/metrics, nodes/stats " +
			"or, from Kubernetes v1.36, nodes/pods, nodes/healthz and nodes/configz, which do not run commands.",
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
	Needs: rbacNeeds,
	// Every verb the kubelet maps an HTTP method to counts, and a rule limited to named
	// nodes too. Nodes are cluster-scoped: only ClusterRoleBindings grant them.
	Check: func(s *cluster.Snapshot) []rule.Finding {
		ps := clusterScoped(perms("", []string{"get", "create", "update", "patch", "delete"}, "nodes/proxy"))
		for i := range ps {
			ps[i].named = true
		}
		return permFindings(s, ps)
	},
}
