package node

import "github.com/kharden/kharden/internal/rule"

// KubeletIPTablesUtilChains is KN-0015.
var KubeletIPTablesUtilChains = &Rule{
	Meta: rule.Meta{
		ID:          "KN-0015",
		Slug:        "kubelet-iptables-util-chains",
		Title:       "The kubelet must manage its iptables utility chains",
		Severity:    rule.Low,
		Practices:   []string{"A2"},
		Rationale:   "With makeIPTablesUtilChains the kubelet keeps the chains that drop marked and martian packets in step with pod networking; without it they drift from what the node's network needs.",
		Remediation: "Leave makeIPTablesUtilChains at true in the kubelet's config file (remove --make-iptables-util-chains=false).",
		References:  []string{"https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/"},
		Standards:   rule.Standards{CIS: []string{"4.2.6"}},
		Since:       "0.1.0",
		Default:     true,
		Changes:     []string{"0.2.0: on a node with no kubelet process or unit (a node image audited offline), the kubelet's default config file and the flags in kubeadm-flags.env, /etc/default/kubelet or /etc/sysconfig/kubelet are read, so the rule gives a verdict where it was Skipped."},
	},
	Flags: []string{"4.2.6"},
}
