package node

import "github.com/kharden/kharden/internal/rule"

// KubeletHostnameOverride is KN-0016.
var KubeletHostnameOverride = &Rule{
	Meta: rule.Meta{
		ID:          "KN-0016",
		Slug:        "kubelet-hostname-override",
		Title:       "The kubelet must not override the node's host name",
		Severity:    rule.Low,
		Practices:   []string{"D8"},
		Rationale:   "An overridden host name makes the node's name differ from what its serving certificate and TLS verification expect, which pushes people to turn verification off between the API server and kubelets.",
		Remediation: "Remove --hostname-override from the kubelet's command line (cloud providers that need it set the node name otherwise).",
		References:  []string{"https://kubernetes.io/docs/reference/command-line-tools-reference/kubelet/"},
		Standards:   rule.Standards{CIS: []string{"4.2.7"}},
		Since:       "0.1.0",
		Default:     true,
		Changes:     []string{"0.2.0: on a node with no kubelet process or unit (a node image audited offline), the kubelet's default config file and the flags in kubeadm-flags.env, /etc/default/kubelet or /etc/sysconfig/kubelet are read, so the rule gives a verdict where it was Skipped."},
	},
	Flags: []string{"4.2.7"},
}
