package k8s

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/internal/rule"
)

// RBACEscalateBindImpersonate is KM-0032.
var RBACEscalateBindImpersonate = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0032",
		Slug:      "rbac-escalate-bind-impersonate",
		Title:     "Roles must not grant the escalate, bind or impersonate verbs",
		Severity:  rule.Critical,
		Practices: []string{"D10"},
		Rationale: "RBAC stops a subject from granting permissions it does not hold, unless it has escalate (write " +
			"roles with any permission) or bind (bind any role, cluster-admin included) on roles, or impersonate " +
			"on users, groups or service accounts (act as any of them). Each one is a path to cluster-admin.",
		Remediation: "Remove escalate, bind and impersonate (and \"*\" verbs on roles, clusterroles, users, groups and " +
			"serviceaccounts). Where a controller must bind roles, restrict bind to the named roles with resourceNames.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#escalate-verb",
			"https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping",
			"https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation",
		},
		Standards: rule.Standards{
			CIS: []string{"5.1.8"},
			NSA: []string{"Authentication and authorization: role-based access control"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	// An explicit escalate, bind or impersonate is reported wherever it appears; "*" is
	// reported where its resources make it include one of them.
	Check: func(in *Input) []rule.Finding {
		var out []rule.Finding
		for i, r := range policyRules(in) {
			for j, v := range r.Verbs {
				switch v {
				case "escalate", "bind", "impersonate":
					out = append(out, finding(rulePath(i, "verbs", j), "rules[%d] grants %s on %s", i, v, resourceList(r.Resources)))
				case rbacv1.VerbAll:
					if implied := impliedPowerVerbs(&r); len(implied) > 0 {
						out = append(out, finding(rulePath(i, "verbs", j), `rules[%d] grants every verb ("*") on %s, which includes %s`,
							i, resourceList(r.Resources), strings.Join(implied, ", ")))
					}
				}
			}
		}
		return out
	},
}

// impliedPowerVerbs returns which of escalate, bind and impersonate a rule's "*" verb
// grants, judging by its API groups and resources.
func impliedPowerVerbs(r *rbacv1.PolicyRule) []string {
	anyResource := func(resources ...string) bool {
		for _, e := range r.Resources {
			for _, res := range resources {
				if resourceMatches(e, res) {
					return true
				}
			}
		}
		return false
	}
	var out []string
	if ruleGroupMatches(r, rbacv1.GroupName) && anyResource("roles", "clusterroles") {
		out = append(out, "escalate", "bind")
	}
	if ruleGroupMatches(r, "") && anyResource("users", "groups", "serviceaccounts") ||
		ruleGroupMatches(r, "authentication.k8s.io") && (anyResource("uids") || hasUserExtras(r.Resources)) {
		out = append(out, "impersonate")
	}
	return out
}

func hasUserExtras(resources []string) bool {
	for _, e := range resources {
		if strings.HasPrefix(e, "userextras") {
			return true
		}
	}
	return false
}

// resourceList renders a rule's resources for a message.
func resourceList(resources []string) string {
	if len(resources) == 0 {
		return "no resources"
	}
	q := make([]string, len(resources))
	for i, r := range resources {
		q[i] = r
		if r == rbacv1.ResourceAll {
			q[i] = `every resource ("*")`
		}
	}
	return strings.Join(q, ", ")
}
