package k8s

import "github.com/kharden/kharden/internal/rule"

// All returns every manifest rule, sorted by ID: the KM-00xx rules listed here, then the
// Pod Security Standards rules of PSSRules (KM-01xx). Adding a rule means adding it here.
func All() []*Rule {
	return append([]*Rule{
		RunAsNonRoot,
		RunAsUserSet,
		AllowPrivilegeEscalation,
		Privileged,
		ReadOnlyRootFilesystem,
		HostPID,
		HostIPC,
		HostNetwork,
		HostPorts,
		UnsafeSysctls,
		HostPathVolumes,
		RuntimeSocketMount,
		CPULimits,
		CPURequests,
		MemoryLimits,
		MemoryRequests,
		CapabilitiesDropAll,
		ForbiddenCapabilities,
		CapabilitiesAdded,
		DefaultNamespace,
		SeccompProfile,
		AppArmorUnconfined,
		AppArmorProfileSet,
		SELinuxOptions,
		ImageTagLatest,
		ImageDigest,
		SecretsInEnv,
		SecretsInConfigMap,
		RBACWildcard,
		RBACSecretsAccess,
		RBACPodExec,
		RBACEscalateBindImpersonate,
		RBACCreatePods,
		ClusterAdminBinding,
		ServiceAccountTokenAutomount,
		DefaultServiceAccount,
		UntrustedRegistry,
		ImagePullPolicy,
		DeprecatedAPI,
		SecretsAsEnvVars,
		RBACNodeProxy,
		RBACCSRApproval,
		RBACAdmissionWebhooks,
		RBACTokenRequest,
		RBACCreatePersistentVolumes,
		RBACModifyNamespaces,
		RBACEphemeralContainers,
		DefaultServiceAccountBinding,
		SeccompLocalhostProfile,
	}, PSSRules()...)
}

// Metas returns the metadata of rules.
func Metas(rules []*Rule) []*rule.Meta {
	out := make([]*rule.Meta, len(rules))
	for i, r := range rules {
		out[i] = &r.Meta
	}
	return out
}
