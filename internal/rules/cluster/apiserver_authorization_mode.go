package cluster

import "github.com/kharden/kharden/internal/rule"

// APIServerAuthorizationMode is KC-0021.
var APIServerAuthorizationMode = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0021",
		Slug:      "apiserver-authorization-mode",
		Title:     "The API server must authorize with Node and RBAC, never AlwaysAllow",
		Severity:  rule.Critical,
		Practices: []string{"D9"},
		Rationale: "AlwaysAllow, the default when --authorization-mode is not set, lets every authenticated request do " +
			"anything. RBAC is what every role and binding in the cluster relies on, and the Node authorizer " +
			"limits each kubelet to the objects of its own pods, so a stolen node credential does not expose the " +
			"whole cluster.",
		Remediation: "Set --authorization-mode=Node,RBAC in the kube-apiserver manifest (or list Node and RBAC " +
			"authorizers, and no AlwaysAllow, in the --authorization-config file).",
		References: []string{
			"https://kubernetes.io/docs/reference/access-authn-authz/authorization/#authorization-modules",
			"https://kubernetes.io/docs/reference/access-authn-authz/node/",
		},
		Standards: rule.Standards{
			CIS: []string{"1.2.6", "1.2.7", "1.2.8"},
			NSA: []string{"Authentication and authorization: role-based access control"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: controlPlaneNeeds,
	Flags: []string{"1.2.6", "1.2.7", "1.2.8"},
}
