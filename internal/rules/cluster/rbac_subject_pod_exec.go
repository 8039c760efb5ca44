package cluster

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// RBACSubjectPodExec is KC-0006.
var RBACSubjectPodExec = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0006",
		Slug:      "rbac-subject-pod-exec",
		Title:     "Only the subjects that need it may exec or attach into pods",
		Severity:  rule.High,
		Practices: []string{"D10"},
		Rationale: "pods/exec and pods/attach open a shell in a running container: the subject gets the container's " +
			"processes, files, mounted Secrets and service-account token, and everything the workload's identity can " +
			"reach, without any change to the pod that admission control would see.",
		Remediation: "Grant exec and attach only to the people who debug a namespace, through a RoleBinding there, for " +
			"the time needed; never to workloads' service accounts. Prefer logs and ephemeral debug containers.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks",
			"https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-resources",
		},
		Standards: rule.Standards{
			NSA: []string{"Authentication and authorization: role-based access control"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: rbacNeeds,
	// create is what exec and attach need. get counts too when the server is older than
	// v1.35 or its version is unknown: there a WebSocket exec or attach is authorised with
	// get (v1.35 turned the AuthorizePodWebsocketUpgradeCreatePermission gate on).
	Check: func(s *cluster.Snapshot) []rule.Finding {
		verbs := []string{"create"}
		if minor, ok := serverMinor(s); !ok || minor < 35 {
			verbs = append(verbs, "get")
		}
		return permFindings(s, perms("", verbs, "pods/exec", "pods/attach"))
	},
}
