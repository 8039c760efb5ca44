package cluster

import "github.com/kharden/kharden/internal/rule"

// APIServerAnonymousAuth is KC-0019.
var APIServerAnonymousAuth = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0019",
		Slug:      "apiserver-anonymous-auth",
		Title:     "The API server must not accept anonymous requests",
		Severity:  rule.High,
		Practices: []string{"D8"},
		Rationale: "With anonymous authentication on, every request without credentials is served as system:anonymous in " +
			"the group system:unauthenticated. Whatever RBAC grants those, by mistake or by an add-on, is open to " +
			"anyone who can reach the API server's port, and the endpoints stay a target for unauthenticated " +
			"vulnerabilities.",
		Remediation: "Set --anonymous-auth=false in the kube-apiserver static pod manifest " +
			"(/etc/kubernetes/manifests/kube-apiserver.yaml). If load balancers need unauthenticated health " +
			"checks, use an --authentication-config file whose anonymous authenticator is enabled only for " +
			"/livez, /readyz and /healthz (Kubernetes v1.32 and later) instead.",
		References: []string{
			"https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests",
		},
		Standards: rule.Standards{
			CIS: []string{"1.2.1"},
			NSA: []string{"Authentication and authorization: authentication"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: controlPlaneNeeds,
	Flags: []string{"1.2.1"},
}
