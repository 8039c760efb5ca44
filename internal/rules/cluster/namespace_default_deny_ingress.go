package cluster

import (
	"slices"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// NamespaceDefaultDenyIngress is KC-0003.
var NamespaceDefaultDenyIngress = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0003",
		Slug:      "namespace-default-deny-ingress",
		Title:     "Namespaces must have a default-deny ingress NetworkPolicy",
		Severity:  rule.Medium,
		Practices: []string{"D3"},
		Rationale: "Without a NetworkPolicy selecting a pod, every pod in the cluster can connect to it: one " +
			"compromised pod can reach every database, admin port and metrics endpoint in every namespace. A " +
			"default-deny policy (every pod selected, no ingress rule) makes each allowed flow an explicit " +
			"policy, and new workloads start closed.",
		Remediation: "Add to each namespace a NetworkPolicy with podSelector: {}, policyTypes: [Ingress] and no " +
			"ingress rules, then allow the flows each workload needs with further policies. Check that the " +
			"cluster's network plugin enforces NetworkPolicy (CIS 5.3.1): without one, policies are accepted and " +
			"ignored.",
		References: []string{
			"https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-ingress-traffic",
		},
		Standards: rule.Standards{
			CIS: []string{"5.3.2"},
			NSA: []string{"Network separation and hardening: network policies"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: []string{NeedNamespaces, NeedNetworkPolicies},
	Check: func(s *cluster.Snapshot) []rule.Finding {
		return withoutDefaultDeny(s, networkingv1.PolicyTypeIngress)
	},
}

// withoutDefaultDeny reports the namespaces that have no default-deny policy of a type.
// kube-system, kube-public and kube-node-lease are left alone: the first runs the
// cluster's DNS and network plugin, which every pod must reach; the other two run no
// pods. Namespaces being deleted are skipped.
func withoutDefaultDeny(s *cluster.Snapshot, t networkingv1.PolicyType) []rule.Finding {
	covered := map[string]bool{}
	for i := range s.NetworkPolicies {
		if p := &s.NetworkPolicies[i]; isDefaultDeny(p, t) {
			covered[p.Namespace] = true
		}
	}
	var out []rule.Finding
	for i := range s.Namespaces {
		ns := &s.Namespaces[i]
		if systemNamespaces[ns.Name] || covered[ns.Name] || ns.Status.Phase == "Terminating" {
			continue
		}
		out = append(out, finding(namespaceObject(ns.Name), "", "namespace %q has no default-deny %s NetworkPolicy "+
			"(podSelector: {}, policyTypes including %s, no %s rules)", ns.Name, lower(t), t, lower(t)))
	}
	return out
}

func lower(t networkingv1.PolicyType) string {
	if t == networkingv1.PolicyTypeEgress {
		return "egress"
	}
	return "ingress"
}

// isDefaultDeny tells whether a policy selects every pod of its namespace and allows
// nothing of a type. When policyTypes is empty the API server defaults it to Ingress,
// plus Egress when the policy has egress rules.
func isDefaultDeny(p *networkingv1.NetworkPolicy, t networkingv1.PolicyType) bool {
	sel := p.Spec.PodSelector
	if len(sel.MatchLabels) > 0 || len(sel.MatchExpressions) > 0 {
		return false
	}
	types := p.Spec.PolicyTypes
	if len(types) == 0 {
		types = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(p.Spec.Egress) > 0 {
			types = append(types, networkingv1.PolicyTypeEgress)
		}
	}
	if !slices.Contains(types, t) {
		return false
	}
	if t == networkingv1.PolicyTypeEgress {
		return len(p.Spec.Egress) == 0
	}
	return len(p.Spec.Ingress) == 0
}
