package node

import "github.com/kharden/kharden/internal/rule"

// KubeletPodPidsLimit is KN-0020.
var KubeletPodPidsLimit = &Rule{
	Meta: rule.Meta{
		ID:          "KN-0020",
		Slug:        "kubelet-pod-pids-limit",
		Title:       "The kubelet must limit the number of processes in a pod",
		Severity:    rule.Low,
		Practices:   []string{"A2"},
		Rationale:   "Without a PID limit one pod can fork until the node runs out of process IDs, and the kubelet, the runtime and every other pod fail with it.",
		Remediation: "Set podPidsLimit in the kubelet's config file (or --pod-max-pids) to a bound such as 4096.",
		References:  []string{"https://kubernetes.io/docs/concepts/policy/pid-limiting/"},
		Standards:   rule.Standards{CIS: []string{"4.2.13"}},
		Since:       "0.1.0",
		Default:     true,
		Changes:     []string{"0.2.0: on a node with no kubelet process or unit (a node image audited offline), the kubelet's default config file and the flags in kubeadm-flags.env, /etc/default/kubelet or /etc/sysconfig/kubelet are read, so the rule gives a verdict where it was Skipped."},
	},
	Flags: []string{"4.2.13"},
}
