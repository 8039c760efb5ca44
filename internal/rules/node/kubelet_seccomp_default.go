package node

import "github.com/kharden/kharden/internal/rule"

// KubeletSeccompDefault is KN-0021.
var KubeletSeccompDefault = &Rule{
	Meta: rule.Meta{
		ID:          "KN-0021",
		Slug:        "kubelet-seccomp-default",
		Title:       "The kubelet must give containers the RuntimeDefault seccomp profile by default",
		Severity:    rule.Medium,
		Practices:   []string{"C18"},
		Rationale:   "Pods that set no seccomp profile run Unconfined: every system call is open to them, including the rarely used ones most kernel exploits go through.",
		Remediation: "Set seccompDefault: true in the kubelet's config file (or --seccomp-default) and test workloads against the runtime's default profile first.",
		References:  []string{"https://kubernetes.io/docs/tutorials/security/seccomp/#enable-the-use-of-runtimedefault-as-the-default-seccomp-profile-for-all-workloads"},
		Standards:   rule.Standards{CIS: []string{"4.2.14"}},
		Since:       "0.1.0",
		Default:     true,
		Changes:     []string{"0.2.0: on a node with no kubelet process or unit (a node image audited offline), the kubelet's default config file and the flags in kubeadm-flags.env, /etc/default/kubelet or /etc/sysconfig/kubelet are read, so the rule gives a verdict where it was Skipped."},
	},
	Flags: []string{"4.2.14"},
}
