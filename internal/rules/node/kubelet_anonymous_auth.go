package node

import "github.com/kharden/kharden/internal/rule"

// KubeletAnonymousAuth is KN-0010.
var KubeletAnonymousAuth = &Rule{
	Meta: rule.Meta{
		ID:          "KN-0010",
		Slug:        "kubelet-anonymous-auth",
		Title:       "The kubelet must refuse anonymous requests",
		Severity:    rule.High,
		Practices:   []string{"D8"},
		Rationale:   "With anonymous authentication on, anyone who reaches port 10250 is system:anonymous; together with an authorization mode that lets them through, that is exec into every pod on the node.",
		Remediation: "Set authentication.anonymous.enabled: false in the kubelet's config file (or --anonymous-auth=false) and restart the kubelet.",
		References:  []string{"https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/"},
		Standards:   rule.Standards{CIS: []string{"4.2.1"}},
		Since:       "0.1.0",
		Default:     true,
		Changes:     []string{"0.2.0: on a node with no kubelet process or unit (a node image audited offline), the kubelet's default config file and the flags in kubeadm-flags.env, /etc/default/kubelet or /etc/sysconfig/kubelet are read, so the rule gives a verdict where it was Skipped."},
	},
	Flags: []string{"4.2.1"},
}
