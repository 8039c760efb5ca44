package k8s

import (
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/internal/rule"
)

// RBACPodExec is KM-0031.
var RBACPodExec = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0031",
		Slug:      "rbac-pod-exec",
		Title:     "Roles must not grant exec or attach into pods",
		Severity:  rule.High,
		Practices: []string{"D10"},
		Rationale: "pods/exec and pods/attach open a shell in a running container: the subject gets the container's " +
			"processes, files, mounted Secrets and service-account token, and everything the workload's identity can " +
			"reach, without any change to the pod that admission control would see.",
		Remediation: "Grant exec and attach only to the people who debug a namespace, through a separate Role bound " +
			"for the time needed; never to workloads' service accounts. Use ephemeral debug containers or logs " +
			"where possible.",
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
	// get counts as well as create: before Kubernetes v1.35 (and with the
	// AuthorizePodWebsocketUpgradeCreatePermission feature gate off) a WebSocket exec or
	// attach is authorised with get only.
	Check: func(in *Input) []rule.Finding {
		var out []rule.Finding
		for i, r := range policyRules(in) {
			if !ruleGroupMatches(&r, "") {
				continue
			}
			verbs := ruleVerbs(&r, "create", "get")
			if len(verbs) == 0 {
				continue
			}
			note := ""
			if !slices.Contains(verbs, "create") && !slices.Contains(verbs, rbacv1.VerbAll) {
				note = " (enough for exec over WebSocket before Kubernetes v1.35)"
			}
			for j, res := range r.Resources {
				switch {
				case res == rbacv1.ResourceAll:
					out = append(out, finding(rulePath(i, "resources", j),
						"rules[%d] grants %s on every resource, pods/exec and pods/attach included%s", i, verbList(verbs), note))
				case resourceMatches(res, "pods/exec") || resourceMatches(res, "pods/attach"):
					out = append(out, finding(rulePath(i, "resources", j), "rules[%d] grants %s on %s%s", i, verbList(verbs), res, note))
				}
			}
		}
		return out
	},
}
