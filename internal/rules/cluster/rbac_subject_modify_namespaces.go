package cluster

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// RBACSubjectModifyNamespaces is KC-0041.
var RBACSubjectModifyNamespaces = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0041",
		Slug:      "rbac-subject-modify-namespaces",
		Title:     "Only administrators may update or patch Namespaces",
		Severity:  rule.Medium,
		Practices: []string{"D10"},
		Rationale: "A Namespace's labels set its Pod Security level and often what network policies select. Whoever " +
			"may update or patch it can relabel it privileged and run privileged pods, or open traffic meant closed. " +
			"A RoleBinding grants this on its own namespace: the tenant can lift its own limits.",
		Remediation: "Leave Namespace changes to cluster administrators or the platform's provisioning; give tenants " +
			"read access to their Namespace.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#namespace-modification",
		},
		Standards: rule.Standards{
			NSA: []string{"Authentication and authorization: role-based access control"},
		},
		Since:   "0.2.0",
		Default: true,
	},
	Needs: rbacNeeds,
	// A RoleBinding counts: the authorizer checks a request on a Namespace object in that
	// namespace. A rule limited by resourceNames does not count.
	Check: func(s *cluster.Snapshot) []rule.Finding {
		return permFindings(s, perms("", []string{"update", "patch"}, "namespaces"))
	},
}
