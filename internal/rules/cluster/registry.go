package cluster

import (
	"slices"
	"strings"
	"sync"

	"github.com/kharden/kharden/internal/rule"
)

// All returns every cluster rule, sorted by ID. Adding a rule means adding it here.
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

// flagRulesOnce gives the control-plane rules their Check, once.
var flagRulesOnce sync.Once

var all = []*Rule{
	NamespacePSAEnforce,
	NamespacePSAPrivileged,
	NamespaceDefaultDenyIngress,
	NamespaceDefaultDenyEgress,
	RBACSubjectSecretsRead,
	RBACSubjectPodExec,
	RBACSubjectCreateWorkloads,
	RBACSubjectEscalateBind,
	RBACSubjectImpersonate,
	RBACSubjectWildcard,
	RBACSubjectClusterAdmin,
	DefaultServiceAccountBound,
	DefaultServiceAccountAutomount,
	ServerVersionSupported,
	ServerVersionPatch,
	KubeletVersionSupported,
	KubeletVersionSkew,
	NodeKernelVersion,
	APIServerAnonymousAuth,
	APIServerTokenAuthFile,
	APIServerAuthorizationMode,
	APIServerEncryptionAtRest,
	APIServerAuditLog,
	APIServerAuditPolicy,
	APIServerServingTLS,
	APIServerEtcdTLS,
	KubeletTLS,
	APIServerAdmissionPlugins,
	APIServerServiceAccountTokens,
	ControlPlaneProfiling,
	ControlPlaneBindAddress,
	ControllerManagerServiceAccountCredentials,
	ControllerManagerServiceAccountKeys,
	EtcdClientTLS,
	EtcdPeerTLS,
	RBACSubjectNodeProxy,
	RBACSubjectCSRApproval,
	RBACSubjectAdmissionWebhooks,
	RBACSubjectTokenRequest,
	RBACSubjectCreatePersistentVolumes,
	RBACSubjectModifyNamespaces,
	RBACSubjectEphemeralContainers,
}

// Metas returns the metadata of rules.
func Metas(rules []*Rule) []*rule.Meta {
	out := make([]*rule.Meta, len(rules))
	for i, r := range rules {
		out[i] = &r.Meta
	}
	return out
}

// Lookup finds a rule by slug or ID (case-insensitive ID), or returns nil.
func Lookup(name string) *Rule {
	for _, r := range All() {
		if r.Slug == name || strings.EqualFold(r.ID, name) {
			return r
		}
	}
	return nil
}
