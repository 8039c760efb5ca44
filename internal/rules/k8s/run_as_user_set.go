package k8s

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/workload"
)

// RunAsUserSet is KM-0002.
var RunAsUserSet = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0002",
		Slug:      "run-as-user-set",
		Title:     "Containers must set runAsUser and runAsGroup",
		Severity:  rule.Low,
		Practices: []string{"C2"},
		Rationale: "Without runAsUser and runAsGroup the process gets whatever user and group the image declares, " +
			"which changes when the image does and is often root's group 0. Explicit IDs make the identity part of " +
			"the reviewed manifest, keep file ownership on volumes predictable and keep separate workloads from sharing IDs.",
		Remediation: "Set securityContext.runAsUser and securityContext.runAsGroup to non-zero IDs, at pod level for " +
			"every container or per container.",
		References: []string{
			"https://kubernetes.io/docs/tasks/configure-pod-container/security-context/#set-the-security-context-for-a-pod",
		},
		Standards: rule.Standards{
			CIS: []string{"5.7.3"},
			NSA: []string{"Kubernetes Pod security: non-root containers and rootless container engines"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(in *Input) []rule.Finding {
		return eachContainer(in, func(c workload.Container) []rule.Finding {
			uid, _ := runAsUserOf(in.Workload, c)
			gid, _ := runAsGroupOf(in.Workload, c)
			switch {
			case uid == nil && gid == nil:
				return []rule.Finding{finding(c.Field("securityContext.runAsUser"),
					"container %q sets neither runAsUser nor runAsGroup", c.Name)}
			case uid == nil:
				return []rule.Finding{finding(c.Field("securityContext.runAsUser"), "container %q sets no runAsUser", c.Name)}
			case gid == nil:
				return []rule.Finding{finding(c.Field("securityContext.runAsGroup"), "container %q sets no runAsGroup", c.Name)}
			}
			return nil
		})
	},
}

func runAsGroupOf(w *workload.Workload, c workload.Container) (*int64, string) {
	return podOrContainer(w, c, "runAsGroup",
		func(s *corev1.SecurityContext) *int64 { return s.RunAsGroup },
		func(s *corev1.PodSecurityContext) *int64 { return s.RunAsGroup })
}
