package k8s

import (
	"github.com/kharden/kharden/internal/rule"
)

// RBACEphemeralContainers is KM-0056.
var RBACEphemeralContainers = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0056",
		Slug:      "rbac-ephemeral-containers",
		Title:     "Roles must not grant adding ephemeral containers to pods",
		Severity:  rule.High,
		Practices: []string{"D10"},
		Rationale: "Updating pods/ephemeralcontainers (kubectl debug) adds a container of the subject's choosing to a " +
			"running pod: it shares the pod's namespaces, service-account token and volumes, like exec, and can " +
			"target another container's processes. Only Pod Security admission limits what it may do.",
		Remediation: "Grant ephemeral containers only to the people who debug a namespace, through a separate Role bound " +
			"for the time needed, never to workloads' service accounts; enforce a Pod Security level in that namespace.",
		References: []string{
			"https://kubernetes.io/docs/concepts/workloads/pods/ephemeral-containers/",
			"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks",
		},
		Standards: rule.Standards{
			NSA: []string{"Authentication and authorization: role-based access control"},
		},
		Since:   "0.2.0",
		Default: true,
	},
	Check: func(in *Input) []rule.Finding {
		return permFindings(in, ephemeralContainerPerms, permScope{})
	},
}

// ephemeralContainerPerms are the permissions whose grant the rule reports, made once rather than for every object checked.
var ephemeralContainerPerms = rbacPerms("", []string{"update", "patch"}, "pods/ephemeralcontainers")
