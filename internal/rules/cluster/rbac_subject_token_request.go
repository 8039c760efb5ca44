package cluster

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// RBACSubjectTokenRequest is KC-0039.
var RBACSubjectTokenRequest = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0039",
		Slug:      "rbac-subject-token-request",
		Title:     "Only the subjects that need it may create service-account tokens",
		Severity:  rule.High,
		Practices: []string{"D10"},
		Rationale: "create on serviceaccounts/token issues a token for any service account in the binding's scope " +
			"(kubectl create token): the subject becomes each of those accounts, with all they may do, without " +
			"running a pod. Bound cluster-wide it covers the controllers' accounts in kube-system.",
		Remediation: "Remove create on serviceaccounts/token from the subject's roles; where a component must issue " +
			"tokens for one account, grant it through a RoleBinding in that namespace, limited to the account with " +
			"resourceNames.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#token-request",
		},
		Standards: rule.Standards{
			CIS: []string{"5.1.13"},
			NSA: []string{"Authentication and authorization: role-based access control"},
		},
		Since:   "0.2.0",
		Default: true,
	},
	Needs: rbacNeeds,
	// A rule limited by resourceNames (named service accounts) does not count.
	Check: func(s *cluster.Snapshot) []rule.Finding {
		return permFindings(s, perms("", []string{"create"}, "serviceaccounts/token"))
	},
}
