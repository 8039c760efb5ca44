package k8s

import (
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/workload"
)

// CapabilitiesDropAll is KM-0017.
var CapabilitiesDropAll = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0017",
		Slug:      "capabilities-drop-all",
		Title:     "Containers must drop all capabilities",
		Severity:  rule.Medium,
		Practices: []string{"C15"},
		Rationale: "Container runtimes grant a default set of Linux capabilities (CHOWN, DAC_OVERRIDE, FOWNER, SETUID, " +
			"SETGID, NET_RAW and more) that most applications never use. Each is a tool for an intruder: NET_RAW " +
			"allows spoofing on the pod network, DAC_OVERRIDE bypasses file permissions. Dropping ALL and adding " +
			"back only what is needed leaves nothing to misuse.",
		Remediation: "Set securityContext.capabilities.drop: [ALL] on every container, and add back only the " +
			"capabilities the process needs (usually none, at most NET_BIND_SERVICE).",
		References: []string{
			"https://kubernetes.io/docs/tasks/configure-pod-container/security-context/#set-capabilities-for-a-container",
			"https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
		},
		Standards: rule.Standards{
			CIS: []string{"5.2.8", "5.2.10"},
			PSS: []string{"restricted:capabilities_restricted"},
			NSA: []string{"Kubernetes Pod security: Pod security enforcement"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(in *Input) []rule.Finding {
		return eachContainer(in, func(c workload.Container) []rule.Finding {
			sc := c.SecurityContext
			if sc != nil && sc.Capabilities != nil {
				for _, d := range sc.Capabilities.Drop {
					if strings.EqualFold(strings.TrimSpace(string(d)), "ALL") {
						return nil
					}
				}
			}
			return []rule.Finding{finding(c.Field("securityContext.capabilities.drop"),
				"container %q does not drop all capabilities (capabilities.drop has no ALL)", c.Name)}
		})
	},
}
