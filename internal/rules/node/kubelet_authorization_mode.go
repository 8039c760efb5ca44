package node

import "github.com/kharden/kharden/internal/rule"

// KubeletAuthorizationMode is KN-0011.
var KubeletAuthorizationMode = &Rule{
	Meta: rule.Meta{
		ID:          "KN-0011",
		Slug:        "kubelet-authorization-mode",
		Title:       "The kubelet must authorize requests through the API server",
		Severity:    rule.High,
		Practices:   []string{"D9"},
		Rationale:   "In AlwaysAllow mode the kubelet serves every authenticated caller everything: pod logs, exec, port-forward, the node's metrics and its pods' secrets mounted as files.",
		Remediation: "Set authorization.mode: Webhook in the kubelet's config file (or --authorization-mode=Webhook) so that each request is checked with a SubjectAccessReview.",
		References:  []string{"https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/"},
		Standards:   rule.Standards{CIS: []string{"4.2.2"}},
		Since:       "0.1.0",
		Default:     true,
		Changes:     []string{"0.2.0: on a node with no kubelet process or unit (a node image audited offline), the kubelet's default config file and the flags in kubeadm-flags.env, /etc/default/kubelet or /etc/sysconfig/kubelet are read, so the rule gives a verdict where it was Skipped."},
	},
	Flags: []string{"4.2.2"},
}
