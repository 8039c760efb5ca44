package k8s

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/internal/rule"
)

// ClusterAdminBinding is KM-0034.
var ClusterAdminBinding = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0034",
		Slug:      "cluster-admin-binding",
		Title:     "cluster-admin must not be bound to users, groups or workload service accounts",
		Severity:  rule.Critical,
		Practices: []string{"D10"},
		Rationale: "cluster-admin can do anything to any object in any namespace, including reading every Secret and " +
			"granting itself to others. Bound to a person it turns a stolen kubeconfig into a stolen cluster; bound " +
			"to a workload's service account, any compromise of that workload is a cluster compromise.",
		Remediation: "Bind the narrowest role that does the job (admin, edit or view in a namespace, or a purpose-built " +
			"ClusterRole); keep break-glass cluster-admin access outside day-to-day identities.",
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
	// Kubernetes' own subjects (names starting with "system:", service accounts in
	// kube-system) are left alone, except the groups that stand for many identities at
	// once: system:authenticated, system:unauthenticated, system:anonymous and the
	// system:serviceaccounts groups outside kube-system, which are reported.
	Check: func(in *Input) []rule.Finding {
		var ref rbacv1.RoleRef
		var subjects []rbacv1.Subject
		where := ""
		switch b := in.Typed.(type) {
		case *rbacv1.ClusterRoleBinding:
			ref, subjects = b.RoleRef, b.Subjects
		case *rbacv1.RoleBinding:
			ref, subjects = b.RoleRef, b.Subjects
			if b.Namespace != "" {
				where = fmt.Sprintf(" in namespace %q", b.Namespace)
			}
		default:
			return nil
		}
		if ref.Kind != "ClusterRole" || ref.Name != "cluster-admin" {
			return nil
		}
		var out []rule.Finding
		for i, s := range subjects {
			system, note := systemSubject(s, in.Meta.Namespace)
			if system {
				continue
			}
			out = append(out, finding(fmt.Sprintf("subjects[%d]", i), "%s grants cluster-admin%s to %s%s",
				in.Object.Kind, where, describeSubject(s, in.Meta.Namespace), note))
		}
		return out
	},
}

// systemSubject tells whether a subject is one of Kubernetes' own identities; note
// explains, for a message, why a system: name is not.
func systemSubject(s rbacv1.Subject, bindingNamespace string) (system bool, note string) {
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		ns := s.Namespace
		if ns == "" {
			ns = bindingNamespace
		}
		return ns == "kube-system", ""
	case rbacv1.UserKind:
		if rest, ok := strings.CutPrefix(s.Name, "system:serviceaccount:"); ok {
			ns, _, _ := strings.Cut(rest, ":")
			return ns == "kube-system", ""
		}
		if s.Name == "system:anonymous" {
			return false, " (every unauthenticated request)"
		}
		return strings.HasPrefix(s.Name, "system:"), ""
	case rbacv1.GroupKind:
		switch s.Name {
		case "system:authenticated":
			return false, " (every authenticated user and service account)"
		case "system:unauthenticated":
			return false, " (every unauthenticated request)"
		case "system:serviceaccounts":
			return false, " (every service account)"
		}
		if ns, ok := strings.CutPrefix(s.Name, "system:serviceaccounts:"); ok {
			if ns == "kube-system" {
				return true, ""
			}
			return false, fmt.Sprintf(" (every service account in namespace %q)", ns)
		}
		return strings.HasPrefix(s.Name, "system:"), ""
	}
	return false, ""
}

func describeSubject(s rbacv1.Subject, bindingNamespace string) string {
	if s.Kind == rbacv1.ServiceAccountKind {
		ns := s.Namespace
		if ns == "" {
			ns = bindingNamespace
		}
		if ns == "" {
			return fmt.Sprintf("ServiceAccount %q", s.Name)
		}
		return fmt.Sprintf("ServiceAccount %s/%s", ns, s.Name)
	}
	return fmt.Sprintf("%s %q", s.Kind, s.Name)
}
