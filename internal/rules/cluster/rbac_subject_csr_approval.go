package cluster

import (
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/internal/rbac"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// RBACSubjectCSRApproval is KC-0037.
var RBACSubjectCSRApproval = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0037",
		Slug:      "rbac-subject-csr-approval",
		Title:     "No subject may approve client certificate signing requests",
		Severity:  rule.Critical,
		Practices: []string{"D10"},
		Rationale: "Approving a CertificateSigningRequest for the kubernetes.io/kube-apiserver-client signer has the " +
			"cluster's CA sign a client certificate for whatever user and groups the request names, Kubernetes' own " +
			"components' included (kube-apiserver-client-kubelet: any node's identity); it cannot be revoked before " +
			"it expires. It takes update on certificatesigningrequests/approval and approve on the signer, which a " +
			"subject may hold through different bindings.",
		Remediation: "Leave client-certificate approval to administrators and the control plane's own approvers. An " +
			"approver of kubelet serving certificates needs approve on signers named kubernetes.io/kubelet-serving " +
			"only (resourceNames).",
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
	Needs: rbacNeeds,
	// The two halves are combined per subject over every ClusterRoleBinding that names it
	// (both resources are cluster-scoped); the finding is on each such binding that gives
	// one of them. The control plane's approvers (kube-system, bound by Kubernetes) are
	// exempt with its other identities.
	Check: func(s *cluster.Snapshot) []rule.Finding {
		ix := rbacIndex(s)
		type half struct{ bindings, paths, signers []string }
		bySubject := map[rbac.Subject]*[2]half{}
		for _, b := range ix.Bindings() {
			if b.Scope() != "" {
				continue
			}
			for _, g := range ix.Grants(b) {
				approves := approvesCSRs(g.Rule.Rule)
				signers := clientSignersOf(g.Rule.Rule)
				if !approves && len(signers) == 0 {
					continue
				}
				for _, subj := range b.Subjects {
					h := bySubject[subj]
					if h == nil {
						h = &[2]half{}
						bySubject[subj] = h
					}
					add := func(x *half) {
						if !slices.Contains(x.bindings, b.Ref.String()) {
							x.bindings = append(x.bindings, b.Ref.String())
						}
						if p := g.Path(); !slices.Contains(x.paths, p) {
							x.paths = append(x.paths, p)
						}
						for _, n := range signers {
							if !slices.Contains(x.signers, n) {
								x.signers = append(x.signers, n)
							}
						}
					}
					if approves {
						add(&h[0])
					}
					if len(signers) > 0 {
						add(&h[1])
					}
				}
			}
		}
		var out []rule.Finding
		for _, b := range ix.Bindings() {
			if b.Scope() != "" {
				continue
			}
			for i, subj := range b.Subjects {
				h := bySubject[subj]
				if h == nil || len(h[0].paths) == 0 || len(h[1].paths) == 0 || exemptSubject(b, subj) ||
					!slices.Contains(h[0].bindings, b.Ref.String()) && !slices.Contains(h[1].bindings, b.Ref.String()) {
					continue
				}
				var paths []string
				for _, p := range append(slices.Clone(h[0].paths), h[1].paths...) {
					if !slices.Contains(paths, p) {
						paths = append(paths, p)
					}
				}
				out = append(out, finding(bindingObject(b), subjectPath(i),
					"%s%s can approve certificate signing requests for %s cluster-wide, minting client certificates for any name, through %s",
					subj, subjectNote(subj), strings.Join(h[1].signers, ", "), pathsText(paths)))
			}
		}
		return out
	},
}

const certificatesGroup = "certificates.k8s.io"

// approvesCSRs tells whether a rule allows updating the approval of certificate signing
// requests; one limited to named requests counts too.
func approvesCSRs(r *rbacv1.PolicyRule) bool {
	p := perm{verb: "update", group: certificatesGroup, resource: "certificatesigningrequests", sub: "approval", named: true}
	return p.allowedBy(r)
}

// clientSignersOf returns the client signers (rbac.ClientSigners) a rule allows approving
// for, as the approval check asks: approve on signers named after the signer, or after
// its domain and "/*".
func clientSignersOf(r *rbacv1.PolicyRule) []string {
	var out []string
	for _, signer := range rbac.ClientSigners {
		for _, name := range []string{signer, rbac.SignerDomainWildcard(signer)} {
			if rbac.RuleAllows(r, rbac.Request{Verb: "approve", APIGroup: certificatesGroup, Resource: "signers", Name: name}) {
				out = append(out, signer)
				break
			}
		}
	}
	return out
}
