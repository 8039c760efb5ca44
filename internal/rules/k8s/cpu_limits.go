package k8s

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/workload"
)

// CPULimits is KM-0013.
var CPULimits = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0013",
		Slug:      "cpu-limits",
		Title:     "Containers must set a CPU limit",
		Severity:  rule.Low,
		Practices: []string{"C13"},
		Rationale: "A container without a CPU limit can use every idle core of the node, so one busy or compromised " +
			"workload (a crypto miner, a request flood) slows its neighbours and the node's own agents, and its " +
			"performance in production differs from what was tested.",
		Remediation: "Set resources.limits.cpu on every container and init container, or a pod-level " +
			"spec.resources.limits.cpu, sized from observed use; a LimitRange can supply defaults per namespace.",
		References: []string{
			"https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
			"https://kubernetes.io/docs/tasks/configure-pod-container/assign-pod-level-resources/",
		},
		Standards: rule.Standards{NSA: []string{"Network separation and hardening: resource policies"}},
		Since:     "0.1.0",
		Default:   true,
	},
	Check: resourceCheck(corev1.ResourceCPU, false, "CPU limit"),
}

// resourceCheck is the check of the rules that want every regular and init container to
// set a CPU or memory limit (request when request is true), or the pod to set one for all
// of them. Ephemeral containers are skipped: they cannot have resources. A limit also
// satisfies a request, because Kubernetes defaults a missing request to the limit.
func resourceCheck(name corev1.ResourceName, request bool, what string) func(*Input) []rule.Finding {
	field := "limits"
	if request {
		field = "requests"
	}
	sets := func(r *corev1.ResourceRequirements) bool {
		if r == nil {
			return false
		}
		_, limit := r.Limits[name]
		_, req := r.Requests[name]
		return limit || request && req
	}
	return func(in *Input) []rule.Finding {
		if in.Workload == nil || sets(in.Workload.Spec.Resources) {
			return nil
		}
		return eachContainer(in, func(c workload.Container) []rule.Finding {
			if c.Type == workload.Ephemeral || sets(&c.Resources) {
				return nil
			}
			return []rule.Finding{finding(c.Field("resources."+field+"."+string(name)), "container %q has no %s", c.Name, what)}
		})
	}
}
