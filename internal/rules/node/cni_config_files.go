package node

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

// CNIConfigFiles is KN-0002.
var CNIConfigFiles = &Rule{
	Meta: rule.Meta{
		ID:        "KN-0002",
		Slug:      "cni-config-files",
		Title:     "CNI configuration files must be root-owned and readable by root only",
		Severity:  rule.Medium,
		Practices: []string{"A7"},
		Rationale: "The container runtime hands every pod's network to the plugins the CNI configuration names. " +
			"Whoever can write it can put pods on another network, drop network policy enforcement, or run a " +
			"binary of their choice as root for every pod sandbox.",
		Remediation: "chown root:root and chmod 600 the files under /etc/cni/net.d (or the directory your runtime's " +
			"CNI configuration points at).",
		References: []string{"https://www.cni.dev/docs/spec/"},
		Standards:  rule.Standards{CIS: []string{"1.1.9", "1.1.10"}},
		Since:      "0.1.0",
		Default:    true,
		Changes:    []string{"0.2.0: root:root is judged by UID and GID 0 whatever the node's /etc/passwd and /etc/group say: a file owned by 0:0 on a root without them passes (it failed as \"owned by 0:0\")."},
	},
	Check: fileChecks(
		modeCheck("1.1.9", "CNI configuration", 0o600, node.RoleCNIConfig),
		ownerCheck("1.1.10", "CNI configuration", "root:root", node.RoleCNIConfig),
	),
}
