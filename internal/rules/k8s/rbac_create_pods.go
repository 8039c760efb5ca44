package k8s

import (
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/internal/rule"
)

// RBACCreatePods is KM-0033.
var RBACCreatePods = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0033",
		Slug:      "rbac-create-pods",
		Title:     "Roles should not grant creating pods or workloads",
		Severity:  rule.Medium,
		Practices: []string{"D10"},
		Rationale: "Whoever can create a pod, directly or through a Deployment, Job or other controller, can run it " +
			"with any service account of the namespace and mount any Secret, ConfigMap or volume there: creating " +
			"workloads is reading every Secret and using every identity of the namespace, and with a lax Pod " +
			"Security level it is root on a node.",
		Remediation: "Leave workload creation to the deployment pipeline's identity, scope it to the namespaces it " +
			"deploys to, and enforce a restrictive Pod Security level there; grant people read access instead.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#workload-creation",
		},
		Standards: rule.Standards{
			CIS: []string{"5.1.4"},
			NSA: []string{"Authentication and authorization: role-based access control"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(in *Input) []rule.Finding {
		var out []rule.Finding
		for i, r := range policyRules(in) {
			verbs := ruleVerbs(&r, "create")
			if len(verbs) == 0 {
				continue
			}
			for j, res := range r.Resources {
				if res == rbacv1.ResourceAll {
					if ruleGroupMatches(&r, "", "apps", "batch", "extensions") {
						out = append(out, finding(rulePath(i, "resources", j),
							"rules[%d] grants %s on every resource, pods included", i, verbList(verbs)))
					}
					continue
				}
				if groups, ok := podCreatingResources[res]; ok && ruleGroupMatches(&r, groups...) {
					out = append(out, finding(rulePath(i, "resources", j), "rules[%d] grants %s on %s", i, verbList(verbs), res))
				}
			}
		}
		return out
	},
}

// podCreatingResources are the resources whose creation runs pods, with their API groups.
var podCreatingResources = map[string][]string{
	"pods":                   {""},
	"replicationcontrollers": {""},
	"deployments":            {"apps", "extensions"},
	"daemonsets":             {"apps", "extensions"},
	"replicasets":            {"apps", "extensions"},
	"statefulsets":           {"apps"},
	"jobs":                   {"batch"},
	"cronjobs":               {"batch"},
}
