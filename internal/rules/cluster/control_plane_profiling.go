package cluster

import "github.com/kharden/kharden/internal/rule"

// ControlPlaneProfiling is KC-0030.
var ControlPlaneProfiling = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0030",
		Slug:      "control-plane-profiling",
		Title:     "Control-plane components must not serve profiling endpoints",
		Severity:  rule.Low,
		Practices: []string{"D3"},
		Rationale: "The /debug/pprof endpoints of the API server, controller manager and scheduler expose internals " +
			"(goroutines, heap contents) to whoever is authorized to them and let them load the component; " +
			"nothing needs them in production.",
		Remediation: "Set --profiling=false on kube-apiserver and kube-controller-manager, and on kube-scheduler (or " +
			"enableProfiling: false in its --config file); turn it on for a debugging session only.",
		References: []string{
			"https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/",
		},
		Standards: rule.Standards{
			CIS: []string{"1.2.15", "1.3.2", "1.4.1"},
			NSA: []string{"Network separation and hardening: control plane hardening"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: controlPlaneNeeds,
	Flags: []string{"1.2.15", "1.3.2", "1.4.1"},
}
