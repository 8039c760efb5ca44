package cluster

import "github.com/kharden/kharden/internal/rule"

// APIServerAuditPolicy is KC-0024.
var APIServerAuditPolicy = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0024",
		Slug:      "apiserver-audit-policy",
		Title:     "The API server must have an audit policy",
		Severity:  rule.Medium,
		Practices: []string{"D12"},
		Rationale: "The audit policy decides which requests are recorded and how much of them. Without " +
			"--audit-policy-file the API server records nothing, whatever log or webhook is configured.",
		Remediation: "Write an audit Policy (at least Metadata level for everything, RequestResponse for RBAC and Secret " +
			"changes, never request bodies of Secrets and tokens) and pass it with --audit-policy-file.",
		References: []string{
			"https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#audit-policy",
		},
		Standards: rule.Standards{
			CIS: []string{"3.2.1"},
			NSA: []string{"Logging and threat detection: Kubernetes audit logging"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: controlPlaneNeeds,
	Flags: []string{"3.2.1"},
}
