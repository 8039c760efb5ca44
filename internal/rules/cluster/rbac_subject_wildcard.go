package cluster

import (
	"strings"

	"github.com/kharden/kharden/internal/rbac"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// RBACSubjectWildcard is KC-0010.
var RBACSubjectWildcard = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0010",
		Slug:      "rbac-subject-wildcard",
		Title:     "No subject may hold wildcard RBAC rules",
		Severity:  rule.Medium,
		Practices: []string{"D10"},
		Rationale: "\"*\" in verbs, API groups or resources grants more than anyone reviewed: every verb includes " +
			"escalate, bind and impersonate; every resource includes Secrets and pods/exec; and the grant widens by " +
			"itself when a new API, custom resource or subresource is installed.",
		Remediation: "Replace each wildcard with the verbs, API groups and resources the subject uses (the API " +
			"server's audit log shows them); keep wildcards to cluster-admin, bound only to break-glass identities.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege",
		},
		Standards: rule.Standards{
			CIS: []string{"5.1.3"},
			NSA: []string{"Authentication and authorization: role-based access control"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: rbacNeeds,
	// "*/SUB" in resources counts as a wildcard (every resource's SUB subresource);
	// "pods/*" does not, RBAC reads it literally.
	Check: func(s *cluster.Snapshot) []rule.Finding {
		var out []rule.Finding
		for _, m := range matchBindings(s, func(g rbac.Grant) []string { return rbac.HasWildcard(g.Rule.Rule) }) {
			out = append(out, m.findings(`holds "*" in `+strings.Join(m.what, ", "))...)
		}
		return out
	},
}
