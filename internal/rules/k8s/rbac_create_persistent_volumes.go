package k8s

import (
	"github.com/kharden/kharden/internal/rule"
)

// RBACCreatePersistentVolumes is KM-0054.
var RBACCreatePersistentVolumes = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0054",
		Slug:      "rbac-create-persistent-volumes",
		Title:     "ClusterRoles should not grant creating PersistentVolumes",
		Severity:  rule.High,
		Practices: []string{"D10"},
		Rationale: "A PersistentVolume can be a hostPath: whoever creates one and claims it mounts a directory of " +
			"the node, the root included, into a pod, past Pod Security admission, which judges the pod's volumes " +
			"(a claim) and not the volume behind it. The node's files give the kubelet's credentials and other " +
			"containers' data.",
		Remediation: "Let the storage provisioners (CSI drivers, the control plane) and trusted administrators create " +
			"PersistentVolumes; give everyone else PersistentVolumeClaims against a StorageClass.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#persistent-volume-creation",
			"https://kubernetes.io/docs/concepts/storage/persistent-volumes/",
		},
		Standards: rule.Standards{
			CIS: []string{"5.1.9"},
			NSA: []string{"Authentication and authorization: role-based access control"},
		},
		Since:   "0.2.0",
		Default: true,
	},
	// PersistentVolumes are cluster-scoped: a Role cannot grant them.
	Check: func(in *Input) []rule.Finding {
		return permFindings(in, createPVPerms, permScope{cluster: true})
	},
}

// createPVPerms are the permission whose grant the rule reports, made once rather than for every object checked.
var createPVPerms = rbacPerms("", []string{"create"}, "persistentvolumes")
