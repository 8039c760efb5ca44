package k8s

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kharden/kharden/internal/rule"
)

// MemoryLimits is KM-0015.
var MemoryLimits = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0015",
		Slug:      "memory-limits",
		Title:     "Containers must set a memory limit",
		Severity:  rule.Medium,
		Practices: []string{"C14"},
		Rationale: "Memory cannot be throttled, only reclaimed by killing. A container without a memory limit can " +
			"grow until the node runs out, and then the kernel's OOM killer or the kubelet's eviction takes down " +
			"other pods too: a leak or a hostile request becomes a denial of service for the node.",
		Remediation: "Set resources.limits.memory on every container and init container, or a pod-level " +
			"spec.resources.limits.memory, sized from observed peak use; a LimitRange can supply defaults per namespace.",
		References: []string{
			"https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
			"https://kubernetes.io/docs/tasks/configure-pod-container/assign-pod-level-resources/",
		},
		Standards: rule.Standards{NSA: []string{"Network separation and hardening: resource policies"}},
		Since:     "0.1.0",
		Default:   true,
	},
	Check: resourceCheck(corev1.ResourceMemory, false, "memory limit"),
}
