package k8s

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/internal/rbac"
	"github.com/kharden/kharden/internal/rule"
)

// Helpers of the RBAC rules. They follow the authorizer's matching (see
// k8s.io/kubernetes/pkg/apis/rbac/v1/evaluation_helpers.go): "*" matches every verb,
// API group and resource, including subresources; "*/exec" matches the exec subresource
// of every resource; "pods/*" is not a wildcard and matches nothing but itself.

// policyRules returns the rules of a Role or ClusterRole input.
func policyRules(in *Input) []rbacv1.PolicyRule {
	switch o := in.Typed.(type) {
	case *rbacv1.Role:
		return o.Rules
	case *rbacv1.ClusterRole:
		return o.Rules
	}
	return nil
}

// ruleGroupMatches tells whether a rule applies to any of the API groups.
func ruleGroupMatches(r *rbacv1.PolicyRule, groups ...string) bool {
	for _, g := range r.APIGroups {
		if g == rbacv1.APIGroupAll || slices.Contains(groups, g) {
			return true
		}
	}
	return false
}

// ruleVerbs returns the verbs of a rule that are among want, "*" included.
func ruleVerbs(r *rbacv1.PolicyRule, want ...string) []string {
	var out []string
	for _, v := range r.Verbs {
		if v == rbacv1.VerbAll || slices.Contains(want, v) {
			out = append(out, v)
		}
	}
	return out
}

// resourceMatches tells whether a rule's resource entry covers a resource, given as
// "pods" or "pods/exec".
func resourceMatches(entry, resource string) bool {
	if entry == rbacv1.ResourceAll || entry == resource {
		return true
	}
	_, sub, ok := strings.Cut(resource, "/")
	return ok && entry == "*/"+sub
}

// rulePath returns the field path of an element of a rule's list field.
func rulePath(i int, field string, j int) string {
	return fmt.Sprintf("rules[%d].%s[%d]", i, field, j)
}

// verbList renders verbs for a message: get, list and "*".
func verbList(verbs []string) string {
	q := make([]string, len(verbs))
	for i, v := range verbs {
		q[i] = v
		if v == rbacv1.VerbAll {
			q[i] = `"*"`
		}
	}
	return strings.Join(q, ", ")
}

// rbacPerm is a permission an RBAC rule looks for: a verb on a resource ("nodes/proxy")
// of an API group.
type rbacPerm struct{ verb, group, resource string }

// rbacPerms returns every verb on every resource of a group.
func rbacPerms(group string, verbs []string, resources ...string) []rbacPerm {
	var out []rbacPerm
	for _, res := range resources {
		for _, v := range verbs {
			out = append(out, rbacPerm{v, group, res})
		}
	}
	return out
}

// permScope says where the permissions a rule looks for take effect.
type permScope struct {
	// cluster: the resources are cluster-scoped, which a Role cannot grant (a Role's
	// rules apply in its namespace only).
	cluster bool
	// named: a policy rule limited by resourceNames still counts (each name it lists is
	// the whole risk: a node, a webhook), instead of being the least privilege.
	named bool
}

// grantedBy tells whether a policy rule allows a permission, as the authorizer decides.
func (p rbacPerm) grantedBy(r *rbacv1.PolicyRule, s permScope) bool {
	res, sub, _ := strings.Cut(p.resource, "/")
	name := ""
	if s.named && len(r.ResourceNames) > 0 {
		name = r.ResourceNames[0]
	}
	return rbac.RuleAllows(r, rbac.Request{Verb: p.verb, APIGroup: p.group, Resource: res, Subresource: sub, Name: name})
}

// permFindings reports every resource entry of the input's rules that grants one of want:
// at rules[i].resources[j], naming the rule's verbs that grant it and, when the entry is a
// wildcard, what it includes.
func permFindings(in *Input, want []rbacPerm, s permScope) []rule.Finding {
	if _, role := in.Typed.(*rbacv1.Role); role && s.cluster {
		return nil
	}
	var out []rule.Finding
	for i, r := range policyRules(in) {
		for j, e := range r.Resources {
			one := r
			one.Resources = []string{e}
			var verbs, labels []string
			for _, p := range want {
				if !p.grantedBy(&one, s) {
					continue
				}
				if !slices.Contains(labels, p.resource) {
					labels = append(labels, p.resource)
				}
				for _, v := range r.Verbs {
					if (v == p.verb || v == rbacv1.VerbAll) && !slices.Contains(verbs, v) {
						verbs = append(verbs, v)
					}
				}
			}
			if len(labels) == 0 {
				continue
			}
			slices.SortStableFunc(verbs, func(a, b string) int { return slices.Index(r.Verbs, a) - slices.Index(r.Verbs, b) })
			what := e
			if len(labels) > 1 || labels[0] != e {
				what = fmt.Sprintf("%s, which includes %s", resourceList([]string{e}), strings.Join(labels, ", "))
			}
			out = append(out, finding(rulePath(i, "resources", j), "rules[%d] grants %s on %s%s%s",
				i, verbList(verbs), what, namedNote(&r, s), aggregationNote(in)))
		}
	}
	return out
}

// namedNote says, for a message, which objects a rule limited by resourceNames covers.
func namedNote(r *rbacv1.PolicyRule, s permScope) string {
	if !s.named || len(r.ResourceNames) == 0 {
		return ""
	}
	return " (named: " + strings.Join(r.ResourceNames, ", ") + ")"
}

// aggregateLabels are the labels that aggregate a ClusterRole into Kubernetes' built-in
// user-facing roles, with the role each feeds.
var aggregateLabels = []struct{ label, role string }{
	{"rbac.authorization.k8s.io/aggregate-to-admin", "admin"},
	{"rbac.authorization.k8s.io/aggregate-to-edit", "edit"},
	{"rbac.authorization.k8s.io/aggregate-to-view", "view"},
}

// aggregationNote says, for a message, that a ClusterRole's rules also go to the built-in
// roles it is aggregated into, and so to everyone bound to them: a permission that looks
// confined to a purpose-built role is then held by every namespace admin or editor.
func aggregationNote(in *Input) string {
	cr, ok := in.Typed.(*rbacv1.ClusterRole)
	if !ok {
		return ""
	}
	var roles []string
	for _, a := range aggregateLabels {
		if cr.Labels[a.label] == "true" {
			roles = append(roles, a.role)
		}
	}
	if len(roles) == 0 {
		return ""
	}
	return fmt.Sprintf("; its aggregate-to labels add it to the built-in %s role%s, held by everyone bound to them",
		strings.Join(roles, ", "), map[bool]string{true: "s", false: ""}[len(roles) > 1])
}
