// Package rbac computes effective RBAC permissions from Roles, ClusterRoles and their
// bindings, with the matching semantics of Kubernetes' RBAC authorizer, and explains every
// answer as the grants that give it: binding → role → rule.
//
// What it models:
//
//   - ClusterRole aggregation: a ClusterRole with an aggregationRule holds, besides its own
//     rules, the rules of every other ClusterRole whose labels match one of its
//     clusterRoleSelectors, transitively and without duplicates (what the
//     clusterrole-aggregation controller writes into .rules; on a live cluster the two
//     agree, on manifests not yet reconciled the aggregation is computed here).
//   - Bindings: a ClusterRoleBinding grants its ClusterRole everywhere (every namespace and
//     cluster-scoped resources); a RoleBinding grants its Role, or the ClusterRole it
//     names, in the binding's namespace only. A binding whose role does not exist grants
//     nothing.
//   - Subjects: a ServiceAccount subject without a namespace is in the binding's namespace;
//     the user name system:serviceaccount:NS:NAME is that service account.
//   - Rules: "*" matches every verb, API group and resource (subresources included);
//     "*/SUB" matches subresource SUB of every resource; "pods" does not match
//     "pods/exec"; "pods/*" is not a wildcard. A rule with resourceNames matches only
//     requests for one of those names, so never a request for any object (Request.Name
//     empty: list, watch, create, or "every object"). nonResourceURLs are not modelled.
package rbac

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Kinds of roles and bindings.
const (
	KindRole               = "Role"
	KindClusterRole        = "ClusterRole"
	KindRoleBinding        = "RoleBinding"
	KindClusterRoleBinding = "ClusterRoleBinding"
)

// ServiceAccountUserPrefix starts the user name of a service account:
// system:serviceaccount:NAMESPACE:NAME.
const ServiceAccountUserPrefix = "system:serviceaccount:"

// Ref names a Role, ClusterRole, RoleBinding or ClusterRoleBinding.
type Ref struct {
	Kind      string
	Namespace string // empty for cluster-scoped kinds
	Name      string
}

func (r Ref) String() string {
	if r.Namespace != "" {
		return fmt.Sprintf("%s %s/%s", r.Kind, r.Namespace, r.Name)
	}
	return fmt.Sprintf("%s %s", r.Kind, r.Name)
}

// Subject is who a binding grants to: a User, a Group or a ServiceAccount.
type Subject struct {
	Kind      string // rbacv1.UserKind, rbacv1.GroupKind or rbacv1.ServiceAccountKind
	Name      string
	Namespace string // ServiceAccount only
}

func (s Subject) String() string {
	if s.Kind == rbacv1.ServiceAccountKind {
		return fmt.Sprintf("ServiceAccount %s/%s", s.Namespace, s.Name)
	}
	return fmt.Sprintf("%s %q", s.Kind, s.Name)
}

// UserName returns the name the API server authenticates the subject as: the user name
// of a User, system:serviceaccount:NS:NAME for a ServiceAccount; empty for a Group.
func (s Subject) UserName() string {
	switch s.Kind {
	case rbacv1.UserKind:
		return s.Name
	case rbacv1.ServiceAccountKind:
		return ServiceAccountUserPrefix + s.Namespace + ":" + s.Name
	}
	return ""
}

// NormalizeSubject turns a binding's subject into a Subject: a ServiceAccount without a
// namespace gets the binding's namespace, and a User named system:serviceaccount:NS:NAME
// becomes that ServiceAccount.
func NormalizeSubject(s rbacv1.Subject, bindingNamespace string) Subject {
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		ns := s.Namespace
		if ns == "" {
			ns = bindingNamespace
		}
		return Subject{Kind: s.Kind, Name: s.Name, Namespace: ns}
	case rbacv1.UserKind:
		if rest, ok := strings.CutPrefix(s.Name, ServiceAccountUserPrefix); ok {
			if ns, name, ok := strings.Cut(rest, ":"); ok && ns != "" && name != "" && !strings.Contains(name, ":") {
				return Subject{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: ns}
			}
		}
	}
	return Subject{Kind: s.Kind, Name: s.Name}
}

// User is an authenticated identity: a user name and the groups it belongs to.
type User struct {
	Name   string
	Groups []string
}

