package cluster

import "github.com/kharden/kharden/internal/rule"

// APIServerTokenAuthFile is KC-0020.
var APIServerTokenAuthFile = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0020",
		Slug:      "apiserver-token-auth-file",
		Title:     "The API server must not authenticate with a static token file",
		Severity:  rule.High,
		Practices: []string{"D8"},
		Rationale: "Tokens in a --token-auth-file are long-lived bearer secrets in clear text on the control-plane " +
			"nodes: they cannot expire, cannot be revoked without restarting the API server, and nothing records " +
			"who holds them.",
		Remediation: "Remove --token-auth-file from the kube-apiserver manifest and authenticate people with client " +
			"certificates from a short-lived issuer or an OIDC provider, and workloads with service-account " +
			"tokens.",
		References: []string{
			"https://kubernetes.io/docs/reference/access-authn-authz/authentication/#static-token-file",
		},
		Standards: rule.Standards{
			CIS: []string{"1.2.2"},
			NSA: []string{"Authentication and authorization: authentication"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: controlPlaneNeeds,
	Flags: []string{"1.2.2"},
}
