package cluster

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/internal/rbac"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// The RBAC rules (KC-0005 to KC-0012, KC-0036 to KC-0042) judge effective permissions: every binding's role
// with ClusterRole aggregation resolved, scoped to the binding's namespace for a
// RoleBinding, matched as the RBAC authorizer matches (package rbac). They report one
// finding per subject of a binding that grants what they look for: Finding.Object is the
// binding, Finding.Path its subjects[i], and the message names the subject, the
// permission, where it holds, and the grant paths (binding → role → rule).
//
// Exempt subjects (exemptSubject) are Kubernetes' own identities:
//
//   - Users and Groups named system:*, a prefix reserved for Kubernetes: the components
//     (system:kube-controller-manager, system:kube-scheduler, system:kube-proxy), nodes
//     (system:node:NAME, system:nodes), bootstrap tokens (system:bootstrappers:*),
//     system:monitoring, and system:masters, which bypasses RBAC altogether (CIS 5.1.7
//     asks not to issue it; RBAC cannot show who holds it). Not exempt, because each
//     stands for many identities at once: system:anonymous, system:unauthenticated,
//     system:authenticated, system:serviceaccounts, and system:serviceaccounts:NS.
//   - The group kubeadm:cluster-admins, which kubeadm binds to cluster-admin for its
//     admin.conf: the installer's break-glass administrators, like system:masters.
//   - Service accounts in kube-system, and the group system:serviceaccounts:kube-system,
//     only through a binding Kubernetes creates itself: named system:* and labelled
//     kubernetes.io/bootstrapping=rbac-defaults (the controllers' own accounts with
//     --use-service-account-credentials, such as kube-system/replicaset-controller). A
//     kube-system service account bound by any other binding is reported: add-ons and
//     operators installed there are not Kubernetes, and an old "kube-system:default is
//     cluster-admin" binding is a real finding.
//
// User system:serviceaccount:NS:NAME is treated as the service account NS/NAME.

// exemptSubject tells whether the RBAC rules leave a binding's subject alone.
func exemptSubject(b *rbac.Binding, s rbac.Subject) bool {
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		return s.Namespace == "kube-system" && defaultBinding(b)
	case rbacv1.UserKind:
		return s.Name != "system:anonymous" && strings.HasPrefix(s.Name, "system:")
	case rbacv1.GroupKind:
		switch s.Name {
		case "system:authenticated", "system:unauthenticated", "system:serviceaccounts":
			return false
		case "system:serviceaccounts:kube-system":
			return defaultBinding(b)
		case "kubeadm:cluster-admins":
			return true
		}
		if strings.HasPrefix(s.Name, "system:serviceaccounts:") {
			return false
		}
		return strings.HasPrefix(s.Name, "system:")
	}
	return false
}

// defaultBinding tells whether a binding is one the API server creates and reconciles.
func defaultBinding(b *rbac.Binding) bool {
	return strings.HasPrefix(b.Ref.Name, "system:") && b.Labels["kubernetes.io/bootstrapping"] == "rbac-defaults"
}

// subjectNote explains, for a message, who a broad group or user stands for.
func subjectNote(s rbac.Subject) string {
	switch {
	case s.Kind == rbacv1.GroupKind && s.Name == "system:authenticated":
		return " (every authenticated user and service account)"
	case s.Kind == rbacv1.GroupKind && s.Name == "system:unauthenticated", s.Kind == rbacv1.UserKind && s.Name == "system:anonymous":
		return " (every unauthenticated request)"
	case s.Kind == rbacv1.GroupKind && s.Name == "system:serviceaccounts":
		return " (every service account)"
	case s.Kind == rbacv1.GroupKind && strings.HasPrefix(s.Name, "system:serviceaccounts:"):
		return fmt.Sprintf(" (every service account in namespace %q)", strings.TrimPrefix(s.Name, "system:serviceaccounts:"))
	}
	return ""
}

func rbacIndex(s *cluster.Snapshot) *rbac.Index {
	return rbac.New(s.Roles, s.ClusterRoles, s.RoleBindings, s.ClusterRoleBindings)
}

func bindingObject(b *rbac.Binding) rule.Object {
	return rule.Object{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: b.Ref.Kind, Namespace: b.Ref.Namespace, Name: b.Ref.Name}
}

// perm is a permission an RBAC rule looks for: a verb on a resource, as a request.
type perm struct {
	verb, group, resource, sub string
	// cluster: the resource is cluster-scoped, so only a ClusterRoleBinding grants it (a
	// RoleBinding's grants hold in its namespace).
	cluster bool
	// named: a rule limited by resourceNames still counts (each named object is the whole
	// risk: a node), instead of being the least privilege.
	named bool
}

// label renders the resource for a message: pods/exec, deployments.apps.
func (p perm) label() string {
	s := p.resource
	if p.sub != "" {
		s += "/" + p.sub
	}
	if p.group != "" {
		s += "." + p.group
	}
	return s
}

