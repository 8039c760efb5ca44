package k8s

import (
	"github.com/kharden/kharden/internal/rule"
)

// RBACAdmissionWebhooks is KM-0052.
var RBACAdmissionWebhooks = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0052",
		Slug:      "rbac-admission-webhooks",
		Title:     "ClusterRoles must not grant writing admission webhooks or policies",
		Severity:  rule.High,
		Practices: []string{"D10"},
		Rationale: "Whoever writes a mutating or validating webhook configuration chooses where the API server sends " +
			"the objects it admits: a webhook of theirs reads every Secret and pod created, and a mutating one " +
			"rewrites them (a privileged container, another service account). Deleting a webhook or an admission " +
			"policy switches off the checks it made.",
		Remediation: "Leave admission webhooks and policies to the cluster's administrators and the installer of the " +
			"admission controller; where a controller must update its own webhook (its CA bundle), grant update and " +
			"patch on that configuration only, with resourceNames.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#control-admission-webhooks",
			"https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/",
		},
		Standards: rule.Standards{
			CIS: []string{"5.1.12"},
			NSA: []string{"Authentication and authorization: role-based access control"},
		},
		Since:   "0.2.0",
		Default: true,
	},
	// Writing is create, update, patch, delete and deletecollection, on webhook
	// configurations and on admission policies and their bindings (which, being
	// CEL, cannot read objects out, but can switch checks off or, mutating, rewrite pods).
	// A rule limited by resourceNames is the least privilege the remediation recommends.
	Check: func(in *Input) []rule.Finding {
		return permFindings(in, admissionWritePerms, permScope{cluster: true})
	},
}

// admissionWritePerms are the permissions whose grant the rule reports (writing admission
// configurations and policies), made once rather than for every object checked.
var admissionWritePerms = rbacPerms("admissionregistration.k8s.io", []string{"create", "update", "patch", "delete", "deletecollection"}, admissionResources...)

// admissionResources are the admission webhook configurations and admission policies.
var admissionResources = []string{
	"mutatingwebhookconfigurations", "validatingwebhookconfigurations",
	"mutatingadmissionpolicies", "mutatingadmissionpolicybindings",
	"validatingadmissionpolicies", "validatingadmissionpolicybindings",
}
