package node

import "github.com/kharden/kharden/internal/rule"

// KubeProxyMetricsBindAddress is KN-0022.
var KubeProxyMetricsBindAddress = &Rule{
	Meta: rule.Meta{
		ID:          "KN-0022",
		Slug:        "kube-proxy-metrics-bind-address",
		Title:       "kube-proxy's metrics must be served on localhost only",
		Severity:    rule.Low,
		Practices:   []string{"D8"},
		Rationale:   "kube-proxy's metrics endpoint has no authentication: bound to all addresses, it tells anyone on the network the node's Services and traffic.",
		Remediation: "Set metricsBindAddress: 127.0.0.1:10249 in kube-proxy's configuration (or --metrics-bind-address).",
		References:  []string{"https://kubernetes.io/docs/reference/config-api/kube-proxy-config.v1alpha1/"},
		Standards:   rule.Standards{CIS: []string{"4.3.1"}},
		Since:       "0.1.0",
		Default:     true,
	},
	Flags: []string{"4.3.1"},
}
