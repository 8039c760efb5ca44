package node

import "github.com/kharden/kharden/internal/rule"

// KubeletReadOnlyPort is KN-0013.
var KubeletReadOnlyPort = &Rule{
	Meta: rule.Meta{
		ID:          "KN-0013",
		Slug:        "kubelet-read-only-port",
		Title:       "The kubelet's unauthenticated read-only port must be off",
		Severity:    rule.Medium,
		Practices:   []string{"D8"},
		Rationale:   "The read-only port (10255) serves pod specs, including environment variables, and node metrics with no authentication or authorization at all.",
		Remediation: "Set readOnlyPort: 0 in the kubelet's config file (or --read-only-port=0).",
		References:  []string{"https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/"},
		Standards:   rule.Standards{CIS: []string{"4.2.4"}},
		Since:       "0.1.0",
		Default:     true,
		Changes:     []string{"0.2.0: on a node with no kubelet process or unit (a node image audited offline), the kubelet's default config file and the flags in kubeadm-flags.env, /etc/default/kubelet or /etc/sysconfig/kubelet are read, so the rule gives a verdict where it was Skipped."},
	},
	Flags: []string{"4.2.4"},
}
