package k8s

import (
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/workload"
)

// AppArmorUnconfined is KM-0022.
var AppArmorUnconfined = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0022",
		Slug:      "apparmor-unconfined",
		Title:     "Containers must not run with an Unconfined AppArmor profile",
		Severity:  rule.High,
		Practices: []string{"C19"},
		Rationale: "On nodes with AppArmor the container runtime confines every container with its default profile, " +
			"which denies writes to /proc and /sys, mounts and other escape routes. An Unconfined profile switches " +
			"that protection off on purpose and leaves the container only its other defences.",
		Remediation: "Remove the Unconfined appArmorProfile (and any container.apparmor.security.beta.kubernetes.io " +
			"annotation set to unconfined), or set appArmorProfile.type to RuntimeDefault or to Localhost with a " +
			"profile written for the application.",
		References: []string{
			"https://kubernetes.io/docs/tutorials/security/apparmor/",
			"https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
		},
		Standards: rule.Standards{
			CIS: []string{"5.7.3"},
			PSS: []string{"baseline:appArmorProfile"},
			NSA: []string{"Kubernetes Pod security: Pod security enforcement"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(in *Input) []rule.Finding {
		return eachContainer(in, func(c workload.Container) []rule.Finding {
			p := effectiveAppArmor(in, c)
			switch {
			case !p.unconfined:
				return nil
			case p.annotation:
				return []rule.Finding{finding(p.path, "container %q runs without AppArmor confinement (annotation %s: %s)",
					c.Name, p.key, p.value)}
			case strings.HasPrefix(p.path, c.Path+"."):
				return []rule.Finding{finding(p.path, "container %q sets AppArmor profile Unconfined", c.Name)}
			}
			return []rule.Finding{finding(p.path, "container %q inherits AppArmor profile Unconfined from the pod securityContext", c.Name)}
		})
	},
}