func (p perm) allowedBy(r *rbacv1.PolicyRule) bool {
	name := ""
	if p.named && len(r.ResourceNames) > 0 {
		name = r.ResourceNames[0]
	}
	return rbac.RuleAllows(r, rbac.Request{Verb: p.verb, APIGroup: p.group, Resource: p.resource, Subresource: p.sub, Name: name})
}

// grantedBy tells whether a grant gives the permission where it takes effect: a
// cluster-scoped resource only through a ClusterRoleBinding.
func (p perm) grantedBy(g rbac.Grant) bool {
	return (!p.cluster || g.Binding.Scope() == "") && p.allowedBy(g.Rule.Rule)
}

// clusterScoped marks permissions as on cluster-scoped resources.
func clusterScoped(ps []perm) []perm {
	for i := range ps {
		ps[i].cluster = true
	}
	return ps
}

// perms returns every verb on every resource of a group.
func perms(group string, verbs []string, resources ...string) []perm {
	var out []perm
	for _, res := range resources {
		r, sub, _ := strings.Cut(res, "/")
		for _, v := range verbs {
			out = append(out, perm{verb: v, group: group, resource: r, sub: sub})
		}
	}
	return out
}

// match is what one binding grants of what a rule looks for.
type match struct {
	b *rbac.Binding
	// what lists, in the rule's order, the things granted ("get, list secrets").
	what []string
	// paths are the distinct grant paths that give them.
	paths []string
}

// matchBindings runs test over every grant of every binding and collects, per binding,
// what the grants give (test returns it, or nothing) and their paths.
func matchBindings(s *cluster.Snapshot, test func(g rbac.Grant) []string) []match {
	ix := rbacIndex(s)
	var out []match
	for _, b := range ix.Bindings() {
		m := match{b: b}
		for _, g := range ix.Grants(b) {
			what := test(g)
			if len(what) == 0 {
				continue
			}
			for _, w := range what {
				if !slices.Contains(m.what, w) {
					m.what = append(m.what, w)
				}
			}
			if p := g.Path(); !slices.Contains(m.paths, p) {
				m.paths = append(m.paths, p)
			}
		}
		if len(m.what) > 0 {
			out = append(out, m)
		}
	}
	return out
}

// permFindings reports, per subject, the bindings that allow any of perms, saying which.
func permFindings(s *cluster.Snapshot, want []perm) []rule.Finding {
	order := map[string]int{}
	for i, p := range want {
		order[p.verb+" "+p.label()] = i
	}
	var out []rule.Finding
	for _, m := range matchBindings(s, func(g rbac.Grant) []string {
		var got []string
		for _, p := range want {
			if p.grantedBy(g) {
				got = append(got, p.verb+" "+p.label())
			}
		}
		return got
	}) {
		// Name the permissions in the rule's order, whatever the grants' order.
		slices.SortStableFunc(m.what, func(a, b string) int { return order[a] - order[b] })
		out = append(out, m.findings("can "+joinPerms(m.what))...)
	}
	return out
}

// findings turns a match into one finding per subject that is not exempt:
// `<subject> <does> <where> (<paths>)`.
func (m match) findings(does string) []rule.Finding {
	var out []rule.Finding
	for i, subj := range m.b.Subjects {
		if exemptSubject(m.b, subj) {
			continue
		}
		out = append(out, finding(bindingObject(m.b), subjectPath(i), "%s%s %s %s through %s",
			subj, subjectNote(subj), does, scopeText(m.b), pathsText(m.paths)))
	}
	return out
}

func scopeText(b *rbac.Binding) string {
	if b.Scope() == "" {
		return "cluster-wide"
	}
	return fmt.Sprintf("in namespace %q", b.Scope())
}

// joinPerms renders permissions ("get secrets", "list secrets", "create pods/exec",
// "create pods/attach") grouped: resources by their verbs, "get, list secrets; create
// pods/exec, pods/attach".
func joinPerms(ps []string) string {
	var resources []string
	verbs := map[string][]string{}
	for _, p := range ps {
		v, res, _ := strings.Cut(p, " ")
		if _, ok := verbs[res]; !ok {
			resources = append(resources, res)
		}
		verbs[res] = append(verbs[res], v)
	}
	var groups []string
	byVerbs := map[string][]string{}
	for _, res := range resources {
		vs := strings.Join(verbs[res], ", ")
		if _, ok := byVerbs[vs]; !ok {
			groups = append(groups, vs)
		}
		byVerbs[vs] = append(byVerbs[vs], res)
	}
	parts := make([]string, len(groups))
	for i, vs := range groups {
		parts[i] = vs + " " + strings.Join(byVerbs[vs], ", ")
	}
	return strings.Join(parts, "; ")
}

// pathsText renders grant paths for a message, at most three.
func pathsText(paths []string) string {
	const max = 3
	if len(paths) <= max {
		return strings.Join(paths, "; ")
	}
	return fmt.Sprintf("%s; and %d more", strings.Join(paths[:max], "; "), len(paths)-max)
}

func subjectPath(i int) string { return fmt.Sprintf("subjects[%d]", i) }
