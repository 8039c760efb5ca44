package k8s

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kharden/kharden/internal/rule"
)

// ServiceAccountTokenAutomount is KM-0035.
var ServiceAccountTokenAutomount = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0035",
		Slug:      "service-account-token-automount",
		Title:     "Service-account tokens must be mounted only where needed",
		Severity:  rule.Medium,
		Practices: []string{"D11"},
		Rationale: "By default every pod gets a token for its service account mounted at " +
			"/var/run/secrets/kubernetes.io/serviceaccount. Most applications never call the Kubernetes API, but " +
			"anyone who compromises them can use the token to do whatever the service account may, and to probe " +
			"the API server for weaknesses.",
		Remediation: "Set automountServiceAccountToken: false on ServiceAccounts and in pod specs; for the few pods " +
			"that call the API, set it to true in that pod spec only (or mount a projected token with a short " +
			"lifetime and a specific audience).",
		References: []string{
			"https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting",
			"https://kubernetes.io/docs/concepts/security/service-accounts/",
		},
		Standards: rule.Standards{
			CIS: []string{"5.1.6"},
			NSA: []string{"Kubernetes Pod security: protecting Pod service account tokens"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	// A pod spec that leaves the field unset is reported even when its ServiceAccount opts
	// out, which a single-object check cannot see: the pod spec is where the intent belongs.
	Check: func(in *Input) []rule.Finding {
		if w := in.Workload; w != nil {
			switch a := w.Spec.AutomountServiceAccountToken; {
			case a == nil:
				return []rule.Finding{finding(w.Field("automountServiceAccountToken"),
					"pod spec does not set automountServiceAccountToken: false, so the service-account token is mounted")}
			case *a:
				return []rule.Finding{finding(w.Field("automountServiceAccountToken"),
					"pod spec sets automountServiceAccountToken: true")}
			}
			return nil
		}
		if sa, ok := in.Typed.(*corev1.ServiceAccount); ok {
			switch a := sa.AutomountServiceAccountToken; {
			case a == nil:
				return []rule.Finding{finding("automountServiceAccountToken",
					"ServiceAccount %q does not set automountServiceAccountToken: false", sa.Name)}
			case *a:
				return []rule.Finding{finding("automountServiceAccountToken",
					"ServiceAccount %q sets automountServiceAccountToken: true", sa.Name)}
			}
		}
		return nil
	},
}
