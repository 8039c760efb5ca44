package cluster

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// NodeKernelVersion is KC-0018.
var NodeKernelVersion = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0018",
		Slug:      "node-kernel-version",
		Title:     "Nodes must run a maintained Linux kernel line",
		Severity:  rule.High,
		Practices: []string{"A4"},
		Rationale: "Containers share the node's kernel: a kernel vulnerability is a container escape, and every " +
			"container on the node is one exploit away from root on it. A kernel line nobody maintains any more " +
			"collects such vulnerabilities without fixes.",
		Remediation: "Move the node to a maintained kernel: a current distribution release with its updates applied, " +
			"or a kernel.org longterm line; then keep it patched and reboot into new kernels (a live-patching " +
			"service or a node image rollout).",
		References: []string{
			"https://www.kernel.org/category/releases.html",
			"https://kubernetes.io/docs/reference/node/kernel-version-requirements/",
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: []string{NeedNodes},
	// A distribution kernel (RHEL and rebuilds, Ubuntu, Debian, SUSE, Amazon Linux, Azure
	// Linux: recognised by its release string or the node's OS image) is maintained by its
	// vendor on a frozen line, so it is judged only against the oldest line still under a
	// vendor's standard support (4.18). Any other kernel must be on a kernel.org longterm
	// line still maintained, or newer than the newest longterm line (a current stable
	// release). Both tables are in versions.go, as of TableDate. Nodes that are not Linux
	// are skipped.
	Check: func(s *cluster.Snapshot) []rule.Finding {
		var out []rule.Finding
		for i := range s.Nodes {
			n := &s.Nodes[i]
			info := n.Status.NodeInfo
			if info.OperatingSystem != "" && info.OperatingSystem != "linux" {
				continue
			}
			if why := KernelVerdict(info.KernelVersion, info.OSImage); why != "" {
				out = append(out, finding(nodeObject(n.Name), "status.nodeInfo.kernelVersion",
					"node %q runs kernel %s, which %s", n.Name, info.KernelVersion, why))
			}
		}
		return out
	},
}
