package k8s

import (
	"fmt"
	"strings"

	"github.com/kharden/kharden/internal/rule"
)

// UnsafeSysctls is KM-0010.
var UnsafeSysctls = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0010",
		Slug:      "unsafe-sysctls",
		Title:     "Pods must set only safe sysctls",
		Severity:  rule.High,
		Practices: []string{"C10"},
		Rationale: "Kubernetes calls a sysctl safe when it is namespaced to the pod and cannot affect other pods or " +
			"the node. Any other sysctl (kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*, most of net.*, or a " +
			"node-wide one) can starve or weaken the whole node, and needs the kubelet's --allowed-unsafe-sysctls.",
		Remediation: "Remove the sysctl from spec.securityContext.sysctls. If the workload truly needs it, run it on " +
			"dedicated, tainted nodes whose kubelet allows that one sysctl, and suppress this rule there with a reason.",
		References: []string{
			"https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/",
			"https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
		},
		Standards: rule.Standards{
			PSS: []string{"baseline:sysctls"},
			NSA: []string{"Kubernetes Pod security: Pod security enforcement"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(in *Input) []rule.Finding {
		w := in.Workload
		if w == nil || w.Spec.SecurityContext == nil {
			return nil
		}
		var out []rule.Finding
		for i, s := range w.Spec.SecurityContext.Sysctls {
			if !safeSysctls[sysctlDotted(s.Name)] {
				out = append(out, finding(w.Field(fmt.Sprintf("securityContext.sysctls[%d].name", i)),
					"pod sets sysctl %q, which is outside the safe set", s.Name))
			}
		}
		return out
	},
}

// safeSysctls is the safe set of the Pod Security Standards' baseline profile at its latest
// version (Kubernetes 1.37).
var safeSysctls = map[string]bool{
	"kernel.shm_rmid_forced":              true,
	"net.ipv4.ip_local_port_range":        true,
	"net.ipv4.ip_unprivileged_port_start": true,
	"net.ipv4.tcp_syncookies":             true,
	"net.ipv4.ping_group_range":           true,
	"net.ipv4.ip_local_reserved_ports":    true, // 1.27
	"net.ipv4.tcp_keepalive_time":         true, // 1.29
	"net.ipv4.tcp_fin_timeout":            true,
	"net.ipv4.tcp_keepalive_intvl":        true,
	"net.ipv4.tcp_keepalive_probes":       true,
	"net.ipv4.tcp_rmem":                   true, // 1.32
	"net.ipv4.tcp_wmem":                   true,
	"net.ipv4.tcp_slow_start_after_idle":  true, // 1.37
	"net.ipv4.tcp_notsent_lowat":          true,
}

// sysctlDotted converts a sysctl name written with slashes ("net/ipv4/tcp_syncookies"),
// which Kubernetes accepts, to the dotted form; in the slashed form a dot is part of a
// component ("net/ipv4/conf/eth0.100/rp_filter"), so dots and slashes swap.
func sysctlDotted(name string) string {
	if !strings.Contains(name, "/") {
		return name
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '/':
			return '.'
		case '.':
			return '/'
		}
		return r
	}, name)
}
