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
			"the API server for weaknesses. The pod spec's field decides when set; otherwise its ServiceAccount's " +
			"does, which kharden reads from the scanned inputs (from the cluster in kharden audit cluster): a pod " +
			"whose ServiceAccount opts out passes, and one whose ServiceAccount is not found is reported as " +
			"mounting the token, naming it.",
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
		Changes: []string{"0.2.0: the pod's ServiceAccount is looked up among the scanned inputs (in the cluster for audit cluster) and Kubernetes' precedence applies: the pod's field, else the ServiceAccount's, else mounted. A pod whose ServiceAccount sets automountServiceAccountToken: false passes (it was reported)."},
	},
	// Kubernetes' precedence: the pod spec's field when set, else the ServiceAccount's,
	// else the token is mounted. A ServiceAccount that no input holds is taken to mount it
	// (its default), and the message says it was not seen.
	Check: func(in *Input) []rule.Finding {
		if w := in.Workload; w != nil {
			switch a := w.Spec.AutomountServiceAccountToken; {
			case a == nil:
				ref, _ := podServiceAccount(in)
				sa, found := in.ServiceAccounts.Lookup(ref)
				return automountUnset(w.Field("automountServiceAccountToken"), ref, sa, found, in.ServiceAccounts.Complete())
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
	// A pod spec that leaves the field unset waits for its ServiceAccount when the index
	// lacks it and is not complete: another input may hold it.
	Await: func(in *Input) (ServiceAccountRef, Settle, bool) {
		w := in.Workload
		if w == nil || w.Spec.AutomountServiceAccountToken != nil || in.ServiceAccounts.Complete() {
			return ServiceAccountRef{}, nil, false
		}
		ref, _ := podServiceAccount(in)
		if _, found := in.ServiceAccounts.Lookup(ref); found {
			return ServiceAccountRef{}, nil, false
		}
		// Only strings are kept: the settling may come after the input is gone.
		path := w.Field("automountServiceAccountToken")
		return ref, func(sa ServiceAccountFacts, found bool) []rule.Finding {
			return automountUnset(path, ref, sa, found, false)
		}, true
	},
}

// automountUnset judges a pod spec that leaves automountServiceAccountToken unset, by its
// ServiceAccount (found: the index holds it; complete: the index holds every one there is).
func automountUnset(path string, ref ServiceAccountRef, sa ServiceAccountFacts, found, complete bool) []rule.Finding {
	switch {
	case found && !sa.mounts():
		return nil
	case found && sa.Automount != nil:
		return []rule.Finding{finding(path, "pod spec does not set automountServiceAccountToken and its ServiceAccount %q "+
			"sets it to true, so the service-account token is mounted", ref.String())}
	case found:
		return []rule.Finding{finding(path, "neither the pod spec nor its ServiceAccount %q sets automountServiceAccountToken: "+
			"false, so the service-account token is mounted", ref.String())}
	case complete:
		return []rule.Finding{finding(path, "pod spec does not set automountServiceAccountToken: false and its ServiceAccount %q "+
			"does not exist; with one that does not opt out, the service-account token is mounted", ref.String())}
	}
	return []rule.Finding{finding(path, "pod spec does not set automountServiceAccountToken: false and its ServiceAccount %q "+
		"is not among the inputs, so the service-account token is mounted unless that ServiceAccount sets it to false", ref.String())}
}
