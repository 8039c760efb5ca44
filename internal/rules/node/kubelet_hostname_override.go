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
	},
	Flags: []string{"4.2.7"},
}
