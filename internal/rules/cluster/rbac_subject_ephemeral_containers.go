package cluster

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// RBACSubjectEphemeralContainers is KC-0042.
var RBACSubjectEphemeralContainers = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0042",
		Slug:      "rbac-subject-ephemeral-containers",
		Title:     "Only the subjects that need it may add ephemeral containers to pods",
		Severity:  rule.High,
		Practices: []string{"D10"},
		Rationale: "Updating pods/ephemeralcontainers (kubectl debug) adds a container of the subject's choosing to a " +
			"running pod: it shares the pod's namespaces, service-account token and volumes, like exec. Only Pod " +
			"Security admission limits what it may do.",
		Remediation: "Grant ephemeral containers only to the people who debug a namespace, through a RoleBinding there, " +
			"for the time needed; never to workloads' service accounts.",
		References: []string{
			"https://kubernetes.io/docs/concepts/workloads/pods/ephemeral-containers/",
		},
		Standards: rule.Standards{
			NSA: []string{"Authentication and authorization: role-based access control"},
		},
		Since:   "0.2.0",
		Default: true,
	},
	Needs: rbacNeeds,
	Check: func(s *cluster.Snapshot) []rule.Finding {
		return permFindings(s, perms("", []string{"update", "patch"}, "pods/ephemeralcontainers"))
	},
}
