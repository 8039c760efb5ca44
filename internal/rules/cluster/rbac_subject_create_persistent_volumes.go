package cluster

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// RBACSubjectCreatePersistentVolumes is KC-0040.
var RBACSubjectCreatePersistentVolumes = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0040",
		Slug:      "rbac-subject-create-persistent-volumes",
		Title:     "Only storage provisioners and administrators may create PersistentVolumes",
		Severity:  rule.High,
		Practices: []string{"D10"},
		Rationale: "A PersistentVolume can be a hostPath: whoever creates one and claims it mounts a directory of " +
			"the node into a pod, past Pod Security admission, which judges the claim and not the volume behind " +
			"it. The node's files give the kubelet's credentials and other containers' data.",
		Remediation: "Let storage provisioners (CSI drivers) and trusted administrators create PersistentVolumes; " +
			"give everyone else PersistentVolumeClaims against a StorageClass.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#persistent-volume-creation",
		},
		Standards: rule.Standards{
			CIS: []string{"5.1.9"},
			NSA: []string{"Authentication and authorization: role-based access control"},
		},
		Since:   "0.2.0",
		Default: true,
	},
	Needs: rbacNeeds,
	// PersistentVolumes are cluster-scoped: only ClusterRoleBindings grant them. The
	// control plane's own provisioner (kube-system/persistent-volume-binder) is exempt with
	// Kubernetes' other identities.
	Check: func(s *cluster.Snapshot) []rule.Finding {
		return permFindings(s, clusterScoped(perms("", []string{"create"}, "persistentvolumes")))
	},
}
