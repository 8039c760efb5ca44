package cluster

import "github.com/kharden/kharden/internal/rule"

// APIServerAuditLog is KC-0023.
var APIServerAuditLog = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0023",
		Slug:      "apiserver-audit-log",
		Title:     "The API server must write an audit log and keep it",
		Severity:  rule.Medium,
		Practices: []string{"D12"},
		Rationale: "The audit log is the only record of who did what through the API: without it an intrusion, a leaked " +
			"credential or a destructive mistake leaves no trace. Kept too briefly, it is gone before anyone " +
			"looks.",
		Remediation: "Set --audit-log-path (for example /var/log/kubernetes/audit/audit.log, on a mounted volume) with " +
			"--audit-log-maxage=30, --audit-log-maxbackup=10 and --audit-log-maxsize=100, or ship the log off the " +
			"node with --audit-log-path=- or an audit webhook.",
		References: []string{
			"https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#log-backend",
		},
		Standards: rule.Standards{
			CIS: []string{"1.2.16", "1.2.17", "1.2.18", "1.2.19"},
			NSA: []string{"Logging and threat detection: Kubernetes audit logging"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: controlPlaneNeeds,
	Flags: []string{"1.2.16", "1.2.17", "1.2.18", "1.2.19"},
}
