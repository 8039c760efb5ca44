package k8s

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kharden/kharden/internal/rule"
)

// MemoryRequests is KM-0016.
var MemoryRequests = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0016",
		Slug:      "memory-requests",
		Title:     "Containers must set a memory request",
		Severity:  rule.Low,
		Practices: []string{"C14"},
		Rationale: "The scheduler places pods by their requests. Pods without a memory request are packed onto " +
			"nodes that cannot hold them, and when memory runs short the kubelet evicts pods using more than they " +
			"requested first: a container without a request is among the first to go.",
		Remediation: "Set resources.requests.memory on every container and init container (or a pod-level " +
			"spec.resources.requests.memory) to what the container uses under normal load. A memory limit without " +
			"a request also passes: Kubernetes defaults the request to the limit.",
		References: []string{
			"https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
			"https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/",
		},
		Standards: rule.Standards{NSA: []string{"Network separation and hardening: resource policies"}},
		Since:     "0.1.0",
		Default:   true,
	},
	Check: resourceCheck(corev1.ResourceMemory, true, "memory request"),
}
