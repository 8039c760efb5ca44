package cluster

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// RBACSubjectCreateWorkloads is KC-0007.
var RBACSubjectCreateWorkloads = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0007",
		Slug:      "rbac-subject-create-workloads",
		Title:     "Only the subjects that need it may create pods or workload controllers",
		Severity:  rule.Medium,
		Practices: []string{"D10"},
		Rationale: "Whoever creates a pod, directly or through a Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, " +
			"CronJob or ReplicationController, chooses what it mounts and runs as: any Secret, ConfigMap or service " +
			"account of the namespace, and, as far as Pod Security admission allows, the host itself. Create is a " +
			"path to every identity in the namespace.",
		Remediation: "Let a deployment pipeline or GitOps controller create workloads, with its own service account " +
			"bound per namespace; give people read access and a reviewed path to change manifests. Enforce a Pod " +
			"Security level in namespaces where workloads are created (KC-0001).",
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
	Needs: rbacNeeds,
	Check: func(s *cluster.Snapshot) []rule.Finding {
		create := []string{"create"}
		ps := perms("", create, "pods", "replicationcontrollers")
		ps = append(ps, perms("apps", create, "deployments", "statefulsets", "daemonsets", "replicasets")...)
		ps = append(ps, perms("batch", create, "jobs", "cronjobs")...)
		return permFindings(s, ps)
	},
}
