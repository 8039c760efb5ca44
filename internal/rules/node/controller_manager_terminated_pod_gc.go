package node

import "github.com/kharden/kharden/internal/rule"

// ControllerManagerTerminatedPodGC is KN-0026.
var ControllerManagerTerminatedPodGC = &Rule{
	Meta: rule.Meta{
		ID:          "KN-0026",
		Slug:        "controller-manager-terminated-pod-gc",
		Title:       "The controller manager must garbage-collect terminated pods at a threshold sized for the cluster",
		Severity:    rule.Info,
		Practices:   []string{"D3"},
		Rationale:   "Terminated pods are kept until their number reaches the threshold; the default of 12,500 can exhaust etcd and the API server's memory on small control planes, and keeps old pods' data around.",
		Remediation: "Set kube-controller-manager's --terminated-pod-gc-threshold to a value sized for the cluster, such as 10 to 1,000.",
		References:  []string{"https://kubernetes.io/docs/reference/command-line-tools-reference/kube-controller-manager/"},
		Standards:   rule.Standards{CIS: []string{"1.3.1"}},
		Since:       "0.1.0",
		Default:     true,
	},
	Flags: []string{"1.3.1"},
}
