package cluster

import (
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// NamespaceDefaultDenyEgress is KC-0004.
var NamespaceDefaultDenyEgress = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0004",
		Slug:      "namespace-default-deny-egress",
		Title:     "Namespaces should have a default-deny egress NetworkPolicy",
		Severity:  rule.Low,
		Practices: []string{"D3"},
		Rationale: "Without egress policies a compromised pod can reach the whole cluster, the cloud metadata " +
			"endpoint and the internet: to move sideways, to fetch tools and to send data out. A default-deny " +
			"egress policy makes every destination an explicit decision.",
		Remediation: "Add to each namespace a NetworkPolicy with podSelector: {}, policyTypes: [Egress] and no egress " +
			"rules, then allow what workloads need: DNS to kube-system (UDP and TCP 53) first, then each service " +
			"they call. Off by default because egress rules need a complete picture of each workload's " +
			"dependencies; enable it in .kharden.yaml once ingress is under control.",
		References: []string{
			"https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic",
		},
		Standards: rule.Standards{
			CIS: []string{"5.3.2"},
			NSA: []string{"Network separation and hardening: network policies"},
		},
		Since:   "0.1.0",
		Default: false,
	},
	Needs: []string{NeedNamespaces, NeedNetworkPolicies},
	// The same namespaces are left alone as in KC-0003.
	Check: func(s *cluster.Snapshot) []rule.Finding {
		return withoutDefaultDeny(s, networkingv1.PolicyTypeEgress)
	},
}
