package cluster

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// RBACSubjectSecretsRead is KC-0005.
var RBACSubjectSecretsRead = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0005",
		Slug:      "rbac-subject-secrets-read",
		Title:     "Only the subjects that need it may read Secrets",
		Severity:  rule.High,
		Practices: []string{"D10"},
		Rationale: "Reading Secrets yields every credential in their scope: service-account tokens, registry and " +
			"database passwords, TLS keys. With list or watch a subject gets all of them at once; bound cluster-wide " +
			"it gets those of every namespace, usually enough to act as other workloads or leave the cluster.",
		Remediation: "Remove get, list and watch on secrets from the subject's roles, or narrow them: mount the Secrets " +
			"a workload needs instead of reading them through the API, and where API access is needed grant get on " +
			"named Secrets (resourceNames) through a RoleBinding in one namespace.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#listing-secrets",
			"https://kubernetes.io/docs/concepts/security/secrets-good-practices/#least-privilege-secrets",
		},
		Standards: rule.Standards{
			CIS: []string{"5.1.2"},
			NSA: []string{"Authentication and authorization: role-based access control"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: rbacNeeds,
	// A rule limited by resourceNames does not count: get on named Secrets is the least
	// privilege the remediation recommends.
	Check: func(s *cluster.Snapshot) []rule.Finding {
		return permFindings(s, perms("", []string{"get", "list", "watch"}, "secrets"))
	},
}
