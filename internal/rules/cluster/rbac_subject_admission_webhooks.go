package cluster

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// RBACSubjectAdmissionWebhooks is KC-0038.
var RBACSubjectAdmissionWebhooks = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0038",
		Slug:      "rbac-subject-admission-webhooks",
		Title:     "Only the subjects that need it may write admission webhooks or policies",
		Severity:  rule.High,
		Practices: []string{"D10"},
		Rationale: "Whoever writes a mutating or validating webhook configuration chooses where the API server sends " +
			"the objects it admits: a webhook of theirs reads every Secret and pod created, and a mutating one " +
			"rewrites them. Deleting a webhook or an admission policy switches off the checks it made.",
		Remediation: "Leave admission webhooks and policies to administrators and the admission controller's installer; " +
			"a controller that updates its own webhook (its CA bundle) needs update and patch on that configuration " +
			"only (resourceNames).",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#control-admission-webhooks",
		},
		Standards: rule.Standards{
			CIS: []string{"5.1.12"},
			NSA: []string{"Authentication and authorization: role-based access control"},
		},
		Since:   "0.2.0",
		Default: true,
	},
	Needs: rbacNeeds,
	// Create, update, patch, delete and deletecollection on webhook configurations and
	// admission policies and their bindings, all cluster-scoped; a rule limited by
	// resourceNames does not count.
	Check: func(s *cluster.Snapshot) []rule.Finding {
		return permFindings(s, clusterScoped(perms("admissionregistration.k8s.io",
			[]string{"create", "update", "patch", "delete", "deletecollection"},
			"mutatingwebhookconfigurations", "validatingwebhookconfigurations",
			"mutatingadmissionpolicies", "mutatingadmissionpolicybindings",
			"validatingadmissionpolicies", "validatingadmissionpolicybindings")))
	},
}
