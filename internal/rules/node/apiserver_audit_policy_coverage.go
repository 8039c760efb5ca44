package node

import "github.com/kharden/kharden/internal/rule"

// APIServerAuditPolicyCoverage is KN-0028.
var APIServerAuditPolicyCoverage = &Rule{
	Meta: rule.Meta{
		ID:          "KN-0028",
		Slug:        "apiserver-audit-policy-coverage",
		Title:       "The audit policy must record security-relevant requests without logging secret content",
		Severity:    rule.Medium,
		Practices:   []string{"D12"},
		Rationale:   "An audit policy decides what an investigation can see: without exec, port-forward and changes to workloads it misses the attack, and at RequestResponse for Secrets, ConfigMaps or TokenReviews the audit log itself becomes a store of credentials.",
		Remediation: "Log Secrets, ConfigMaps and TokenReviews at Metadata, pods/exec, pods/attach, pods/portforward and proxies at Metadata or more, and changes to pods and controllers at Request or more; keep a catch-all Metadata rule at the end.",
		References:  []string{"https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#audit-policy"},
		Standards:   rule.Standards{CIS: []string{"3.2.2"}},
		Since:       "0.1.0",
		Default:     true,
	},
	Flags: []string{"3.2.2"},
}
