package k8s

import (
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/internal/rbac"
	"github.com/kharden/kharden/internal/rule"
)

// DefaultServiceAccountBinding is KM-0057.
var DefaultServiceAccountBinding = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0057",
		Slug:      "default-service-account-binding",
		Title:     "Roles must not be bound to a namespace's default service account",
		Severity:  rule.Medium,
		Practices: []string{"D11"},
		Rationale: "Every pod that names no service account runs as its namespace's default one. A role bound to " +
			"it, for one workload's sake, goes to every other pod of the namespace, present and future, and audit " +
			"logs cannot tell them apart.",
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
		Since:   "0.2.0",
		Default: true,
	},
	// Any RoleBinding or ClusterRoleBinding counts, whatever its role grants, as in
	// kharden audit cluster (this rule replaces KC-0012 there). The user
	// system:serviceaccount:NS:default is that service account; the group
	// system:serviceaccounts:NS is not it, and is left to the other RBAC rules.
	Check: func(in *Input) []rule.Finding {
		var ref rbacv1.RoleRef
		var subjects []rbacv1.Subject
		where := "cluster-wide"
		switch b := in.Typed.(type) {
		case *rbacv1.ClusterRoleBinding:
			ref, subjects = b.RoleRef, b.Subjects
		case *rbacv1.RoleBinding:
			ref, subjects = b.RoleRef, b.Subjects
			where = "in its namespace"
			if b.Namespace != "" {
				where = fmt.Sprintf("in namespace %q", b.Namespace)
			}
		default:
			return nil
		}
		var out []rule.Finding
		for i, s := range subjects {
			subj := rbac.NormalizeSubject(s, in.Meta.Namespace)
			if subj.Kind != rbacv1.ServiceAccountKind || subj.Name != "default" {
				continue
			}
			who := subj.String()
			if subj.Namespace == "" {
				who = "ServiceAccount default of the binding's namespace"
			}
			out = append(out, finding(fmt.Sprintf("subjects[%d]", i), "%s is bound to %s %s %s", who, ref.Kind, ref.Name, where))
		}
		return out
	},
}
