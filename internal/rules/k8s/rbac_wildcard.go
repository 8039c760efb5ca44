package k8s

import (
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/internal/rule"
)

// RBACWildcard is KM-0029.
var RBACWildcard = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0029",
		Slug:      "rbac-wildcard",
		Title:     "Roles must not grant wildcard API groups, resources or verbs",
		Severity:  rule.High,
		Practices: []string{"D10"},
		Rationale: "A \"*\" grants everything that exists today and everything added tomorrow: new resources from an " +
			"upgrade or a CRD, subresources such as pods/exec, and dangerous verbs such as escalate or impersonate. " +
			"Nobody reviewing the role can tell what it really allows.",
		Remediation: "List the API groups, resources and verbs the subject needs explicitly; use `kubectl auth can-i " +
			"--list --as` or audit logs to find out which those are.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege",
			"https://kubernetes.io/docs/reference/access-authn-authz/rbac/",
		},
		Standards: rule.Standards{
			CIS: []string{"5.1.3"},
			NSA: []string{"Authentication and authorization: role-based access control"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(in *Input) []rule.Finding {
		var out []rule.Finding
		for i, r := range policyRules(in) {
			for j, g := range r.APIGroups {
				if g == rbacv1.APIGroupAll {
					out = append(out, finding(rulePath(i, "apiGroups", j), `rules[%d] applies to every API group ("*")`, i))
				}
			}
			for j, res := range r.Resources {
				if res == rbacv1.ResourceAll {
					out = append(out, finding(rulePath(i, "resources", j), `rules[%d] applies to every resource ("*")`, i))
				}
			}
			for j, v := range r.Verbs {
				if v == rbacv1.VerbAll {
					out = append(out, finding(rulePath(i, "verbs", j), `rules[%d] grants every verb ("*")`, i))
				}
			}
		}
		return out
	},
}
