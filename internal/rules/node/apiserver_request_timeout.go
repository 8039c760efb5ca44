package node

import "github.com/kharden/kharden/internal/rule"

// APIServerRequestTimeout is KN-0025.
var APIServerRequestTimeout = &Rule{
	Meta: rule.Meta{
		ID:          "KN-0025",
		Slug:        "apiserver-request-timeout",
		Title:       "The API server's request timeout must be set deliberately",
		Severity:    rule.Info,
		Practices:   []string{"D3"},
		Rationale:   "The request timeout bounds how long a single request may hold API server resources; raising it for large clusters is fine, raising it far makes slow-request denial of service easier.",
		Remediation: "Keep kube-apiserver's --request-timeout at its default of 1m0s, or set it to what the cluster's largest lists need, and write down why.",
		References:  []string{"https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/"},
		Standards:   rule.Standards{CIS: []string{"1.2.20"}},
		Since:       "0.1.0",
		Default:     true,
	},
	Flags: []string{"1.2.20"},
}
