package cluster

import "github.com/kharden/kharden/internal/rule"

// APIServerServiceAccountTokens is KC-0029.
var APIServerServiceAccountTokens = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0029",
		Slug:      "apiserver-service-account-tokens",
		Title:     "The API server must validate service-account tokens strictly",
		Severity:  rule.Medium,
		Practices: []string{"D8", "D11"},
		Rationale: "A service-account token must stop working when its service account is deleted " +
			"(--service-account-lookup), must be checked with a key the API server is given " +
			"(--service-account-key-file), and should expire when it says: " +
			"--service-account-extend-token-expiration makes tokens of an hour valid for a year.",
		Remediation: "In the kube-apiserver manifest, leave --service-account-lookup at true, set " +
			"--service-account-key-file to the public key of the signing key, and set " +
			"--service-account-extend-token-expiration=false once workloads reload their tokens (client libraries " +
			"of the last years do).",
		References: []string{
			"https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/",
			"https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/#bound-service-account-token-volume",
		},
		Standards: rule.Standards{
			CIS: []string{"1.2.21", "1.2.22", "1.2.30"},
			NSA: []string{"Kubernetes Pod security: protecting Pod service account tokens"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: controlPlaneNeeds,
	Flags: []string{"1.2.21", "1.2.22", "1.2.30"},
}
