package k8s

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
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
