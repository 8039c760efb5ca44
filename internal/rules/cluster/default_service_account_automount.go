package cluster

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// DefaultServiceAccountAutomount is KC-0013.
var DefaultServiceAccountAutomount = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0013",
		Slug:      "default-service-account-automount",
		Title:     "Default service accounts must not mount their token into pods",
		Severity:  rule.Low,
		Practices: []string{"D11"},
		Rationale: "Pods that name no service account run as their namespace's default one and, unless told " +
			"otherwise, get its API token mounted. Most never call the API, but anyone who takes over one of them " +
			"holds a token, and whatever is later granted to the default account.",
		Remediation: "Set automountServiceAccountToken: false on each namespace's default ServiceAccount " +
			"(kubectl patch serviceaccount default -n NAMESPACE -p '{\"automountServiceAccountToken\": false}'). A " +
			"pod that needs a token uses its own service account, or sets automountServiceAccountToken: true itself.",
		References: []string{
			"https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting",
		},
		Standards: rule.Standards{
			CIS: []string{"5.1.5", "5.1.6"},
			NSA: []string{"Kubernetes Pod security: protecting Pod service account tokens"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: []string{NeedServiceAccounts},
	// Every namespace is checked, kube-system included: a component that needs a token
	// names its own service account.
	Check: func(s *cluster.Snapshot) []rule.Finding {
		var out []rule.Finding
		for i := range s.ServiceAccounts {
			sa := &s.ServiceAccounts[i]
			if sa.Name != "default" {
				continue
			}
			obj := rule.Object{APIVersion: "v1", Kind: "ServiceAccount", Namespace: sa.Namespace, Name: sa.Name}
			switch a := sa.AutomountServiceAccountToken; {
			case a == nil:
				out = append(out, finding(obj, "automountServiceAccountToken",
					"the default service account of namespace %q does not set automountServiceAccountToken: false", sa.Namespace))
			case *a:
				out = append(out, finding(obj, "automountServiceAccountToken",
					"the default service account of namespace %q sets automountServiceAccountToken: true", sa.Namespace))
			}
		}
		return out
	},
}
