package cluster

import "github.com/kharden/kharden/internal/rule"

// ControlPlaneBindAddress is KC-0031.
var ControlPlaneBindAddress = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0031",
		Slug:      "control-plane-bind-address",
		Title:     "The controller manager and scheduler must listen on localhost only",
		Severity:  rule.Medium,
		Practices: []string{"D3"},
		Rationale: "kube-controller-manager and kube-scheduler serve health, metrics and debug endpoints on every " +
			"interface by default. Nothing off the node needs them, and each open port is a way in for a " +
			"vulnerability or a misconfigured authorization.",
		Remediation: "Set --bind-address=127.0.0.1 on both (kubeadm does), and scrape metrics through a local proxy if " +
			"needed.",
		References: []string{
			"https://kubernetes.io/docs/reference/command-line-tools-reference/kube-controller-manager/",
		},
		Standards: rule.Standards{
			CIS: []string{"1.3.7", "1.4.2"},
			NSA: []string{"Network separation and hardening: control plane hardening"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: controlPlaneNeeds,
	Flags: []string{"1.3.7", "1.4.2"},
}
