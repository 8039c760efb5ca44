// Package cluster reads a live cluster into a Snapshot: every object the audit's rules
// need, listed once (paginated), with the kinds that could not be listed and why.
package cluster

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/version"
)

// Snapshot is what an audit sees of a cluster. Rules read it and never call the API.
type Snapshot struct {
	// Server is the API server's version; nil when it could not be read.
	Server *version.Info

	// Namespace is the namespace the namespaced lists were limited to; empty when they
	// cover every namespace.
	Namespace string

	Namespaces      []corev1.Namespace
	Nodes           []corev1.Node
	ServiceAccounts []corev1.ServiceAccount
	NetworkPolicies []networkingv1.NetworkPolicy

	Pods                   []corev1.Pod
	PodTemplates           []corev1.PodTemplate
	ReplicationControllers []corev1.ReplicationController
	Deployments            []appsv1.Deployment
	StatefulSets           []appsv1.StatefulSet
	DaemonSets             []appsv1.DaemonSet
	ReplicaSets            []appsv1.ReplicaSet
	Jobs                   []batchv1.Job
	CronJobs               []batchv1.CronJob

	Roles               []rbacv1.Role
	ClusterRoles        []rbacv1.ClusterRole
	RoleBindings        []rbacv1.RoleBinding
	ClusterRoleBindings []rbacv1.ClusterRoleBinding

	ValidatingWebhooks []admissionregistrationv1.ValidatingWebhookConfiguration
	MutatingWebhooks   []admissionregistrationv1.MutatingWebhookConfiguration

	// ControlPlane are the static pods of kube-apiserver, kube-controller-manager,
	// kube-scheduler and etcd in kube-system, when the cluster runs them as pods and the
	// auditor may see them.
	ControlPlane []corev1.Pod

	// Unavailable names each resource that could not be listed ("clusterroles"...; the
	// Resource* constants) with the reason; rules that need one report Error, not Pass.
	Unavailable map[string]error
}

// Missing returns the reason a resource could not be listed, or nil.
func (s *Snapshot) Missing(resource string) error {
	if s.Unavailable == nil {
		return nil
	}
	return s.Unavailable[resource]
}

// ControlPlanePods picks the control plane's static pods from pods (of any namespace),
// as Read fills Snapshot.ControlPlane.
func ControlPlanePods(pods []corev1.Pod) []corev1.Pod { return controlPlane(pods) }
