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
	case "apps.openshift.io/DeploymentConfig":
		return &DeploymentConfig{}
	case "argoproj.io/Rollout":
		return &Rollout{}
	case "serving.knative.dev/Service":
		return &KnativeService{}
	case "keda.sh/ScaledJob":
		return &ScaledJob{}
	}
	return nil
}

// builtinGroups are the API groups kube-apiserver serves itself. Only they are judged by
// WrongGroup: a custom resource may reuse a built-in kind's name in its own group (a
// CustomResourceDefinition's group must hold a dot, and some *.k8s.io groups, such as
// gateway.networking.k8s.io, are served by CRDs).
var builtinGroups = map[string]bool{
	"": true, "apps": true, "batch": true, "extensions": true, "policy": true, "autoscaling": true,
	"rbac.authorization.k8s.io": true, "networking.k8s.io": true, "storage.k8s.io": true,
	"scheduling.k8s.io": true, "node.k8s.io": true, "discovery.k8s.io": true,
	"coordination.k8s.io": true, "certificates.k8s.io": true, "admissionregistration.k8s.io": true,
	"apiextensions.k8s.io": true, "apiregistration.k8s.io": true, "authentication.k8s.io": true,
	"authorization.k8s.io": true, "events.k8s.io": true, "flowcontrol.apiserver.k8s.io": true,
	"resource.k8s.io": true, "internal.apiserver.k8s.io": true, "storagemigration.k8s.io": true,
}

// servedAs is the apiVersion each built-in kind New knows is served under today, and the
// groups that ever served it.
var servedAs = map[string]struct {
	apiVersion string
	groups     []string
}{
	"Pod": {"v1", []string{""}}, "PodTemplate": {"v1", []string{""}},
	"ReplicationController": {"v1", []string{""}}, "ConfigMap": {"v1", []string{""}},
	"Secret": {"v1", []string{""}}, "ServiceAccount": {"v1", []string{""}},
	"Namespace": {"v1", []string{""}}, "Service": {"v1", []string{""}},
	"Deployment": {"apps/v1", []string{"apps", "extensions"}}, "StatefulSet": {"apps/v1", []string{"apps"}},
	"DaemonSet": {"apps/v1", []string{"apps", "extensions"}}, "ReplicaSet": {"apps/v1", []string{"apps", "extensions"}},
	"Job": {"batch/v1", []string{"batch"}}, "CronJob": {"batch/v1", []string{"batch"}},
	"Role":               {"rbac.authorization.k8s.io/v1", []string{"rbac.authorization.k8s.io"}},
	"ClusterRole":        {"rbac.authorization.k8s.io/v1", []string{"rbac.authorization.k8s.io"}},
	"RoleBinding":        {"rbac.authorization.k8s.io/v1", []string{"rbac.authorization.k8s.io"}},
	"ClusterRoleBinding": {"rbac.authorization.k8s.io/v1", []string{"rbac.authorization.k8s.io"}},
	"NetworkPolicy":      {"networking.k8s.io/v1", []string{"networking.k8s.io", "extensions"}},
}

// WrongGroup tells whether apiVersion puts a built-in kind that kharden reads in a
// built-in API group that never served it (apiVersion: v1 with kind: Deployment), which
// the API server refuses; want is the apiVersion that serves the kind. A kind in a group
// of its own (example.com/v1 Deployment) is a custom resource, not wrong.
func WrongGroup(apiVersion, kind string) (want string, wrong bool) {
	s, ok := servedAs[kind]
	g := Group(apiVersion)
	if !ok || !builtinGroups[g] {
		return "", false
	}
	for _, sg := range s.groups {
		if g == sg {
			return "", false
		}
	}
	return s.apiVersion, true
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
