package cluster

import "github.com/kharden/kharden/internal/rule"

// ControllerManagerServiceAccountKeys is KC-0033.
var ControllerManagerServiceAccountKeys = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0033",
		Slug:      "controller-manager-service-account-keys",
		Title:     "The controller manager must sign tokens with a key and publish the cluster CA",
		Severity:  rule.Medium,
		Practices: []string{"D8", "D11"},
		Rationale: "The controller manager signs legacy service-account tokens with --service-account-private-key-file, " +
			"a key that must be the one the API server verifies and that can be rotated; --root-ca-file puts the " +
			"cluster CA in every namespace's kube-root-ca.crt, so pods can verify the API server instead of " +
			"trusting anyone.",
		Remediation: "Set --service-account-private-key-file to the private key whose public half the API server reads, " +
			"and --root-ca-file to the cluster CA, in the kube-controller-manager manifest.",
		References: []string{
			"https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/",
		},
		Standards: rule.Standards{
			CIS: []string{"1.3.4", "1.3.5"},
			NSA: []string{"Kubernetes Pod security: protecting Pod service account tokens"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: controlPlaneNeeds,
	Flags: []string{"1.3.4", "1.3.5"},
}
