package node

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/rules/flags"
)

// KubeletProtectKernelDefaults is KN-0029.
var KubeletProtectKernelDefaults = &Rule{
	Meta: rule.Meta{
		ID:        "KN-0029",
		Slug:      "kubelet-protect-kernel-defaults",
		Title:     "The kubelet must refuse to run on kernel settings that differ from its defaults",
		Severity:  rule.Low,
		Practices: []string{"A5"},
		Rationale: "Without protectKernelDefaults the kubelet silently changes the kernel tunables it depends on " +
			"(vm.overcommit_memory, kernel.panic, kernel.panic_on_oops...) to the values it wants; with it, a node " +
			"whose kernel was not configured as planned fails to start instead of drifting from its baseline.",
		Remediation: "Set the kernel tunables the kubelet expects in /etc/sysctl.d (vm.overcommit_memory=1, " +
			"vm.panic_on_oom=0, kernel.panic=10, kernel.panic_on_oops=1, kernel.keys.root_maxkeys=1000000, " +
			"kernel.keys.root_maxbytes=25000000), then protectKernelDefaults: true in the kubelet's config file.",
		References: []string{"https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/"},
		Since:      "0.1.0",
		Default:    true,
		Changes:    []string{"0.2.0: on a node with no kubelet process or unit (a node image audited offline), the kubelet's default config file and the flags in kubeadm-flags.env, /etc/default/kubelet or /etc/sysconfig/kubelet are read, so the rule gives a verdict where it was Skipped."},
	},
	Check: runChecks(flags.ProtectKernelDefaults),
}
