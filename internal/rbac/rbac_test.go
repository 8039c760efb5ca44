package rbac

import (
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func pr(verbs, groups, resources []string, names ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources, ResourceNames: names}
}

func l(s ...string) []string { return s }

func TestRuleAllows(t *testing.T) {
	core := l("")
	cases := []struct {
		name string
		rule rbacv1.PolicyRule
		req  Request
		want bool
	}{
		{"exact", pr(l("get"), core, l("secrets")), Request{Verb: "get", Resource: "secrets"}, true},
		{"other verb", pr(l("get"), core, l("secrets")), Request{Verb: "list", Resource: "secrets"}, false},
		{"verb wildcard", pr(l("*"), core, l("secrets")), Request{Verb: "watch", Resource: "secrets"}, true},
		{"verb wildcard covers escalate", pr(l("*"), l("rbac.authorization.k8s.io"), l("clusterroles")),
			Request{Verb: "escalate", APIGroup: "rbac.authorization.k8s.io", Resource: "clusterroles"}, true},
		{"other group", pr(l("get"), l("apps"), l("secrets")), Request{Verb: "get", Resource: "secrets"}, false},
		{"group wildcard", pr(l("get"), l("*"), l("secrets")), Request{Verb: "get", Resource: "secrets"}, true},
		{"core group is not apps", pr(l("create"), core, l("deployments")),
			Request{Verb: "create", APIGroup: "apps", Resource: "deployments"}, false},
		{"no groups matches nothing", pr(l("get"), nil, l("secrets")), Request{Verb: "get", Resource: "secrets"}, false},
		{"resource wildcard", pr(l("get"), core, l("*")), Request{Verb: "get", Resource: "secrets"}, true},
		{"resource wildcard covers subresources", pr(l("create"), core, l("*")),
			Request{Verb: "create", Resource: "pods", Subresource: "exec"}, true},
		{"resource does not cover its subresource", pr(l("create"), core, l("pods")),
			Request{Verb: "create", Resource: "pods", Subresource: "exec"}, false},
		{"subresource exact", pr(l("create"), core, l("pods/exec")),
			Request{Verb: "create", Resource: "pods", Subresource: "exec"}, true},
		{"subresource does not cover its resource", pr(l("create"), core, l("pods/exec")),
			Request{Verb: "create", Resource: "pods"}, false},
		{"star-slash subresource", pr(l("update"), l("*"), l("*/scale")),
			Request{Verb: "update", APIGroup: "apps", Resource: "deployments", Subresource: "scale"}, true},
		{"star-slash other subresource", pr(l("create"), core, l("*/scale")),
			Request{Verb: "create", Resource: "pods", Subresource: "exec"}, false},
		{"star-slash does not match the resource", pr(l("get"), core, l("*/exec")),
			Request{Verb: "get", Resource: "pods"}, false},
		{"resource-slash-star is literal", pr(l("create"), core, l("pods/*")),
			Request{Verb: "create", Resource: "pods", Subresource: "exec"}, false},
		{"resourceNames: any object denied", pr(l("get"), core, l("secrets"), "db"),
			Request{Verb: "get", Resource: "secrets"}, false},
		{"resourceNames: named object", pr(l("get"), core, l("secrets"), "db"),
			Request{Verb: "get", Resource: "secrets", Name: "db"}, true},
		{"resourceNames: other object", pr(l("get"), core, l("secrets"), "db"),
			Request{Verb: "get", Resource: "secrets", Name: "tls"}, false},
		{"no resourceNames: named object", pr(l("get"), core, l("secrets")),
			Request{Verb: "get", Resource: "secrets", Name: "tls"}, true},
		{"everything", pr(l("*"), l("*"), l("*")),
			Request{Verb: "impersonate", APIGroup: "authentication.k8s.io", Resource: "uids"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := RuleAllows(&c.rule, c.req); got != c.want {
				t.Errorf("RuleAllows(%+v, %v) = %v, want %v", c.rule, c.req, got, c.want)
			}
		})
	}
}

func cr(name string, lbls map[string]string, agg []map[string]string, rules ...rbacv1.PolicyRule) rbacv1.ClusterRole {
	r := rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: lbls}, Rules: rules}
	if agg != nil {
		r.AggregationRule = &rbacv1.AggregationRule{}
		for _, m := range agg {
			r.AggregationRule.ClusterRoleSelectors = append(r.AggregationRule.ClusterRoleSelectors, metav1.LabelSelector{MatchLabels: m})
		}
	}
	return r
}

func crb(name, role string, subjects ...rbacv1.Subject) rbacv1.ClusterRoleBinding {
	return rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role}, Subjects: subjects}
}

func rb(ns, name, kind, role string, subjects ...rbacv1.Subject) rbacv1.RoleBinding {
	return rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: role}, Subjects: subjects}
}

func user(n string) rbacv1.Subject  { return rbacv1.Subject{Kind: "User", Name: n} }
func group(n string) rbacv1.Subject { return rbacv1.Subject{Kind: "Group", Name: n} }

var readSecrets = Request{Verb: "get", Resource: "secrets"}

