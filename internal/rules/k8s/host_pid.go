package k8s

import "github.com/kharden/kharden/internal/rule"

// HostPID is KM-0006.
var HostPID = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0006",
		Slug:      "host-pid",
		Title:     "Pods must not share the host's PID namespace",
		Severity:  rule.High,
		Practices: []string{"C6"},
		Rationale: "With hostPID the containers see every process on the node: they can read other processes' " +
			"command lines and environment (often holding secrets), signal them, and, with ptrace or as root, " +
			"enter them through /proc/<pid>/root and take over the node.",
		Remediation: "Remove hostPID or set it to false. To share processes between the pod's own containers, use " +
			"shareProcessNamespace instead.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
			"https://kubernetes.io/docs/tasks/configure-pod-container/share-process-namespace/",
		},
		Standards: rule.Standards{
			CIS: []string{"5.2.3"},
			PSS: []string{"baseline:hostNamespaces"},
			NSA: []string{"Kubernetes Pod security: Pod security enforcement"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(in *Input) []rule.Finding {
		if w := in.Workload; w != nil && w.Spec.HostPID {
			return []rule.Finding{finding(w.Field("hostPID"), "pod shares the host's PID namespace (hostPID: true)")}
		}
		return nil
	},
}
