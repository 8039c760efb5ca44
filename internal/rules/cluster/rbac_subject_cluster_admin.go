package cluster

import (
	"github.com/kharden/kharden/internal/rbac"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// RBACSubjectClusterAdmin is KC-0011.
var RBACSubjectClusterAdmin = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0011",
		Slug:      "rbac-subject-cluster-admin",
		Title:     "cluster-admin, or a role equal to it, must not be bound to users, groups or workloads",
		Severity:  rule.Critical,
		Practices: []string{"D10"},
		Rationale: "A role with every verb on every resource of every API group (cluster-admin, or any copy of it) " +
			"can do anything, including reading every Secret and granting itself to others. Bound to a person, a " +
			"stolen kubeconfig is a stolen cluster; bound to a workload's service account, a compromise of the " +
			"workload is a compromise of the cluster. Through a RoleBinding it is all of that within the namespace.",
		Remediation: "Bind the narrowest role that does the job (admin, edit or view in one namespace, or a " +
			"purpose-built ClusterRole); keep break-glass cluster-admin access outside day-to-day identities.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege",
			"https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles",
		},
		Standards: rule.Standards{
			CIS: []string{"5.1.1"},
			NSA: []string{"Authentication and authorization: role-based access control"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: rbacNeeds,
	// The role is judged by its rules, not its name: a rule with "*" verbs, API groups and
	// resources and no resourceNames is full control. The default cluster-admin binding to
	// system:masters and kubeadm's to kubeadm:cluster-admins are exempt (see subjects.go).
	Check: func(s *cluster.Snapshot) []rule.Finding {
		var out []rule.Finding
		for _, m := range matchBindings(s, func(g rbac.Grant) []string {
			if rbac.IsSuperUser(g.Rule.Rule) {
				return []string{"full control"}
			}
			return nil
		}) {
			out = append(out, m.findings(`has every verb on every resource ("*" on "*" in "*")`)...)
		}
		return out
	},
}
