package node

import (
	"slices"
	"strings"
	"sync"

	"github.com/kharden/kharden/internal/rule"
)

// All returns every KN rule, sorted by ID. Adding a rule means adding it here.
func All() []*Rule {
	flagRulesOnce.Do(func() {
		for _, r := range all {
			if r.Flags != nil && r.Check == nil {
				r.Check = flagChecks(r.Flags...)
			}
		}
	})
	return slices.Clone(all)
}

// flagRulesOnce gives the rules made of flag checks their Check, once.
var flagRulesOnce sync.Once

var all = []*Rule{
	ControlPlaneManifestFiles,
	CNIConfigFiles,
	EtcdDataDir,
	ControlPlaneKubeconfigFiles,
	PKIFiles,
	KubeletFiles,
	KubeProxyKubeconfigFile,
	KubeletClientCAFile,
	KubeletAnonymousAuth,
	KubeletAuthorizationMode,
	KubeletClientCA,
	KubeletReadOnlyPort,
	KubeletStreamingIdleTimeout,
	KubeletIPTablesUtilChains,
	KubeletHostnameOverride,
	KubeletEventQPS,
	KubeletServingTLS,
	KubeletCertificateRotation,
	KubeletPodPidsLimit,
	KubeletSeccompDefault,
	KubeProxyMetricsBindAddress,
	APIServerTLSCipherSuites,
	APIServerRecommendedAdmissionPlugins,
	APIServerRequestTimeout,
	ControllerManagerTerminatedPodGC,
	EtcdDedicatedCA,
	APIServerAuditPolicyCoverage,
	KubeletProtectKernelDefaults,
	SSHDRootLogin,
	SSHDPasswordAuth,
	SSHDAllowedUsers,
	SudoNoPasswd,
	SudoersFilePermissions,
	SysctlBaseline,
	MandatoryAccessControl,
	KernelVersion,
	KernelModulesBlocked,
	PAMEmptyPasswords,
	PKICertificates,
}

// Metas returns the metadata of rules.
func Metas(rules []*Rule) []*rule.Meta {
	out := make([]*rule.Meta, len(rules))
	for i, r := range rules {
		out[i] = &r.Meta
	}
	return out
}

// Lookup finds a KN rule by slug or ID (case-insensitive ID), or returns nil.
func Lookup(name string) *Rule {
	for _, r := range All() {
		if r.Slug == name || strings.EqualFold(r.ID, name) {
			return r
		}
	}
	return nil
}
