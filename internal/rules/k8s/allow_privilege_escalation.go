package k8s

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/workload"
)

// AllowPrivilegeEscalation is KM-0003.
var AllowPrivilegeEscalation = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0003",
		Slug:      "allow-privilege-escalation",
		Title:     "Containers must set allowPrivilegeEscalation to false",
		Severity:  rule.High,
		Practices: []string{"C3"},
		Rationale: "Unless allowPrivilegeEscalation is false, the runtime leaves the no_new_privs flag off and a " +
			"process can gain privileges it was not started with, through setuid or setgid binaries or file " +
			"capabilities. It defaults to true, and is always true for privileged containers and for containers " +
			"that add CAP_SYS_ADMIN.",
		Remediation: "Set securityContext.allowPrivilegeEscalation: false on every container, and remove privileged: " +
			"true and the SYS_ADMIN capability, which force it back on.",
		References: []string{
			"https://kubernetes.io/docs/tasks/configure-pod-container/security-context/",
			"https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
		},
		Standards: rule.Standards{
			CIS: []string{"5.2.6"},
			PSS: []string{"restricted:allowPrivilegeEscalation"},
			NSA: []string{"Kubernetes Pod security: Pod security enforcement"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(in *Input) []rule.Finding {
		return eachContainer(in, func(c workload.Container) []rule.Finding {
			path := c.Field("securityContext.allowPrivilegeEscalation")
			sc := c.SecurityContext
			if sc == nil {
				return []rule.Finding{finding(path, "container %q does not set allowPrivilegeEscalation: false", c.Name)}
			}
			var forced string
			switch {
			case sc.Privileged != nil && *sc.Privileged:
				forced = "it is privileged"
			case sc.Capabilities != nil && hasCapability(sc.Capabilities.Add, "SYS_ADMIN"):
				forced = "it adds CAP_SYS_ADMIN"
			}
			ape := sc.AllowPrivilegeEscalation
			switch {
			case forced != "" && ape != nil && !*ape:
				return []rule.Finding{finding(path,
					"container %q sets allowPrivilegeEscalation: false, but can escalate privileges anyway: %s", c.Name, forced)}
			case forced != "":
				return []rule.Finding{finding(path,
					"container %q can escalate privileges: %s, which makes allowPrivilegeEscalation true regardless", c.Name, forced)}
			case ape == nil:
				return []rule.Finding{finding(path, "container %q does not set allowPrivilegeEscalation: false", c.Name)}
			case *ape:
				return []rule.Finding{finding(path, "container %q allows privilege escalation (allowPrivilegeEscalation: true)", c.Name)}
			}
			return nil
		})
	},
}
