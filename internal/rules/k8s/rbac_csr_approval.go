package k8s

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/internal/rbac"
	"github.com/kharden/kharden/internal/rule"
)

// RBACCSRApproval is KM-0051.
var RBACCSRApproval = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0051",
		Slug:      "rbac-csr-approval",
		Title:     "ClusterRoles must not grant approving client certificate signing requests",
		Severity:  rule.Critical,
		Practices: []string{"D10"},
		Rationale: "Approving a CertificateSigningRequest for the kubernetes.io/kube-apiserver-client signer has the " +
			"cluster's CA sign a client certificate for whatever user and groups the request names, Kubernetes' own " +
			"components' included (kube-apiserver-client-kubelet: any node's identity). Such a certificate cannot " +
			"be revoked before it expires. Approving takes update on certificatesigningrequests/approval and " +
			"approve on the signer.",
		Remediation: "Leave client-certificate approval to administrators (kubectl certificate approve) and the " +
			"control plane's own approvers. An approver of kubelet serving certificates needs approve on " +
			"signers named kubernetes.io/kubelet-serving only (resourceNames).",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#csrs-and-certificate-issuing",
			"https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/#authorization",
		},
		Standards: rule.Standards{
			CIS: []string{"5.1.11"},
			NSA: []string{"Authentication and authorization: role-based access control"},
		},
		Since:   "0.2.0",
		Default: true,
	},
	// Both halves must be in the role; the finding is at each entry that grants the
	// approval update, and names the rule that grants approving the signer. A Role cannot
	// grant either (both resources are cluster-scoped).
	Check: func(in *Input) []rule.Finding {
		cr, ok := in.Typed.(*rbacv1.ClusterRole)
		if !ok {
			return nil
		}
		var signers []string
		for i := range cr.Rules {
			if s := clientSigners(&cr.Rules[i]); s != "" {
				signers = append(signers, fmt.Sprintf("rules[%d] grants approve on %s", i, s))
			}
		}
		if len(signers) == 0 {
			return nil
		}
		approval := rbacPerms(certificatesGroup, []string{"update"}, "certificatesigningrequests/approval")
		var out []rule.Finding
		for _, f := range permFindings(in, approval, permScope{cluster: true, named: true}) {
			f.Message += " and " + strings.Join(signers, ", ") + ": together they approve client certificates for any name"
			out = append(out, f)
		}
		return out
	},
}

const certificatesGroup = "certificates.k8s.io"

// clientSigners describes which client signers a rule grants approve on ("signers
// kubernetes.io/kube-apiserver-client", "every signer"), or returns "" for none.
func clientSigners(r *rbacv1.PolicyRule) string {
	if !rbac.VerbMatches(r, "approve") || !rbac.APIGroupMatches(r, certificatesGroup) || !rbac.ResourceMatches(r, "signers", "") {
		return ""
	}
	if len(r.ResourceNames) == 0 {
		return "every signer"
	}
	var names []string
	for _, s := range rbac.ClientSigners {
		for _, n := range []string{s, rbac.SignerDomainWildcard(s)} {
			if slices.Contains(r.ResourceNames, n) && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "signers " + strings.Join(names, ", ")
}
