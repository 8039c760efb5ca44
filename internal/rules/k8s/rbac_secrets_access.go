package k8s

import (
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/internal/rule"
)

// RBACSecretsAccess is KM-0030.
var RBACSecretsAccess = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0030",
		Slug:      "rbac-secrets-access",
		Title:     "Roles must not grant reading Secrets",
		Severity:  rule.High,
		Practices: []string{"D10"},
		Rationale: "Reading Secrets yields every credential in their scope: service-account tokens, registry and " +
			"database passwords, TLS keys. With list or watch a subject gets all of them at once, usually enough " +
			"to move to other workloads or outside the cluster, and in a ClusterRole it covers every namespace.",
		Remediation: "Mount the Secrets a workload needs instead of reading them through the API. Where API access is " +
			"really needed, grant get on named Secrets only (resourceNames) in a namespaced Role, never list or " +
			"watch, and never through \"*\".",
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
	// A rule limited by resourceNames is left alone: get on named Secrets is the least
	// privilege the rule's remediation recommends.
	Check: func(in *Input) []rule.Finding {
		var out []rule.Finding
		for i, r := range policyRules(in) {
			if len(r.ResourceNames) > 0 || !ruleGroupMatches(&r, "") {
				continue
			}
			verbs := ruleVerbs(&r, "get", "list", "watch")
			if len(verbs) == 0 {
				continue
			}
			for j, res := range r.Resources {
				switch res {
				case "secrets":
					out = append(out, finding(rulePath(i, "resources", j), "rules[%d] grants %s on secrets", i, verbList(verbs)))
				case rbacv1.ResourceAll:
					out = append(out, finding(rulePath(i, "resources", j), "rules[%d] grants %s on every resource, secrets included",
						i, verbList(verbs)))
				}
			}
		}
		return out
	},
}
