package cluster

import (
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// RBACSubjectEscalateBind is KC-0008.
var RBACSubjectEscalateBind = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0008",
		Slug:      "rbac-subject-escalate-bind",
		Title:     "No subject may escalate or bind roles",
		Severity:  rule.Critical,
		Practices: []string{"D10"},
		Rationale: "RBAC stops a subject from granting permissions it does not hold, unless it has escalate on roles " +
			"(write a role with any permission) or bind (bind any role to anyone, cluster-admin included). Either " +
			"is a path to cluster-admin.",
		Remediation: "Remove escalate and bind (and \"*\" verbs) on roles and clusterroles from the subject's roles. " +
			"Where a controller must bind roles, restrict bind to the named roles with resourceNames.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#escalate-verb",
			"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#bind-verb",
			"https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping",
		},
		Standards: rule.Standards{
			CIS: []string{"5.1.8"},
			NSA: []string{"Authentication and authorization: role-based access control"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: rbacNeeds,
	// bind restricted by resourceNames to named roles does not count.
	Check: func(s *cluster.Snapshot) []rule.Finding {
		return permFindings(s, perms(rbacv1.GroupName, []string{"escalate", "bind"}, "roles", "clusterroles"))
	},
}
