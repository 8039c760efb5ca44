package cluster

import "github.com/kharden/kharden/internal/rule"

// ControllerManagerServiceAccountCredentials is KC-0032.
var ControllerManagerServiceAccountCredentials = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0032",
		Slug:      "controller-manager-service-account-credentials",
		Title:     "Each controller must use its own service account",
		Severity:  rule.Medium,
		Practices: []string{"D10"},
		Rationale: "Without --use-service-account-credentials every controller acts with the controller manager's own, " +
			"broad credentials: RBAC cannot hold each controller to what it needs, and the audit log cannot tell " +
			"them apart.",
		Remediation: "Set --use-service-account-credentials=true in the kube-controller-manager manifest; the default RBAC " +
			"policy has a role for each controller's service account in kube-system.",
		References: []string{
			"https://kubernetes.io/docs/reference/access-authn-authz/rbac/#controller-roles",
		},
		Standards: rule.Standards{
			CIS: []string{"1.3.3"},
			NSA: []string{"Authentication and authorization: role-based access control"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: controlPlaneNeeds,
	Flags: []string{"1.3.3"},
}