func in(ns string, r Request) Request { r.Namespace = ns; return r }

func TestAggregation(t *testing.T) {
	ix := New(nil, []rbacv1.ClusterRole{
		cr("admin", nil, []map[string]string{{"agg-admin": "true"}}),
		cr("edit", map[string]string{"agg-admin": "true"}, []map[string]string{{"agg-edit": "true"}},
			pr(l("create"), l(""), l("pods"))),
		cr("secrets-reader", map[string]string{"agg-edit": "true"}, nil, pr(l("get", "list"), l(""), l("secrets"))),
		cr("unrelated", map[string]string{"other": "true"}, nil, pr(l("delete"), l(""), l("nodes"))),
		// Same rule as secrets-reader's: aggregated once.
		cr("zdup", map[string]string{"agg-edit": "true"}, nil, pr(l("get", "list"), l(""), l("secrets"))),
	}, nil, []rbacv1.ClusterRoleBinding{crb("ops", "admin", user("alice"))})

	rules := ix.RoleRules(Ref{Kind: KindClusterRole, Name: "admin"})
	if len(rules) != 2 {
		t.Fatalf("admin has %d rules, want 2 (pods from edit, secrets from secrets-reader): %+v", len(rules), rules)
	}
	alice := Subject{Kind: "User", Name: "alice"}
	gs := ix.SubjectAllows(alice, readSecrets)
	if len(gs) != 1 {
		t.Fatalf("alice reads secrets through %d grants, want 1", len(gs))
	}
	want := "ClusterRoleBinding ops → ClusterRole admin → rules[0] of ClusterRole secrets-reader (aggregated)"
	if p := gs[0].Path(); p != want {
		t.Errorf("path %q, want %q", p, want)
	}
	if len(ix.SubjectAllows(alice, Request{Verb: "delete", Resource: "nodes"})) != 0 {
		t.Error("a ClusterRole no selector matches is aggregated")
	}
	if len(ix.SubjectAllows(alice, in("team", Request{Verb: "create", Resource: "pods"}))) != 1 {
		t.Error("a ClusterRoleBinding does not grant in a namespace")
	}
}

func TestAggregationOwnRulesFirstAndDeduplicated(t *testing.T) {
	// On a live cluster the controller has copied the aggregated rules into .rules: the
	// copy is reported (it is what the object holds) and the source is not repeated.
	ix := New(nil, []rbacv1.ClusterRole{
		cr("view", nil, []map[string]string{{"v": "1"}}, pr(l("get"), l(""), l("configmaps"))),
		cr("view-cm", map[string]string{"v": "1"}, nil, pr(l("get"), l(""), l("configmaps"))),
	}, nil, nil)
	rs := ix.RoleRules(Ref{Kind: KindClusterRole, Name: "view"})
	if len(rs) != 1 || rs[0].Source.Name != "view" {
		t.Fatalf("rules %+v, want the own copy only", rs)
	}
}

func TestAggregationCycleAndBadSelector(t *testing.T) {
	a := cr("a", map[string]string{"x": "b"}, []map[string]string{{"x": "a"}}, pr(l("get"), l(""), l("pods")))
	b := cr("b", map[string]string{"x": "a"}, []map[string]string{{"x": "b"}}, pr(l("get"), l(""), l("secrets")))
	bad := cr("bad", nil, nil)
	bad.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{
		MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "x", Operator: "Nope"}}}}}
	all := cr("all", nil, []map[string]string{{}})
	ix := New(nil, []rbacv1.ClusterRole{a, b, bad, all}, nil, nil)
	if n := len(ix.RoleRules(Ref{Kind: KindClusterRole, Name: "a"})); n != 2 {
		t.Errorf("a has %d rules, want 2", n)
	}
	if n := len(ix.RoleRules(Ref{Kind: KindClusterRole, Name: "bad"})); n != 0 {
		t.Errorf("an invalid selector aggregated %d rules", n)
	}
	// An empty selector matches every other ClusterRole.
	if n := len(ix.RoleRules(Ref{Kind: KindClusterRole, Name: "all"})); n != 2 {
		t.Errorf("all has %d rules, want 2", n)
	}
}

func TestNamespaceScoping(t *testing.T) {
	ix := New(
		[]rbacv1.Role{{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "reader"},
			Rules: []rbacv1.PolicyRule{pr(l("list"), l(""), l("secrets"))}}},
		[]rbacv1.ClusterRole{cr("secret-reader", nil, nil, pr(l("get"), l(""), l("secrets")))},
		[]rbacv1.RoleBinding{
			rb("team", "to-clusterrole", "ClusterRole", "secret-reader", user("bob")),
			rb("team", "to-role", "Role", "reader", user("bob")),
			// A Role is looked up in the binding's namespace: there is no reader in "other".
			rb("other", "to-missing-role", "Role", "reader", user("bob")),
		},
		nil)
	bob := Subject{Kind: "User", Name: "bob"}
	cases := []struct {
		req  Request
		want int
	}{
		{in("team", readSecrets), 1},
		{in("team", Request{Verb: "list", Resource: "secrets"}), 1},
		{in("other", readSecrets), 0},
		{in("other", Request{Verb: "list", Resource: "secrets"}), 0},
		{readSecrets, 0}, // cluster-wide: a RoleBinding to a ClusterRole does not give it
	}
	for _, c := range cases {
		if got := ix.SubjectAllows(bob, c.req); len(got) != c.want {
			t.Errorf("%v: %d grants, want %d", c.req, len(got), c.want)
		}
	}
	if ix.RoleExists(Ref{Kind: KindRole, Namespace: "other", Name: "reader"}) {
		t.Error("role other/reader exists")
	}
	got := ix.SubjectAllows(bob, in("team", readSecrets))
	if p := got[0].Path(); p != "RoleBinding team/to-clusterrole → ClusterRole secret-reader → rules[0]" {
		t.Errorf("path %q", p)
	}
}

