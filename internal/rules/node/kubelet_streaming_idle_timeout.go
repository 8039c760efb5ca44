package node

import "github.com/kharden/kharden/internal/rule"

// KubeletStreamingIdleTimeout is KN-0014.
var KubeletStreamingIdleTimeout = &Rule{
	Meta: rule.Meta{
		ID:          "KN-0014",
		Slug:        "kubelet-streaming-idle-timeout",
		Title:       "Idle exec, attach and port-forward streams to the kubelet must time out",
		Severity:    rule.Low,
		Practices:   []string{"D8"},
		Rationale:   "A timeout of 0 keeps idle exec and port-forward connections open for ever: forgotten sessions stay usable and the kubelet can be exhausted of connections.",
		Remediation: "Set streamingConnectionIdleTimeout in the kubelet's config file to a duration such as 5m (not 0).",
		References:  []string{"https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/"},
		Standards:   rule.Standards{CIS: []string{"4.2.5"}},
		Since:       "0.1.0",
		Default:     true,
		Changes:     []string{"0.2.0: on a node with no kubelet process or unit (a node image audited offline), the kubelet's default config file and the flags in kubeadm-flags.env, /etc/default/kubelet or /etc/sysconfig/kubelet are read, so the rule gives a verdict where it was Skipped."},
	},
	Flags: []string{"4.2.5"},
}