// ServiceAccountUser is the identity of a service account as the API server authenticates
// its token: its user name, its namespace's service-account group,
// system:serviceaccounts and system:authenticated.
func ServiceAccountUser(namespace, name string) User {
	return User{Name: ServiceAccountUserPrefix + namespace + ":" + name,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"}}
}

// Request is what a subject wants to do, as the authorizer sees it.
type Request struct {
	Verb        string
	APIGroup    string // "" for the core group
	Resource    string // plural: "secrets", "deployments"
	Subresource string // "exec", "scale"; empty for the resource itself
	// Name is the object's name; empty means any object (list, watch, create, or the
	// question "on every object").
	Name string
	// Namespace is the namespace of the request; empty means a cluster-scoped request or
	// one across all namespaces, which only ClusterRoleBindings grant.
	Namespace string
}

func (r Request) String() string {
	res := r.Resource
	if r.Subresource != "" {
		res += "/" + r.Subresource
	}
	if r.APIGroup != "" {
		res += "." + r.APIGroup
	}
	if r.Name != "" {
		res += " " + r.Name
	}
	where := "cluster-wide"
	if r.Namespace != "" {
		where = "in namespace " + r.Namespace
	}
	return r.Verb + " " + res + " " + where
}

// Binding is a RoleBinding or ClusterRoleBinding with its subjects normalized.
type Binding struct {
	Ref Ref
	// Role is the role the binding refers to; a RoleBinding's Role is in its namespace.
	Role     Ref
	Subjects []Subject
	Labels   map[string]string
	// invalid marks a binding the API server would refuse (a ClusterRoleBinding to a
	// Role, an unknown role kind): it grants nothing.
	invalid bool
}

// Scope is the namespace the binding's grants are confined to; empty for a
// ClusterRoleBinding (everywhere).
func (b *Binding) Scope() string { return b.Ref.Namespace }

// Rule is a policy rule with the role that holds it.
type Rule struct {
	// Source is the role whose .rules holds the rule: the bound role itself, or a
	// ClusterRole aggregated into it.
	Source Ref
	Index  int // index in Source's rules
	Rule   *rbacv1.PolicyRule
}

// Grant is one path by which a binding gives a policy rule: binding → role → rule.
type Grant struct {
	Binding *Binding
	Role    Ref // the role the binding refers to
	Rule
}

// Path renders the grant for a message: ClusterRoleBinding ops → ClusterRole admin →
// rules[3] of ClusterRole edit (aggregated).
func (g Grant) Path() string {
	s := g.Binding.Ref.String() + " → " + g.Role.String() + " → "
	if g.Source != g.Role {
		return s + fmt.Sprintf("rules[%d] of %s (aggregated)", g.Index, g.Source)
	}
	return s + fmt.Sprintf("rules[%d]", g.Index)
}

// Index answers RBAC questions over one set of roles and bindings. Build it with New; it
// is read-only afterwards and safe for concurrent use.
type Index struct {
	roles        map[Ref]*rbacv1.Role
	clusterRoles map[string]*rbacv1.ClusterRole
	crNames      []string // sorted, for deterministic aggregation order
	bindings     []*Binding
	resolved     map[Ref][]Rule
}

// New indexes roles and bindings and resolves aggregation. Nothing it is given is
// modified; duplicate names keep the last.
func New(roles []rbacv1.Role, clusterRoles []rbacv1.ClusterRole, roleBindings []rbacv1.RoleBinding,
	clusterRoleBindings []rbacv1.ClusterRoleBinding) *Index {
	ix := &Index{roles: map[Ref]*rbacv1.Role{}, clusterRoles: map[string]*rbacv1.ClusterRole{}, resolved: map[Ref][]Rule{}}
	for i := range roles {
		r := &roles[i]
		ix.roles[Ref{KindRole, r.Namespace, r.Name}] = r
	}
	for i := range clusterRoles {
		r := &clusterRoles[i]
		if _, dup := ix.clusterRoles[r.Name]; !dup {
			ix.crNames = append(ix.crNames, r.Name)
		}
		ix.clusterRoles[r.Name] = r
	}
	sort.Strings(ix.crNames)
	for _, name := range ix.crNames {
		ix.resolveClusterRole(name, map[string]bool{})
	}
	for ref, r := range ix.roles {
		ix.resolved[ref] = ownRules(ref, r.Rules)
	}
	for i := range clusterRoleBindings {
		b := &clusterRoleBindings[i]
		ix.addBinding(Ref{KindClusterRoleBinding, "", b.Name}, b.RoleRef, b.Subjects, b.Labels)
	}
	for i := range roleBindings {
		b := &roleBindings[i]
		ix.addBinding(Ref{KindRoleBinding, b.Namespace, b.Name}, b.RoleRef, b.Subjects, b.Labels)
	}
	return ix
}

func (ix *Index) addBinding(ref Ref, roleRef rbacv1.RoleRef, subjects []rbacv1.Subject, lbls map[string]string) {
	b := &Binding{Ref: ref, Labels: lbls}
	switch {
	case roleRef.Kind == KindClusterRole:
		b.Role = Ref{KindClusterRole, "", roleRef.Name}
	case roleRef.Kind == KindRole && ref.Kind == KindRoleBinding:
		b.Role = Ref{KindRole, ref.Namespace, roleRef.Name}
	default:
		// A ClusterRoleBinding to a Role, or an unknown kind: the API server refuses it;
		// it grants nothing.
		b.Role = Ref{roleRef.Kind, "", roleRef.Name}
		b.invalid = true
	}
	for _, s := range subjects {
		b.Subjects = append(b.Subjects, NormalizeSubject(s, ref.Namespace))
	}
	ix.bindings = append(ix.bindings, b)
}

func ownRules(ref Ref, rules []rbacv1.PolicyRule) []Rule {
	out := make([]Rule, len(rules))
	for i := range rules {
		out[i] = Rule{Source: ref, Index: i, Rule: &rules[i]}
	}
	return out
}

// resolveClusterRole returns a ClusterRole's rules: its own, then those of the
// ClusterRoles it aggregates (in name order, transitively), skipping rules equal to one
// already held. visiting breaks selector cycles.
func (ix *Index) resolveClusterRole(name string, visiting map[string]bool) []Rule {
	ref := Ref{KindClusterRole, "", name}
	if rs, ok := ix.resolved[ref]; ok {
		return rs
	}
	cr := ix.clusterRoles[name]
	if cr == nil {
		return nil
	}
	out := ownRules(ref, cr.Rules)
	if cr.AggregationRule == nil || visiting[name] {
		if !visiting[name] {
			ix.resolved[ref] = out
		}
		return out
	}
	visiting[name] = true
	var selectors []labels.Selector
	for i := range cr.AggregationRule.ClusterRoleSelectors {
		// A selector that does not parse matches nothing, as in the controller.
		if sel, err := metav1.LabelSelectorAsSelector(&cr.AggregationRule.ClusterRoleSelectors[i]); err == nil {
			selectors = append(selectors, sel)
		}
	}
	for _, other := range ix.crNames {
		if other == name {
			continue
		}
		set := labels.Set(ix.clusterRoles[other].Labels)
		if !slices.ContainsFunc(selectors, func(s labels.Selector) bool { return s.Matches(set) }) {
			continue
		}
		for _, r := range ix.resolveClusterRole(other, visiting) {
			if !slices.ContainsFunc(out, func(o Rule) bool { return reflect.DeepEqual(o.Rule, r.Rule) }) {
				out = append(out, r)
			}
		}
	}
	delete(visiting, name)
	ix.resolved[ref] = out
	return out
}

// RoleRules returns the effective rules of a Role or ClusterRole, aggregation included;
// nil when the role does not exist.
func (ix *Index) RoleRules(role Ref) []Rule { return ix.resolved[role] }

// RoleExists tells whether a binding's role is there.
func (ix *Index) RoleExists(role Ref) bool {
	_, ok := ix.resolved[role]
	return ok
}

// Bindings returns every binding: ClusterRoleBindings, then RoleBindings, each in the
// order given to New.
func (ix *Index) Bindings() []*Binding { return ix.bindings }

// Grants returns every rule a binding grants, in the role's rule order.
func (ix *Index) Grants(b *Binding) []Grant {
	if b.invalid {
		return nil
	}
	rs := ix.resolved[b.Role]
	out := make([]Grant, len(rs))
	for i, r := range rs {
		out[i] = Grant{Binding: b, Role: b.Role, Rule: r}
	}
	return out
}

// BindingAllows returns the grants of a binding that allow a request, honouring the
// binding's scope: a RoleBinding allows only requests in its namespace.
func (ix *Index) BindingAllows(b *Binding, req Request) []Grant {
	if b.Scope() != "" && req.Namespace != b.Scope() {
		return nil
	}
	var out []Grant
	for _, g := range ix.Grants(b) {
		if RuleAllows(g.Rule.Rule, req) {
			out = append(out, g)
		}
	}
	return out
}

// SubjectAllows returns the grants that allow a request through bindings that name the
// subject itself (not through groups it may belong to).
func (ix *Index) SubjectAllows(s Subject, req Request) []Grant {
	var out []Grant
	for _, b := range ix.bindings {
		if slices.Contains(b.Subjects, s) {
			out = append(out, ix.BindingAllows(b, req)...)
		}
	}
	return out
}

// Allows returns the grants that allow an authenticated user a request, through bindings
// that name the user, a service account it is, or one of its groups, as the RBAC
// authorizer decides; empty means RBAC denies it.
func (ix *Index) Allows(u User, req Request) []Grant {
	var out []Grant
	for _, b := range ix.bindings {
		if slices.ContainsFunc(b.Subjects, func(s Subject) bool { return AppliesTo(s, u) }) {
			out = append(out, ix.BindingAllows(b, req)...)
		}
	}
	return out
}

// AppliesTo tells whether a normalized subject covers an authenticated user.
func AppliesTo(s Subject, u User) bool {
	switch s.Kind {
	case rbacv1.UserKind, rbacv1.ServiceAccountKind:
		return s.UserName() == u.Name
	case rbacv1.GroupKind:
		return slices.Contains(u.Groups, s.Name)
	}
	return false
}

// Subjects returns every distinct subject some binding names, sorted.
func (ix *Index) Subjects() []Subject {
	seen := map[Subject]bool{}
	var out []Subject
	for _, b := range ix.bindings {
		for _, s := range b.Subjects {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	return out
}

// RuleAllows tells whether a policy rule allows a resource request, ignoring namespaces
// (which are the binding's business).
func RuleAllows(r *rbacv1.PolicyRule, req Request) bool {
	return VerbMatches(r, req.Verb) && APIGroupMatches(r, req.APIGroup) &&
		ResourceMatches(r, req.Resource, req.Subresource) && ResourceNameMatches(r, req.Name)
}

// VerbMatches: the rule lists the verb or "*".
func VerbMatches(r *rbacv1.PolicyRule, verb string) bool {
	return slices.ContainsFunc(r.Verbs, func(v string) bool { return v == rbacv1.VerbAll || v == verb })
}

// APIGroupMatches: the rule lists the group or "*".
func APIGroupMatches(r *rbacv1.PolicyRule, group string) bool {
	return slices.ContainsFunc(r.APIGroups, func(g string) bool { return g == rbacv1.APIGroupAll || g == group })
}

// ResourceMatches: the rule lists "*", the resource (with its subresource, as
// "pods/exec"), or "*/SUB" for the requested subresource.
func ResourceMatches(r *rbacv1.PolicyRule, resource, subresource string) bool {
	combined := resource
	if subresource != "" {
		combined += "/" + subresource
	}
	for _, e := range r.Resources {
		switch {
		case e == rbacv1.ResourceAll, e == combined:
			return true
		case subresource != "" && e == "*/"+subresource:
			return true
		}
	}
	return false
}

// ResourceNameMatches: the rule has no resourceNames, or lists the requested name. A
// request for any object (empty name) matches only a rule without resourceNames.
func ResourceNameMatches(r *rbacv1.PolicyRule, name string) bool {
	if len(r.ResourceNames) == 0 {
		return true
	}
	return name != "" && slices.Contains(r.ResourceNames, name)
}

// HasWildcard returns which of a rule's verbs, apiGroups and resources is "*" (or, for
// resources, "*/SUB"), as "verbs", "apiGroups", "resources"; nil when none, and for a
// rule about nonResourceURLs only (not modelled here).
func HasWildcard(r *rbacv1.PolicyRule) []string {
	if len(r.Resources) == 0 {
		return nil
	}
	var out []string
	if slices.Contains(r.Verbs, rbacv1.VerbAll) {
		out = append(out, "verbs")
	}
	if slices.Contains(r.APIGroups, rbacv1.APIGroupAll) {
		out = append(out, "apiGroups")
	}
	if slices.ContainsFunc(r.Resources, func(s string) bool { return s == rbacv1.ResourceAll || strings.HasPrefix(s, "*/") }) {
		out = append(out, "resources")
	}
	return out
}

// IsSuperUser tells whether a rule allows every verb on every resource of every group
// with no resourceNames: the rule of cluster-admin.
func IsSuperUser(r *rbacv1.PolicyRule) bool {
	return slices.Contains(r.Verbs, rbacv1.VerbAll) && slices.Contains(r.APIGroups, rbacv1.APIGroupAll) &&
		slices.Contains(r.Resources, rbacv1.ResourceAll) && len(r.ResourceNames) == 0
}

// ClientSigners are the built-in signers whose certificates the API server accepts as
// client credentials: kube-apiserver-client for any user and groups the request names,
// kube-apiserver-client-kubelet for a node's identity. Whoever may approve requests for
// them can mint credentials for others.
var ClientSigners = []string{"kubernetes.io/kube-apiserver-client", "kubernetes.io/kube-apiserver-client-kubelet"}

// SignerDomainWildcard returns the name that grants approve on every signer of a signer's
// domain ("kubernetes.io/*"): the approval check tries it after the signer's own name.
func SignerDomainWildcard(signer string) string {
	domain, _, _ := strings.Cut(signer, "/")
	return domain + "/*"
}
