package k8s

import "github.com/kharden/kharden/internal/rule"

// All returns every manifest rule, sorted by ID. Adding a rule means adding it here.
func All() []*Rule {
	return []*Rule{
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
		PSSAllowPrivilegeEscalation,
		PSSAppArmorProfile,
		PSSCapabilitiesBaseline,
		PSSCapabilitiesRestricted,
		PSSHostNamespaces,
		PSSHostPathVolumes,
		PSSHostPorts,
		PSSHostProbesAndHostLifecycle,
		PSSPrivileged,
		PSSProcMount,
		PSSProcMountRestricted,
		PSSRestrictedVolumes,
		PSSRunAsNonRoot,
		PSSRunAsUser,
		PSSSELinuxOptions,
		PSSSeccompProfileBaseline,
		PSSSeccompProfileRestricted,
		PSSSysctls,
		PSSWindowsHostProcess,
	}
}

// Metas returns the metadata of rules.
func Metas(rules []*Rule) []*rule.Meta {
	out := make([]*rule.Meta, len(rules))
	for i, r := range rules {
		out[i] = &r.Meta
	}
	return out
}