func TestClusterRoleBindingToRoleGrantsNothing(t *testing.T) {
	b := crb("weird", "reader", user("eve"))
	b.RoleRef.Kind = "Role"
	ix := New([]rbacv1.Role{{ObjectMeta: metav1.ObjectMeta{Namespace: "", Name: "reader"},
		Rules: []rbacv1.PolicyRule{pr(l("*"), l("*"), l("*"))}}}, nil, nil, []rbacv1.ClusterRoleBinding{b})
	if g := ix.SubjectAllows(Subject{Kind: "User", Name: "eve"}, readSecrets); len(g) != 0 {
		t.Errorf("granted %v", g)
	}
}

func TestSubjects(t *testing.T) {
	ix := New(nil, []rbacv1.ClusterRole{cr("r", nil, nil, pr(l("get"), l(""), l("secrets")))},
		[]rbacv1.RoleBinding{
			// A ServiceAccount subject without a namespace is in the binding's.
			rb("apps", "b1", "ClusterRole", "r", rbacv1.Subject{Kind: "ServiceAccount", Name: "web"}),
			// The user name of a service account is that service account.
			rb("apps", "b2", "ClusterRole", "r", user("system:serviceaccount:apps:web")),
		},
		[]rbacv1.ClusterRoleBinding{crb("g", "r", group("system:serviceaccounts:apps"))})
	web := Subject{Kind: "ServiceAccount", Namespace: "apps", Name: "web"}
	if n := len(ix.SubjectAllows(web, in("apps", readSecrets))); n != 2 {
		t.Errorf("web named directly in %d grants, want 2", n)
	}
	// As the authorizer sees it, the service account also belongs to its groups.
	if n := len(ix.Allows(ServiceAccountUser("apps", "web"), in("apps", readSecrets))); n != 3 {
		t.Errorf("web allowed through %d grants, want 3", n)
	}
	if n := len(ix.Allows(ServiceAccountUser("db", "web"), in("db", readSecrets))); n != 0 {
		t.Errorf("db/web allowed through %d grants, want 0", n)
	}
	if n := len(ix.Allows(User{Name: "carol", Groups: []string{"system:serviceaccounts:apps"}}, readSecrets)); n != 1 {
		t.Errorf("group member allowed through %d grants, want 1", n)
	}
	subs := ix.Subjects()
	if len(subs) != 2 {
		t.Errorf("subjects %v, want the group and the service account", subs)
	}
	if s := web.String(); s != "ServiceAccount apps/web" {
		t.Errorf("String() = %q", s)
	}
	for _, bad := range []string{"system:serviceaccount:apps", "system:serviceaccount::x", "system:serviceaccount:a:b:c"} {
		if s := NormalizeSubject(user(bad), ""); s.Kind != "User" {
			t.Errorf("%q normalized to %v", bad, s)
		}
	}
}

func TestWildcardsAndSuperUser(t *testing.T) {
	cases := []struct {
		rule  rbacv1.PolicyRule
		wild  string
		super bool
	}{
		{pr(l("*"), l("*"), l("*")), "verbs apiGroups resources", true},
		{pr(l("*"), l("*"), l("*"), "x"), "verbs apiGroups resources", false},
		{pr(l("get"), l(""), l("*/scale")), "resources", false},
		{pr(l("get"), l(""), l("pods/*")), "", false},
		{pr(l("get", "list"), l("apps"), l("deployments")), "", false},
		{rbacv1.PolicyRule{Verbs: l("*"), NonResourceURLs: l("*")}, "", false},
	}
	for _, c := range cases {
		if got := strings.Join(HasWildcard(&c.rule), " "); got != c.wild {
			t.Errorf("HasWildcard(%+v) = %q, want %q", c.rule, got, c.wild)
		}
		if got := IsSuperUser(&c.rule); got != c.super {
			t.Errorf("IsSuperUser(%+v) = %v", c.rule, got)
		}
	}
}

func TestRequestString(t *testing.T) {
	r := Request{Verb: "create", APIGroup: "apps", Resource: "deployments", Subresource: "scale", Namespace: "x"}
	if s := r.String(); s != "create deployments/scale.apps in namespace x" {
		t.Errorf("%q", s)
	}
}
