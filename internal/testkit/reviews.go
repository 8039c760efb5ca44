package testkit

import (
	"encoding/json"
	"fmt"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// Review is an AdmissionReview body with its request's UID and kind, and whether a
// webhook enforcing the level high must allow it.
type Review struct {
	Body    []byte
	UID     string
	Kind    string
	Allowed bool
}

// Reviews prepares n distinct AdmissionReviews as the API server sends them (defaults
// filled in, managedFields, user, options): half Pods as the ReplicaSet controller creates
// them, half Deployments as `kubectl apply` does, a sidecar in every third pod, and the
// given share (every fifth for 0.2) violating one rule the enforce level high denies
// (privileged, hostNetwork, root, a runtime socket, SYS_ADMIN in turn). The load
// benchmark (hack/bench/webhook) sends them, and the handler benchmark judges them.
func Reviews(n int, violating float64) []Review {
	every := 0
	if violating > 0 {
		every = int(1/violating + 0.5)
	}
	var out []Review
	for i := range n {
		bad := every > 0 && i%every == 0
		spec := RealisticPodSpec(i, bad)
		uid := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		var obj any
		var gvk metav1.GroupVersionKind
		var gvr metav1.GroupVersionResource
		name := fmt.Sprintf("web-%d", i)
		labels := map[string]string{"app.kubernetes.io/name": fmt.Sprintf("app-%d", i%37), "app.kubernetes.io/part-of": "shop", "pod-template-hash": "7d4b9c5f8"}
		if i%2 == 0 {
			gvk, gvr = metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, metav1.GroupVersionResource{Version: "v1", Resource: "pods"}
			obj = &corev1.Pod{
				TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
				ObjectMeta: metav1.ObjectMeta{GenerateName: name + "-7d4b9c5f8-", Namespace: "shop", Labels: labels,
					OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: name + "-7d4b9c5f8",
						UID: types.UID("11111111-2222-4333-8444-555555555555"), Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}},
					ManagedFields: reviewManagedFields("kube-controller-manager")},
				Spec: spec,
			}
		} else {
			gvk, gvr = metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, metav1.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
			obj = &appsv1.Deployment{
				TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: labels, Generation: 1, ManagedFields: reviewManagedFields("kubectl-client-side-apply")},
				Spec: appsv1.DeploymentSpec{
					Replicas:                ptr.To[int32](3),
					Selector:                &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": labels["app.kubernetes.io/name"]}},
					Strategy:                appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType},
					RevisionHistoryLimit:    ptr.To[int32](10),
					ProgressDeadlineSeconds: ptr.To[int32](600),
					Template:                corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec},
				},
			}
		}
		raw, err := json.Marshal(obj)
		if err != nil {
			panic(err) // plain API structs always encode
		}
		rv := admissionv1.AdmissionReview{
			TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
			Request: &admissionv1.AdmissionRequest{
				UID: types.UID(uid), Kind: gvk, Resource: gvr, RequestKind: &gvk, RequestResource: &gvr,
				Namespace: "shop", Operation: admissionv1.Create,
				UserInfo: reviewUser(i%2 == 0),
				Object:   runtime.RawExtension{Raw: raw},
				DryRun:   ptr.To(false),
				Options:  runtime.RawExtension{Raw: []byte(`{"kind":"CreateOptions","apiVersion":"meta.k8s.io/v1","fieldManager":"kubectl-client-side-apply","fieldValidation":"Strict"}`)},
			},
		}
		if i%2 != 0 {
			rv.Request.Name = name
		}
		body, err := json.Marshal(rv)
		if err != nil {
			panic(err)
		}
		out = append(out, Review{Body: body, UID: uid, Kind: gvk.Kind, Allowed: !bad})
	}
	return out
}

