package k8s

import (
	"fmt"

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
			"the reviewed manifest, keep file ownership on volumes predictable and keep separate workloads from sharing IDs. " +
			"Group 0 set on purpose is no better: runAsGroup: 0, fsGroup: 0 or a 0 in supplementalGroups gives the " +
			"process root's group, and with it every file on the node or on volumes that root's group may read or write. " +
			"(runAsUser: 0 is reported by run-as-non-root.)",
		Remediation: "Set securityContext.runAsUser and securityContext.runAsGroup to non-zero IDs, at pod level for " +
			"every container or per container, and keep 0 out of the pod's fsGroup and supplementalGroups.",
		References: []string{
			"https://kubernetes.io/docs/tasks/configure-pod-container/security-context/#set-the-security-context-for-a-pod",
		},
		Standards: rule.Standards{
			CIS: []string{"5.7.3"},
			NSA: []string{"Kubernetes Pod security: non-root containers and rootless container engines"},
		},
		Since:   "0.1.0",
		Default: true,
		Changes: []string{"0.2.0: runAsGroup: 0, fsGroup: 0 and a 0 in supplementalGroups fail, pod or container level (they passed)."},
	},
	Check: func(in *Input) []rule.Finding {
		out := eachContainer(in, func(c workload.Container) []rule.Finding {
			uid, _ := runAsUserOf(in.Workload, c)
			gid, gidPath := runAsGroupOf(in.Workload, c)
			switch {
			case uid == nil && gid == nil:
				return []rule.Finding{finding(c.Field("securityContext.runAsUser"),
					"container %q sets neither runAsUser nor runAsGroup", c.Name)}
			case uid == nil:
				return []rule.Finding{finding(c.Field("securityContext.runAsUser"), "container %q sets no runAsUser", c.Name)}
			case gid == nil:
				return []rule.Finding{finding(c.Field("securityContext.runAsGroup"), "container %q sets no runAsGroup", c.Name)}
			case *gid == 0:
				return []rule.Finding{finding(gidPath, "container %q runs with root's group (runAsGroup: 0%s)", c.Name, podLevelNote(c, gidPath))}
			}
			return nil
		})
		if in.Workload == nil {
			return out
		}
		return append(out, rootPodGroups(in.Workload)...)
	},
}

// rootPodGroups reports group 0 in the pod-level group settings, which every container
// gets whatever its own securityContext says.
func rootPodGroups(w *workload.Workload) []rule.Finding {
	psc := w.Spec.SecurityContext
	if psc == nil {
		return nil
	}
	var out []rule.Finding
	if psc.FSGroup != nil && *psc.FSGroup == 0 {
		out = append(out, finding(w.Field("securityContext.fsGroup"),
			"pod sets fsGroup: 0: its volumes are owned by root's group and every container joins it"))
	}
	for i, g := range psc.SupplementalGroups {
		if g == 0 {
			out = append(out, finding(w.Field(fmt.Sprintf("securityContext.supplementalGroups[%d]", i)),
				"pod adds root's group to every container (supplementalGroups contains 0)"))
		}
	}
	return out
}

func runAsGroupOf(w *workload.Workload, c workload.Container) (*int64, string) {
	return podOrContainer(w, c, "runAsGroup",
		func(s *corev1.SecurityContext) *int64 { return s.RunAsGroup },
		func(s *corev1.PodSecurityContext) *int64 { return s.RunAsGroup })
}
