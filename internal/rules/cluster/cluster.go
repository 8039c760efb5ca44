// Package cluster holds the cluster rules (IDs KC-xxxx): checks over a whole cluster as a
// Snapshot reads it from the API server — namespaces, RBAC, network policies, versions and
// the flags of the control-plane static pods. Each rule lives in its own file with its
// fixtures in testdata/<slug>/.
//
// A rule's Check is pure: it reads the Snapshot and returns findings, each naming the
// object it is about (Finding.Object) and a field path in it (Finding.Path); a finding
// about the cluster itself (its version) has a zero Object. A finding's Status is empty
// (Fail) unless the rule could not settle the question (Manual: a file the pod spec names
// is not visible) or the thing checked is not visible at all (Skipped: no control-plane
// pod on a managed cluster). No finding means Pass.
//
// What a rule reads is in Rule.Needs. Before calling Check, the audit asks Rule.Missing:
// when an input could not be listed, the rule's result is Error with that reason, never
// Pass on an empty list.
package cluster

import (
	"errors"
	"fmt"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// Rule is a cluster rule: metadata, the inputs it reads, and a pure check over a Snapshot.
type Rule struct {
	rule.Meta
	// Needs names the parts of the Snapshot the check reads: the resources as
	// Snapshot.Unavailable names them, and NeedVersion and NeedControlPlane.
	Needs []string
	Check func(*cluster.Snapshot) []rule.Finding
	// Flags, on the control-plane rules, are the CIS items whose flag checks (package
	// flags) the rule runs: over the static pods of a Snapshot here, and over the
	// processes, static pod manifests and unit files of a node in kharden audit node.
	// All sets Check from them.
	Flags []string
}

// The inputs a rule may need: the keys of Snapshot.Unavailable (package cluster's
// Resource* names).
const (
	NeedNamespaces          = cluster.ResourceNamespaces
	NeedNodes               = cluster.ResourceNodes
	NeedServiceAccounts     = cluster.ResourceServiceAccounts
	NeedNetworkPolicies     = cluster.ResourceNetworkPolicies
	NeedRoles               = cluster.ResourceRoles
	NeedClusterRoles        = cluster.ResourceClusterRoles
	NeedRoleBindings        = cluster.ResourceRoleBindings
	NeedClusterRoleBindings = cluster.ResourceClusterRoleBindings
	// NeedVersion is Snapshot.Server: missing when it is nil (Unavailable["version"]
	// says why).
	NeedVersion = cluster.ResourceVersion
	// NeedControlPlane is Snapshot.ControlPlane, the static pods read from kube-system:
	// missing when Unavailable has "controlplane" (the lister sets it when kube-system's
	// pods cannot be listed). An empty list that could be read is not missing: the control plane is managed or runs outside pods, and the
	// flag rules report Skipped.
	NeedControlPlane = cluster.ResourceControlPlane
)

var rbacNeeds = []string{NeedRoles, NeedClusterRoles, NeedRoleBindings, NeedClusterRoleBindings}

// Missing returns why the Snapshot lacks an input the rule needs, or nil when it has them
// all. Every missing input is named, wrapped around the lister's reason.
func (r *Rule) Missing(s *cluster.Snapshot) error {
	var errs []error
	for _, n := range r.Needs {
		if err := missing(s, n); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func missing(s *cluster.Snapshot, need string) error {
	switch need {
	case NeedVersion:
		if s.Server != nil {
			return nil
		}
		if err := s.Missing(need); err != nil {
			return fmt.Errorf("the server version could not be read: %w", err)
		}
		return errors.New("the server version could not be read")
	case NeedControlPlane:
		if err := s.Missing(need); err != nil {
			return fmt.Errorf("the control-plane pods could not be listed: %w", err)
		}
		return nil
	}
	if err := s.Missing(need); err != nil {
		return fmt.Errorf("%s could not be listed: %w", need, err)
	}
	return nil
}

func finding(obj rule.Object, path, format string, a ...any) rule.Finding {
	return rule.Finding{Object: obj, Path: path, Message: fmt.Sprintf(format, a...)}
}

func namespaceObject(name string) rule.Object {
	return rule.Object{APIVersion: "v1", Kind: "Namespace", Name: name}
}

func nodeObject(name string) rule.Object {
	return rule.Object{APIVersion: "v1", Kind: "Node", Name: name}
}

func podObject(namespace, name string) rule.Object {
	return rule.Object{APIVersion: "v1", Kind: "Pod", Namespace: namespace, Name: name}
}

// systemNamespaces are the namespaces Kubernetes creates for itself.
var systemNamespaces = map[string]bool{"kube-system": true, "kube-public": true, "kube-node-lease": true}
