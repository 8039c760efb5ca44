package cluster

import (
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// DefaultServiceAccountBound is KC-0012.
var DefaultServiceAccountBound = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0012",
		Slug:      "default-service-account-bound",
		Title:     "Default service accounts must not be bound to roles",
		Severity:  rule.Medium,
		Practices: []string{"D11"},
		Rationale: "Every pod that names no service account runs as its namespace's default one. A role bound to " +
			"it, for one workload's sake, goes to every other pod of the namespace, present and future, and audit " +
			"logs cannot tell them apart. Deprecated: KM-0057 (default-service-account-binding) reports the same " +
			"bindings, in kharden scan and kharden audit cluster alike; enable this rule only to keep its old ID.",
		Remediation: "Create a service account for the workload that needs the permissions, bind the role to it, and " +
			"set serviceAccountName in that workload's pod spec; then delete the binding to default.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/service-accounts/#default-service-accounts",
			"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege",
		},
		Standards: rule.Standards{
			CIS: []string{"5.1.5"},
			NSA: []string{"Kubernetes Pod security: protecting Pod service account tokens"},
		},
		Since: "0.1.0",
		// KM-0057 judges the same bindings, in kharden scan as here (the audit runs the
		// manifest rules on every binding it reads): two rules would report each twice.
		Deprecated: true,
		ReplacedBy: "KM-0057",
		Changes:    []string{"0.2.0: deprecated and off by default: default-service-account-binding (KM-0057) reports the same bindings in kharden scan and kharden audit cluster alike."},
	},
	Needs: []string{NeedRoleBindings, NeedClusterRoleBindings},
	// Any binding counts, whatever its role grants, in every namespace. Bindings to the
	// groups a default service account belongs to (system:serviceaccounts:NS) are not
	// bindings to it and are left to the other RBAC rules.
	Check: func(s *cluster.Snapshot) []rule.Finding {
		var out []rule.Finding
		for _, b := range rbacIndex(s).Bindings() {
			for i, subj := range b.Subjects {
				if subj.Kind != rbacv1.ServiceAccountKind || subj.Name != "default" {
					continue
				}
				out = append(out, finding(bindingObject(b), subjectPath(i), "%s is bound to %s %s",
					subj, b.Role, scopeText(b)))
			}
		}
		return out
	},
}
