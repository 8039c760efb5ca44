package k8s

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kharden/kharden/internal/rule"
)

// CPURequests is KM-0014.
var CPURequests = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0014",
		Slug:      "cpu-requests",
		Title:     "Containers must set a CPU request",
		Severity:  rule.Low,
		Practices: []string{"C13"},
		Rationale: "The scheduler places pods by their requests. A container without a CPU request is treated as " +
			"needing almost nothing, so nodes get overcommitted, and under contention it gets the smallest share " +
			"of CPU: the workload starves and its neighbours are squeezed unpredictably.",
		Remediation: "Set resources.requests.cpu on every container and init container (or a pod-level " +
			"spec.resources.requests.cpu) to what the container uses under normal load. A CPU limit without a " +
			"request also passes: Kubernetes defaults the request to the limit.",
		References: []string{
			"https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
			"https://kubernetes.io/docs/tasks/configure-pod-container/assign-pod-level-resources/",
		},
		Standards: rule.Standards{NSA: []string{"Network separation and hardening: resource policies"}},
		Since:     "0.1.0",
		Default:   true,
	},
	Check: resourceCheck(corev1.ResourceCPU, true, "CPU request"),
}
