package k8s

import (
	"fmt"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/workload"
)

// HostPorts is KM-0009.
var HostPorts = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0009",
		Slug:      "host-ports",
		Title:     "Containers must not bind host ports",
		Severity:  rule.Medium,
		Practices: []string{"C9"},
		Rationale: "A host port exposes the container on every address of the node, bypassing Services and " +
			"NetworkPolicies, and limits where the pod can be scheduled.",
		Remediation: "Remove hostPort from the container's ports and expose the port through a Service.",
		References:  []string{"https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline"},
		Standards: rule.Standards{PSS: []string{"baseline:hostPorts"}, NSA: []string{"Network separation and hardening"},
			CIS: []string{"5.2.13"}},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(in *Input) []rule.Finding {
		return eachContainer(in, func(c workload.Container) []rule.Finding {
			var out []rule.Finding
			for i, p := range c.Ports {
				if p.HostPort != 0 {
					out = append(out, finding(c.Field(fmt.Sprintf("ports[%d].hostPort", i)),
						"container %q binds host port %d", c.Name, p.HostPort))
				}
			}
			return out
		})
	},
}
