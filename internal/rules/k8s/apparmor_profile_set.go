package k8s

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/workload"
)

// AppArmorProfileSet is KM-0023.
var AppArmorProfileSet = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0023",
		Slug:      "apparmor-profile-set",
		Title:     "Containers should declare an AppArmor profile",
		Severity:  rule.Low,
		Practices: []string{"C19"},
		Rationale: "Without an explicit profile a container gets whatever the node's runtime applies by default: the " +
			"runtime's profile on AppArmor hosts, nothing elsewhere, and the manifest does not say which was meant. " +
			"Declaring RuntimeDefault, or better a Localhost profile made for the application, records the intent " +
			"and lets admission and audits check it. The rule is off by default because nodes without AppArmor " +
			"ignore the setting, so it only helps where AppArmor is in use.",
		Remediation: "Set spec.securityContext.appArmorProfile.type: RuntimeDefault in the pod, or a Localhost profile " +
			"per container (generated with `kharden profile`, for example).",
		References: []string{
			"https://kubernetes.io/docs/tutorials/security/apparmor/",
		},
		Standards: rule.Standards{
			CIS: []string{"5.7.3"},
			NSA: []string{"Kubernetes Pod security: Pod security enforcement"},
		},
		Since:   "0.1.0",
		Default: false,
	},
	Check: func(in *Input) []rule.Finding {
		if windowsPod(in) {
			return nil // AppArmor is a Linux feature
		}
		return eachContainer(in, func(c workload.Container) []rule.Finding {
			if effectiveAppArmor(in, c).path != "" {
				return nil
			}
			return []rule.Finding{finding(c.Field("securityContext.appArmorProfile"),
				"container %q declares no AppArmor profile: set appArmorProfile.type to RuntimeDefault or Localhost", c.Name)}
		})
	},
}
