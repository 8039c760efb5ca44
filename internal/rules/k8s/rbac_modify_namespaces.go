package k8s

import (
	"github.com/kharden/kharden/internal/rule"
)

// RBACModifyNamespaces is KM-0055.
var RBACModifyNamespaces = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0055",
		Slug:      "rbac-modify-namespaces",
		Title:     "Roles should not grant updating or patching Namespaces",
		Severity:  rule.Medium,
		Practices: []string{"D10"},
		Rationale: "A Namespace's labels set its Pod Security level (pod-security.kubernetes.io/enforce) and often " +
			"what network policies select. Whoever may update or patch it can relabel it privileged and run " +
			"privileged pods, or open traffic the administrators meant closed. A Role grants this on its own " +
			"namespace: the namespace's tenant can lift its own limits.",
		Remediation: "Leave Namespace changes to cluster administrators or the platform's provisioning; give tenants " +
			"read access to their Namespace. Where labels must be managed by a controller, restrict it with " +
			"resourceNames or a ValidatingAdmissionPolicy on the pod-security labels.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#namespace-modification",
			"https://kubernetes.io/docs/concepts/security/pod-security-admission/",
		},
		Standards: rule.Standards{
			NSA: []string{"Authentication and authorization: role-based access control"},
		},
		Since:   "0.2.0",
		Default: true,
	},
	// A Role counts: the authorizer checks a request on a Namespace object in that
	// namespace, so a RoleBinding grants it on the namespace it is in. A rule limited by
	// resourceNames is the least privilege the remediation recommends.
	Check: func(in *Input) []rule.Finding {
		return permFindings(in, namespaceWritePerms, permScope{})
	},
}

// namespaceWritePerms are the permissions whose grant the rule reports, made once rather than for every object checked.
var namespaceWritePerms = rbacPerms("", []string{"update", "patch"}, "namespaces")
