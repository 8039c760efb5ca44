package k8s

import "github.com/kharden/kharden/internal/rule"

// HostIPC is KM-0007.
var HostIPC = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0007",
		Slug:      "host-ipc",
		Title:     "Pods must not share the host's IPC namespace",
		Severity:  rule.High,
		Practices: []string{"C7"},
		Rationale: "With hostIPC the containers share System V IPC and POSIX message queues and shared memory with " +
			"every process on the node, so they can read and tamper with other workloads' shared memory and " +
			"exhaust the node's IPC limits.",
		Remediation: "Remove hostIPC or set it to false; containers of one pod already share an IPC namespace.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
		},
		Standards: rule.Standards{
			CIS: []string{"5.2.4"},
			PSS: []string{"baseline:hostNamespaces"},
			NSA: []string{"Kubernetes Pod security: Pod security enforcement"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(in *Input) []rule.Finding {
		if w := in.Workload; w != nil && w.Spec.HostIPC {
			return []rule.Finding{finding(w.Field("hostIPC"), "pod shares the host's IPC namespace (hostIPC: true)")}
		}
		return nil
	},
}
