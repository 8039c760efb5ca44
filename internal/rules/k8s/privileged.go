package k8s

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/workload"
)

// Privileged is KM-0004.
var Privileged = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0004",
		Slug:      "privileged",
		Title:     "Containers must not run privileged",
		Severity:  rule.Critical,
		Practices: []string{"C4"},
		Rationale: "A privileged container has every capability and sees every host device: it is root on the node " +
			"in all but name, and a compromise of the application is a compromise of the node.",
		Remediation: "Remove securityContext.privileged or set it to false; grant only the specific capabilities the " +
			"process needs.",
		References: []string{"https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline"},
		Standards: rule.Standards{PSS: []string{"baseline:privileged"}, NSA: []string{"Kubernetes Pod security: Pod security enforcement"},
			CIS: []string{"5.2.2"}},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(in *Input) []rule.Finding {
		return eachContainer(in, func(c workload.Container) []rule.Finding {
			if sc := c.SecurityContext; sc != nil && sc.Privileged != nil && *sc.Privileged {
				return []rule.Finding{finding(c.Field("securityContext.privileged"), "container %q runs privileged", c.Name)}
			}
			return nil
		})
	},
}
