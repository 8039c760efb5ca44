package k8s

import (
	"github.com/kharden/kharden/internal/rule"
)

// DefaultServiceAccount is KM-0036.
var DefaultServiceAccount = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0036",
		Slug:      "default-service-account",
		Title:     "Pods should not run as the default service account",
		Severity:  rule.Low,
		Practices: []string{"D11"},
		Rationale: "Every namespace has a default service account that every pod without serviceAccountName runs as. " +
			"Permissions granted to it, for one workload's sake, go to all of them, and audit logs cannot tell the " +
			"workloads apart.",
		Remediation: "Create a ServiceAccount per workload, grant it only what that workload needs, and set " +
			"serviceAccountName in the pod spec; set automountServiceAccountToken: false on the default service account.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/service-accounts/#default-service-accounts",
			"https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/",
		},
		Standards: rule.Standards{
			CIS: []string{"5.1.5"},
			NSA: []string{"Kubernetes Pod security: protecting Pod service account tokens"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	// A pod that sets automountServiceAccountToken: false has no API identity to share, so
	// running as the default service account is harmless there and not reported.
	Check: func(in *Input) []rule.Finding {
		w := in.Workload
		if w == nil {
			return nil
		}
		s := w.Spec
		if a := s.AutomountServiceAccountToken; a != nil && !*a {
			return nil
		}
		name, field := s.ServiceAccountName, "serviceAccountName"
		if name == "" && s.DeprecatedServiceAccount != "" {
			name, field = s.DeprecatedServiceAccount, "serviceAccount"
		}
		switch name {
		case "":
			return []rule.Finding{finding(w.Field(field), "pod runs as the default service account: serviceAccountName is not set")}
		case "default":
			return []rule.Finding{finding(w.Field(field), "pod runs as the default service account (%s: default)", field)}
		}
		return nil
	},
}
