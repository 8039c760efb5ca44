package k8s

import (
	"fmt"

	"github.com/kharden/kharden/internal/rule"
)

// HostPathVolumes is KM-0011.
var HostPathVolumes = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0011",
		Slug:      "host-path-volumes",
		Title:     "Pods must not mount hostPath volumes",
		Severity:  rule.High,
		Practices: []string{"C11"},
		Rationale: "A hostPath volume gives the container a directory or file of the node: it can read other " +
			"workloads' data and the node's credentials, and with write access plant binaries, cron jobs or " +
			"configuration that the node runs. It also ties the pod to what one node's disk holds.",
		Remediation: "Use an emptyDir, a ConfigMap, a Secret, a projected volume or a PersistentVolumeClaim instead. " +
			"Node agents that truly need host files should mount the narrowest path read-only and be suppressed " +
			"with a reason.",
		References: []string{
			"https://kubernetes.io/docs/concepts/storage/volumes/#hostpath",
			"https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
		},
		Standards: rule.Standards{
			CIS: []string{"5.2.12"},
			PSS: []string{"baseline:hostPathVolumes", "restricted:restrictedVolumes"},
			NSA: []string{"Kubernetes Pod security: Pod security enforcement"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(in *Input) []rule.Finding {
		w := in.Workload
		if w == nil {
			return nil
		}
		var out []rule.Finding
		for i, v := range w.Spec.Volumes {
			if v.HostPath != nil {
				out = append(out, finding(w.Field(fmt.Sprintf("volumes[%d].hostPath", i)),
					"volume %q mounts host path %q", v.Name, v.HostPath.Path))
			}
		}
		return out
	},
}
