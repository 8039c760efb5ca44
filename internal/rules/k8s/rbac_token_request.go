package k8s

import (
	"github.com/kharden/kharden/internal/rule"
)

// RBACTokenRequest is KM-0053.
var RBACTokenRequest = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0053",
		Slug:      "rbac-token-request",
		Title:     "Roles must not grant creating service-account tokens",
		Severity:  rule.High,
		Practices: []string{"D10"},
		Rationale: "create on serviceaccounts/token issues a token for any service account in the role's scope (a " +
			"TokenRequest, what kubectl create token does): the subject becomes each of those accounts, with all " +
			"they may do, without running a pod. In a ClusterRole it covers controllers' accounts in kube-system.",
		Remediation: "Remove create on serviceaccounts/token. Workloads get their own token through the projected " +
			"volume; where a component must issue tokens for one account (a secrets operator), grant it in that " +
			"namespace only, limited to that account with resourceNames.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#token-request",
			"https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/token-request-v1/",
		},
		Standards: rule.Standards{
			CIS: []string{"5.1.13"},
			NSA: []string{"Authentication and authorization: role-based access control"},
		},
		Since:   "0.2.0",
		Default: true,
	},
	// A rule limited by resourceNames (named service accounts) is the least privilege the
	// remediation recommends.
	Check: func(in *Input) []rule.Finding {
		return permFindings(in, tokenRequestPerms, permScope{})
	},
}

// tokenRequestPerms are the permission whose grant the rule reports, made once rather than for every object checked.
var tokenRequestPerms = rbacPerms("", []string{"create"}, "serviceaccounts/token")
