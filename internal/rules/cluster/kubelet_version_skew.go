package cluster

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// KubeletVersionSkew is KC-0017.
var KubeletVersionSkew = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0017",
		Slug:      "kubelet-version-skew",
		Title:     "Kubelets must be within the supported version skew of the API server",
		Severity:  rule.Medium,
		Practices: []string{"D4"},
		Rationale: "Kubernetes tests and supports a kubelet up to three minor versions older than the API server, " +
			"never newer. Outside that skew, features the control plane relies on, security fixes among them, " +
			"may silently not apply on the node, and the next control-plane upgrade breaks it.",
		Remediation: "Upgrade the node's kubelet (or replace the node) to within three minors behind the API server; " +
			"upgrade the control plane before any kubelet.",
		References: []string{"https://kubernetes.io/releases/version-skew-policy/#kubelet"},
		Standards:  rule.Standards{NSA: []string{"Upgrading and application security practices"}},
		Since:      "0.1.0",
		Default:    true,
	},
	Needs: []string{NeedVersion, NeedNodes},
	Check: func(s *cluster.Snapshot) []rule.Finding {
		server, ok := serverVersion(s)
		if !ok {
			return nil
		}
		var out []rule.Finding
		for i := range s.Nodes {
			n := &s.Nodes[i]
			v, ok := parseKubeVersion(n.Status.NodeInfo.KubeletVersion)
			if !ok {
				continue
			}
			switch d := server.Minor - v.Minor; {
			case d < 0:
				out = append(out, finding(nodeObject(n.Name), "status.nodeInfo.kubeletVersion",
					"node %q runs kubelet %s, newer than the API server (%s): a kubelet must never be newer", n.Name, v.Text, server.Text))
			case d > kubeletSkew:
				out = append(out, finding(nodeObject(n.Name), "status.nodeInfo.kubeletVersion",
					"node %q runs kubelet %s, %d minor versions behind the API server (%s); at most %d are supported",
					n.Name, v.Text, d, server.Text, kubeletSkew))
			}
		}
		return out
	},
}
