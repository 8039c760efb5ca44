package cluster

import (
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/internal/rbac"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// RBACSubjectImpersonate is KC-0009.
var RBACSubjectImpersonate = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0009",
		Slug:      "rbac-subject-impersonate",
		Title:     "No subject may impersonate users, groups or service accounts",
		Severity:  rule.Critical,
		Practices: []string{"D10"},
		Rationale: "impersonate lets a subject send requests as another user, group or service account (Impersonate-* " +
			"headers): with it on groups, a subject acts as system:masters; on users or service accounts, as any " +
			"identity that holds more than it does.",
		Remediation: "Remove impersonate from the subject's roles. Where a proxy must impersonate, restrict it with " +
			"resourceNames to the identities it serves.",
		References: []string{
			"https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation",
			"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#impersonate-verb",
		},
		Standards: rule.Standards{
			CIS: []string{"5.1.8"},
			NSA: []string{"Authentication and authorization: role-based access control"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: rbacNeeds,
	// Impersonation of users, groups and service accounts (core group), and of UIDs and
	// user extras (authentication.k8s.io, resources uids and userextras/KEY) counts;
	// impersonation limited by resourceNames does not.
	Check: func(s *cluster.Snapshot) []rule.Finding {
		want := perms("", []string{"impersonate"}, "users", "groups", "serviceaccounts")
		want = append(want, perms("authentication.k8s.io", []string{"impersonate"}, "uids")...)
		var out []rule.Finding
		for _, m := range matchBindings(s, func(g rbac.Grant) []string {
			var got []string
			r := g.Rule.Rule
			for _, p := range want {
				if p.allowedBy(r) {
					got = append(got, p.verb+" "+p.label())
				}
			}
			if userExtras(r) {
				got = append(got, "impersonate userextras.authentication.k8s.io")
			}
			return got
		}) {
			out = append(out, m.findings("can "+joinPerms(m.what))...)
		}
		return out
	},
}

// userExtras tells whether a rule allows impersonating some user extra (resource
// userextras/KEY), for any object.
func userExtras(r *rbacv1.PolicyRule) bool {
	return rbac.VerbMatches(r, "impersonate") && rbac.APIGroupMatches(r, "authentication.k8s.io") && len(r.ResourceNames) == 0 &&
		slices.ContainsFunc(r.Resources, func(e string) bool { return e == rbacv1.ResourceAll || strings.HasPrefix(e, "userextras") })
}
