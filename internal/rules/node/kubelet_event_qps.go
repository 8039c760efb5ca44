package node

import "github.com/kharden/kharden/internal/rule"

// KubeletEventQPS is KN-0017.
var KubeletEventQPS = &Rule{
	Meta: rule.Meta{
		ID:          "KN-0017",
		Slug:        "kubelet-event-qps",
		Title:       "The kubelet's event rate limit must let events through",
		Severity:    rule.Low,
		Practices:   []string{"D12"},
		Rationale:   "Events are part of the record of what happened on a node; an event rate limit of 0 in the wrong place, or one too low, loses them when they matter.",
		Remediation: "Set eventRecordQPS in the kubelet's config file to a value that keeps the node's events (the default, 50, or more), not 0 unless unlimited is intended.",
		References:  []string{"https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/"},
		Standards:   rule.Standards{CIS: []string{"4.2.8"}},
		Since:       "0.1.0",
		Default:     true,
		Changes:     []string{"0.2.0: on a node with no kubelet process or unit (a node image audited offline), the kubelet's default config file and the flags in kubeadm-flags.env, /etc/default/kubelet or /etc/sysconfig/kubelet are read, so the rule gives a verdict where it was Skipped."},
	},
	Flags: []string{"4.2.8"},
}