// RealisticPodSpec is the i-th pod spec of Reviews, with the defaults the API server
// fills in; hardened unless bad, which breaks one high or critical rule (five kinds in
// turn).
func RealisticPodSpec(i int, bad bool) corev1.PodSpec {
	image := fmt.Sprintf("registry.example.com/shop/svc-%d@sha256:%064x", i%23, i)
	c := corev1.Container{
		Name: "app", Image: image, ImagePullPolicy: corev1.PullIfNotPresent,
		Args:  []string{"--port=8080", "--log-format=json"},
		Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
		Env: []corev1.EnvVar{{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}},
			{Name: "LOG_LEVEL", Value: "info"}},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("256Mi")}},
		ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080), Scheme: corev1.URISchemeHTTP}},
			TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3},
		TerminationMessagePath: "/dev/termination-log", TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		VolumeMounts: []corev1.VolumeMount{{Name: "tmp", MountPath: "/tmp"}, {Name: "kube-api-access", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true}},
		SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
			Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
	}
	spec := corev1.PodSpec{
		Containers: []corev1.Container{c},
		Volumes: []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			{Name: "kube-api-access", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{DefaultMode: ptr.To[int32](420), Sources: []corev1.VolumeProjection{
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{ExpirationSeconds: ptr.To[int64](3607), Path: "token"}},
				{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"}, Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
			}}}}},
		RestartPolicy: corev1.RestartPolicyAlways, TerminationGracePeriodSeconds: ptr.To[int64](30), DNSPolicy: corev1.DNSClusterFirst,
		ServiceAccountName: "shop-app", DeprecatedServiceAccount: "shop-app", SchedulerName: "default-scheduler",
		SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](10001), RunAsGroup: ptr.To[int64](10001),
			FSGroup: ptr.To[int64](10001), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
		Tolerations: []corev1.Toleration{
			{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)},
			{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)}},
		Priority: ptr.To[int32](0), EnableServiceLinks: ptr.To(true), PreemptionPolicy: ptr.To(corev1.PreemptLowerPriority),
	}
	if i%3 == 0 { // a sidecar in every third pod
		side := c
		side.SecurityContext = c.SecurityContext.DeepCopy()
		side.Name, side.Image, side.Args, side.Ports = "proxy", fmt.Sprintf("registry.example.com/mesh/proxy@sha256:%064x", 7), []string{"proxy"}, nil
		spec.Containers = append(spec.Containers, side)
	}
	if !bad {
		return spec
	}
	sc := spec.Containers[0].SecurityContext
	switch (i / 5) % 5 {
	case 0:
		sc.Privileged, sc.AllowPrivilegeEscalation = ptr.To(true), nil
	case 1:
		spec.HostNetwork = true
	case 2:
		spec.SecurityContext.RunAsNonRoot, spec.SecurityContext.RunAsUser = nil, ptr.To[int64](0)
	case 3:
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: "docker", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/run/docker.sock"}}})
	case 4:
		sc.Capabilities.Add, sc.AllowPrivilegeEscalation = []corev1.Capability{"SYS_ADMIN"}, nil
	}
	return spec
}

func reviewManagedFields(manager string) []metav1.ManagedFieldsEntry {
	return []metav1.ManagedFieldsEntry{{Manager: manager, Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "v1",
		Time: &metav1.Time{Time: time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)}, FieldsType: "FieldsV1",
		FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:metadata":{"f:generateName":{},"f:labels":{".":{},"f:app.kubernetes.io/name":{},"f:app.kubernetes.io/part-of":{},"f:pod-template-hash":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\"11111111-2222-4333-8444-555555555555\"}":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:args":{},"f:env":{".":{},"k:{\"name\":\"LOG_LEVEL\"}":{".":{},"f:name":{},"f:value":{}},"k:{\"name\":\"POD_NAME\"}":{".":{},"f:name":{},"f:valueFrom":{".":{},"f:fieldRef":{}}}},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:ports":{".":{},"k:{\"containerPort\":8080,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{},"f:name":{},"f:protocol":{}}},"f:readinessProbe":{".":{},"f:failureThreshold":{},"f:httpGet":{".":{},"f:path":{},"f:port":{},"f:scheme":{}},"f:periodSeconds":{},"f:successThreshold":{},"f:timeoutSeconds":{}},"f:resources":{".":{},"f:limits":{".":{},"f:cpu":{},"f:memory":{}},"f:requests":{".":{},"f:cpu":{},"f:memory":{}}},"f:securityContext":{".":{},"f:allowPrivilegeEscalation":{},"f:capabilities":{".":{},"f:drop":{}},"f:readOnlyRootFilesystem":{}},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{},"f:volumeMounts":{".":{},"k:{\"mountPath\":\"/tmp\"}":{".":{},"f:mountPath":{},"f:name":{}}}}},"f:dnsPolicy":{},"f:enableServiceLinks":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{".":{},"f:fsGroup":{},"f:runAsGroup":{},"f:runAsNonRoot":{},"f:runAsUser":{},"f:seccompProfile":{".":{},"f:type":{}}},"f:serviceAccount":{},"f:serviceAccountName":{},"f:terminationGracePeriodSeconds":{},"f:volumes":{".":{},"k:{\"name\":\"tmp\"}":{".":{},"f:emptyDir":{},"f:name":{}}}}}`)},
	}}
}

func reviewUser(controller bool) authenticationv1.UserInfo {
	if controller {
		return authenticationv1.UserInfo{Username: "system:serviceaccount:kube-system:replicaset-controller", UID: "5f6a7b8c-1d2e-4f3a-9b8c-7d6e5f4a3b2c",
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"}}
	}
	return authenticationv1.UserInfo{Username: "alice@example.com", Groups: []string{"developers", "system:authenticated"}}
}
