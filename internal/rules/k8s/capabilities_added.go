package k8s

import (
	"fmt"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/workload"
)

// CapabilitiesAdded is KM-0019.
var CapabilitiesAdded = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0019",
		Slug:      "capabilities-added",
		Title:     "Containers must add no capability other than NET_BIND_SERVICE",
		Severity:  rule.Low,
		Practices: []string{"C16"},
		Rationale: "Even the capabilities in the runtime's default set widen what a compromised process can do: " +
			"CHOWN, FOWNER and DAC_OVERRIDE defeat file permissions, SETUID and SETGID change identity, KILL signals " +
			"other processes in the container. The restricted Pod Security Standard allows adding back only " +
			"NET_BIND_SERVICE. Capabilities outside the default set are reported by forbidden-capabilities (KM-0018).",
		Remediation: "Remove the capability from securityContext.capabilities.add and fix what needed it: file " +
			"ownership at build time, a non-root UID from the start, a port above 1023.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
			"https://kubernetes.io/docs/tasks/configure-pod-container/security-context/#set-capabilities-for-a-container",
		},
		Standards: rule.Standards{
			CIS: []string{"5.2.9"},
			PSS: []string{"restricted:capabilities_restricted"},
			NSA: []string{"Kubernetes Pod security: Pod security enforcement"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(in *Input) []rule.Finding {
		return eachContainer(in, func(c workload.Container) []rule.Finding {
			var out []rule.Finding
			for i, cp := range addedCapabilities(c) {
				// Capabilities outside the baseline set are KM-0018's.
				if name := capabilityName(cp); baselineCapabilities[name] && name != "NET_BIND_SERVICE" {
					out = append(out, finding(c.Field(fmt.Sprintf("securityContext.capabilities.add[%d]", i)),
						"container %q adds capability %s; only NET_BIND_SERVICE may be added", c.Name, name))
				}
			}
			return out
		})
	},
}
