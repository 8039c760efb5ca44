package cluster

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// KubeletVersionSupported is KC-0016.
var KubeletVersionSupported = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0016",
		Slug:      "kubelet-version-supported",
		Title:     "Kubelets must run a supported Kubernetes minor version",
		Severity:  rule.High,
		Practices: []string{"D4"},
		Rationale: "The kubelet runs as root on every node and serves an API of its own; a kubelet on a line past its " +
			"end of life gets no fix for the vulnerabilities found since, whatever the control plane runs.",
		Remediation: "Upgrade the node (drain, upgrade kubelet and container runtime, uncordon), or replace it with a " +
			"node from a current image, to the API server's minor version or one close behind it.",
		References: []string{
			"https://kubernetes.io/releases/",
			"https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/upgrading-linux-nodes/",
		},
		Standards: rule.Standards{NSA: []string{"Upgrading and application security practices"}},
		Since:     "0.1.0",
		Default:   true,
	},
	Needs: []string{NeedNodes},
	Check: func(s *cluster.Snapshot) []rule.Finding {
		var out []rule.Finding
		for i := range s.Nodes {
			n := &s.Nodes[i]
			v, ok := parseKubeVersion(n.Status.NodeInfo.KubeletVersion)
			if !ok {
				continue
			}
			if why := unsupportedText(v.Minor); why != "" {
				out = append(out, finding(nodeObject(n.Name), "status.nodeInfo.kubeletVersion",
					"node %q runs kubelet %s: %s; supported lines (as of %s): %s", n.Name, v.Text, why, TableDate, supportedMinors()))
			}
		}
		return out
	},
}
