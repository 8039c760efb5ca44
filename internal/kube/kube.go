// Package kube knows the Kubernetes kinds kharden reads as typed API structs: which Go
// type an apiVersion and kind decode into, including removed API versions whose shape
// matches a current one.
package kube

import (
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Group returns the API group of an apiVersion ("" for the core group).
func Group(apiVersion string) string {
	for i := 0; i < len(apiVersion); i++ {
		if apiVersion[i] == '/' {
			return apiVersion[:i]
		}
	}
	return ""
}

// New returns a pointer to an empty typed struct for the kind, or nil when kharden does
// not read that kind as a typed object. Removed versions (extensions/v1beta1 Deployment,
// batch/v1beta1 CronJob, rbac v1beta1...) decode into the current type: the fields the
// rules read have the same shape.
func New(apiVersion, kind string) any {
	g := Group(apiVersion)
	switch g + "/" + kind {
	case "/Pod":
		return &corev1.Pod{}
	case "/PodTemplate":
		return &corev1.PodTemplate{}
	case "/ReplicationController":
		return &corev1.ReplicationController{}
	case "/ConfigMap":
		return &corev1.ConfigMap{}
	case "/Secret":
		return &corev1.Secret{}
	case "/ServiceAccount":
		return &corev1.ServiceAccount{}
	case "/Namespace":
		return &corev1.Namespace{}
	case "/Service":
		return &corev1.Service{}
	case "apps/Deployment", "extensions/Deployment":
		return &appsv1.Deployment{}
	case "apps/StatefulSet":
		return &appsv1.StatefulSet{}
	case "apps/DaemonSet", "extensions/DaemonSet":
		return &appsv1.DaemonSet{}
	case "apps/ReplicaSet", "extensions/ReplicaSet":
		return &appsv1.ReplicaSet{}
	case "batch/Job":
		return &batchv1.Job{}
	case "batch/CronJob":
		return &batchv1.CronJob{}
	case "rbac.authorization.k8s.io/Role":
		return &rbacv1.Role{}
	case "rbac.authorization.k8s.io/ClusterRole":
		return &rbacv1.ClusterRole{}
	case "rbac.authorization.k8s.io/RoleBinding":
		return &rbacv1.RoleBinding{}
	case "rbac.authorization.k8s.io/ClusterRoleBinding":
		return &rbacv1.ClusterRoleBinding{}
	case "networking.k8s.io/NetworkPolicy", "extensions/NetworkPolicy":
		return &networkingv1.NetworkPolicy{}
	}
	return nil
}

// Meta returns the object metadata of a typed object, or nil.
func Meta(typed any) *metav1.ObjectMeta {
	if o, ok := typed.(interface{ GetObjectMeta() metav1.Object }); ok {
		if m, ok := o.GetObjectMeta().(*metav1.ObjectMeta); ok {
			return m
		}
	}
	return nil
}

// Namespaced tells whether objects of the kind live in a namespace. Unknown kinds are
// assumed namespaced, as most custom resources are.
func Namespaced(apiVersion, kind string) bool {
	switch kind {
	case "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding",
		"CustomResourceDefinition", "StorageClass", "PriorityClass", "RuntimeClass",
		"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService",
		"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "IngressClass",
		"CSIDriver", "CSINode", "VolumeAttachment", "PodSecurityPolicy", "ClusterIssuer",
		"CertificateSigningRequest", "FlowSchema", "PriorityLevelConfiguration",
		"MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding", "DeviceClass",
		"GatewayClass", "ComponentStatus", "ClusterTrustBundle":
		return false
	}
	return true
}
