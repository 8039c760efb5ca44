package k8s

import "github.com/kharden/kharden/internal/rule"

// HostNetwork is KM-0008.
var HostNetwork = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0008",
		Slug:      "host-network",
		Title:     "Pods must not use the host's network namespace",
		Severity:  rule.High,
		Practices: []string{"C8"},
		Rationale: "With hostNetwork the containers use the node's network stack: they can bind any port on every " +
			"node address, reach services listening on the node's loopback (the kubelet, local proxies), sniff " +
			"traffic with NET_RAW, and are not governed by NetworkPolicies.",
		Remediation: "Remove hostNetwork or set it to false, and expose the application through a Service.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
			"https://kubernetes.io/docs/concepts/services-networking/network-policies/",
		},
		Standards: rule.Standards{
			CIS: []string{"5.2.5"},
			PSS: []string{"baseline:hostNamespaces"},
			NSA: []string{"Kubernetes Pod security: Pod security enforcement", "Network separation and hardening"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(in *Input) []rule.Finding {
		if w := in.Workload; w != nil && w.Spec.HostNetwork {
			return []rule.Finding{finding(w.Field("hostNetwork"), "pod uses the host's network namespace (hostNetwork: true)")}
		}
		return nil
	},
}
