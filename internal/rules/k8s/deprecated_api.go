package k8s

import "github.com/kharden/kharden/internal/rule"

// DeprecatedAPI is KM-0039.
var DeprecatedAPI = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0039",
		Slug:      "deprecated-api",
		Title:     "Objects must not use deprecated or removed API versions",
		Severity:  rule.Medium,
		Practices: []string{"D4"},
		Rationale: "An API version that Kubernetes has removed is refused by the API server: the manifest fails to " +
			"apply on an upgraded cluster, often in the middle of a release, and blocks the upgrades that bring " +
			"security fixes. A deprecated version will be removed on a known date and is the same problem deferred.",
		Remediation: "Change apiVersion to the replacement named in the finding and adapt the fields that changed " +
			"(see the Deprecated API Migration Guide; `kubectl convert` can rewrite most objects).",
		References: []string{
			"https://kubernetes.io/docs/reference/using-api/deprecation-guide/",
			"https://kubernetes.io/docs/reference/using-api/deprecation-policy/",
		},
		Standards: rule.Standards{
			NSA: []string{"Upgrading and application security practices"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(in *Input) []rule.Finding {
		d, ok := deprecatedAPIs[apiKind{in.Object.APIVersion, in.Object.Kind}]
		if !ok {
			return nil
		}
		if d.removed <= knownKubernetesMinor {
			return []rule.Finding{finding("apiVersion", "%s %s was removed in Kubernetes v1.%d; use %s",
				in.Object.APIVersion, in.Object.Kind, d.removed, d.use)}
		}
		return []rule.Finding{finding("apiVersion", "%s %s is deprecated since Kubernetes v1.%d and will be removed in v1.%d; use %s",
			in.Object.APIVersion, in.Object.Kind, d.deprecated, d.removed, d.use)}
	},
}

// knownKubernetesMinor is the newest Kubernetes minor release the table below was
// checked against (that of the k8s.io/api module kharden builds with): a removal at or
// before it is reported as done, a later one as coming.
const knownKubernetesMinor = 37

type apiKind struct{ apiVersion, kind string }

// apiDeprecation says when an API version of a kind was deprecated and removed (minor
// releases of Kubernetes v1) and what to use instead.
type apiDeprecation struct {
	deprecated, removed int
	use                 string
}

// deprecatedAPIs is built from the Deprecated API Migration Guide and the
// prerelease-lifecycle markers of k8s.io/api. Only kinds that people write in manifests
// are listed; review-style APIs (TokenReview, SubjectAccessReview...) are included since
// they appear in test fixtures and policies.
var deprecatedAPIs = func() map[apiKind]apiDeprecation {
	m := map[apiKind]apiDeprecation{}
	add := func(apiVersion string, deprecated, removed int, use string, kinds ...string) {
		for _, k := range kinds {
			if _, dup := m[apiKind{apiVersion, k}]; dup {
				panic("deprecatedAPIs: duplicate entry " + apiVersion + " " + k)
			}
			m[apiKind{apiVersion, k}] = apiDeprecation{deprecated, removed, use}
		}
	}
	const psa = "Pod Security Admission (the PodSecurityPolicy API has no successor)"

	// Removed in v1.16.
	add("extensions/v1beta1", 8, 16, "apps/v1", "Deployment", "DaemonSet", "ReplicaSet")
	add("extensions/v1beta1", 9, 16, "networking.k8s.io/v1", "NetworkPolicy")
	add("extensions/v1beta1", 11, 16, psa, "PodSecurityPolicy")
	add("apps/v1beta1", 8, 16, "apps/v1", "Deployment", "StatefulSet", "ControllerRevision")
	add("apps/v1beta2", 9, 16, "apps/v1", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ControllerRevision")

	// Removed in v1.21.
	add("batch/v2alpha1", 8, 21, "batch/v1", "CronJob")

	// Removed in v1.22.
	add("admissionregistration.k8s.io/v1beta1", 16, 22, "admissionregistration.k8s.io/v1",
		"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
	add("apiextensions.k8s.io/v1beta1", 16, 22, "apiextensions.k8s.io/v1", "CustomResourceDefinition")
	add("apiregistration.k8s.io/v1beta1", 19, 22, "apiregistration.k8s.io/v1", "APIService")
	add("authentication.k8s.io/v1beta1", 19, 22, "authentication.k8s.io/v1", "TokenReview")
	add("authorization.k8s.io/v1beta1", 19, 22, "authorization.k8s.io/v1",
		"LocalSubjectAccessReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview", "SubjectAccessReview")
	add("certificates.k8s.io/v1beta1", 19, 22, "certificates.k8s.io/v1", "CertificateSigningRequest")
	add("coordination.k8s.io/v1beta1", 19, 22, "coordination.k8s.io/v1", "Lease")
	add("extensions/v1beta1", 14, 22, "networking.k8s.io/v1", "Ingress")
	add("networking.k8s.io/v1beta1", 19, 22, "networking.k8s.io/v1", "Ingress", "IngressClass")
	add("rbac.authorization.k8s.io/v1alpha1", 17, 22, "rbac.authorization.k8s.io/v1",
		"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
	add("rbac.authorization.k8s.io/v1beta1", 17, 22, "rbac.authorization.k8s.io/v1",
		"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
	add("scheduling.k8s.io/v1beta1", 14, 22, "scheduling.k8s.io/v1", "PriorityClass")
	add("storage.k8s.io/v1beta1", 19, 22, "storage.k8s.io/v1", "CSIDriver", "CSINode", "StorageClass", "VolumeAttachment")

	// Removed in v1.24.
	add("storage.k8s.io/v1alpha1", 21, 24, "storage.k8s.io/v1", "VolumeAttachment", "CSIStorageCapacity")

	// Removed in v1.25.
	add("batch/v1beta1", 21, 25, "batch/v1", "CronJob")
	add("discovery.k8s.io/v1beta1", 21, 25, "discovery.k8s.io/v1", "EndpointSlice")
	add("events.k8s.io/v1beta1", 22, 25, "events.k8s.io/v1", "Event")
	add("autoscaling/v2beta1", 22, 25, "autoscaling/v2", "HorizontalPodAutoscaler")
	add("policy/v1beta1", 21, 25, "policy/v1", "PodDisruptionBudget")
	add("policy/v1beta1", 21, 25, psa, "PodSecurityPolicy")
	add("node.k8s.io/v1beta1", 22, 25, "node.k8s.io/v1", "RuntimeClass")

	// Removed in v1.26.
	add("flowcontrol.apiserver.k8s.io/v1beta1", 23, 26, "flowcontrol.apiserver.k8s.io/v1",
		"FlowSchema", "PriorityLevelConfiguration")
	add("autoscaling/v2beta2", 23, 26, "autoscaling/v2", "HorizontalPodAutoscaler")

	// Removed in v1.27.
	add("storage.k8s.io/v1beta1", 24, 27, "storage.k8s.io/v1", "CSIStorageCapacity")

	// Removed in v1.29.
	add("flowcontrol.apiserver.k8s.io/v1beta2", 26, 29, "flowcontrol.apiserver.k8s.io/v1",
		"FlowSchema", "PriorityLevelConfiguration")

	// Removed in v1.31: the first dynamic resource allocation API.
	add("resource.k8s.io/v1alpha2", 30, 31, "resource.k8s.io/v1",
		"ResourceClaim", "ResourceClaimTemplate", "ResourceClass", "PodSchedulingContext",
		"ResourceClaimParameters", "ResourceClassParameters")

	// Removed in v1.32.
	add("flowcontrol.apiserver.k8s.io/v1beta3", 29, 32, "flowcontrol.apiserver.k8s.io/v1",
		"FlowSchema", "PriorityLevelConfiguration")
	add("admissionregistration.k8s.io/v1alpha1", 29, 32, "admissionregistration.k8s.io/v1",
		"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")
	add("authentication.k8s.io/v1alpha1", 29, 32, "authentication.k8s.io/v1", "SelfSubjectReview")

	// Removed in v1.33 and v1.34.
	add("authentication.k8s.io/v1beta1", 30, 33, "authentication.k8s.io/v1", "SelfSubjectReview")
	add("resource.k8s.io/v1alpha3", 32, 34, "resource.k8s.io/v1",
		"DeviceClass", "ResourceClaim", "ResourceClaimTemplate", "ResourceSlice")
	add("admissionregistration.k8s.io/v1beta1", 31, 34, "admissionregistration.k8s.io/v1",
		"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")

	// Removed in v1.35 to v1.37.
	add("storage.k8s.io/v1alpha1", 32, 35, "storage.k8s.io/v1", "VolumeAttributesClass")
	add("storage.k8s.io/v1beta1", 34, 37, "storage.k8s.io/v1", "VolumeAttributesClass")
	add("networking.k8s.io/v1beta1", 34, 37, "networking.k8s.io/v1", "IPAddress", "ServiceCIDR")
	add("certificates.k8s.io/v1alpha1", 34, 37, "certificates.k8s.io/v1", "ClusterTrustBundle")

	// Deprecated, removal scheduled.
	add("resource.k8s.io/v1beta1", 35, 38, "resource.k8s.io/v1",
		"DeviceClass", "ResourceClaim", "ResourceClaimTemplate", "ResourceSlice")
	add("resource.k8s.io/v1beta2", 36, 39, "resource.k8s.io/v1",
		"DeviceClass", "ResourceClaim", "ResourceClaimTemplate", "ResourceSlice")
	add("admissionregistration.k8s.io/v1alpha1", 35, 38, "admissionregistration.k8s.io/v1",
		"MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding")
	add("admissionregistration.k8s.io/v1beta1", 37, 40, "admissionregistration.k8s.io/v1",
		"MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding")
	add("certificates.k8s.io/v1beta1", 37, 40, "certificates.k8s.io/v1", "ClusterTrustBundle", "PodCertificateRequest")
	add("storagemigration.k8s.io/v1beta1", 37, 40, "storagemigration.k8s.io/v1", "StorageVersionMigration")
	return m
}()
