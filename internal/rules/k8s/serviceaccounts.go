package k8s

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kharden/kharden/internal/rule"
)

// A pod's verdict on its service-account token hangs on an object outside it: the
// ServiceAccount it runs as, whose automountServiceAccountToken applies when the pod spec
// leaves the field unset. Rules stay pure functions over one input; what they may read of
// other objects is a read-only index in the input (Input.ServiceAccounts), and a rule whose
// verdict still hangs on an object the index lacks says so through Rule.Await, so that a
// caller that reads more inputs afterwards (the scan) can settle it. See
// docs/design/cross-object.md.

// ServiceAccountRef names a ServiceAccount. Namespace is empty for an object that names
// none (a manifest applied with kubectl -n), which matches only another object that names
// none.
type ServiceAccountRef struct {
	Namespace, Name string
}

func (r ServiceAccountRef) String() string {
	if r.Namespace == "" {
		return r.Name
	}
	return r.Namespace + "/" + r.Name
}

// ServiceAccountFacts is what the rules read of a ServiceAccount.
type ServiceAccountFacts struct {
	// Automount is the ServiceAccount's automountServiceAccountToken; nil when unset.
	Automount *bool
}

// mounts tells whether the facts let a pod that leaves the field unset mount the token.
func (f ServiceAccountFacts) mounts() bool { return f.Automount == nil || *f.Automount }

// Merge combines two definitions of the same ServiceAccount (in two inputs, or twice in
// one): the one that mounts the token wins, so that an opt-out counts only when every
// definition makes it.
func (f ServiceAccountFacts) Merge(g ServiceAccountFacts) ServiceAccountFacts {
	switch {
	case f.Automount != nil && *f.Automount:
		return f
	case g.Automount != nil && *g.Automount:
		return g
	case f.Automount == nil:
		return f
	}
	return g
}

// ServiceAccounts is a read-only index of ServiceAccounts. The zero value and nil know
// none.
type ServiceAccounts struct {
	byRef map[ServiceAccountRef]ServiceAccountFacts
	// complete is set when the index holds every ServiceAccount there is (those of a
	// cluster): a name it lacks does not exist.
	complete bool
}

// NewServiceAccounts indexes ServiceAccounts. complete says that they are all there are
// (a cluster's, as listed), not some of them (those of one input).
func NewServiceAccounts(sas []corev1.ServiceAccount, complete bool) *ServiceAccounts {
	ix := &ServiceAccounts{byRef: map[ServiceAccountRef]ServiceAccountFacts{}, complete: complete}
	for i := range sas {
		ix.Add(ServiceAccountRef{sas[i].Namespace, sas[i].Name}, ServiceAccountFacts{Automount: sas[i].AutomountServiceAccountToken})
	}
	return ix
}

// Add records a ServiceAccount, merging it with an earlier definition. It is for building
// an index, before any rule reads it.
func (ix *ServiceAccounts) Add(ref ServiceAccountRef, f ServiceAccountFacts) {
	if old, ok := ix.byRef[ref]; ok {
		f = old.Merge(f)
	}
	ix.byRef[ref] = f
}

// Lookup returns what the index knows of a ServiceAccount.
func (ix *ServiceAccounts) Lookup(ref ServiceAccountRef) (ServiceAccountFacts, bool) {
	if ix == nil {
		return ServiceAccountFacts{}, false
	}
	f, ok := ix.byRef[ref]
	return f, ok
}

// Complete tells whether a ServiceAccount the index lacks does not exist.
func (ix *ServiceAccounts) Complete() bool { return ix != nil && ix.complete }

// Len is the number of ServiceAccounts indexed.
func (ix *ServiceAccounts) Len() int {
	if ix == nil {
		return 0
	}
	return len(ix.byRef)
}

// Each calls f for every ServiceAccount indexed, in no particular order.
func (ix *ServiceAccounts) Each(f func(ServiceAccountRef, ServiceAccountFacts)) {
	if ix == nil {
		return
	}
	for r, v := range ix.byRef {
		f(r, v)
	}
}

// Settle turns findings that waited for a ServiceAccount into final ones, given what the
// other inputs held of it (found false: none held it). Its findings have the paths of
// those it settles, or fewer.
type Settle func(sa ServiceAccountFacts, found bool) []rule.Finding

// podServiceAccount names the ServiceAccount a workload's pods run as: serviceAccountName,
// else the deprecated serviceAccount, else default; with the field that says so ("" when
// none does).
func podServiceAccount(in *Input) (ref ServiceAccountRef, field string) {
	s := in.Workload.Spec
	ref = ServiceAccountRef{Namespace: in.Meta.Namespace, Name: "default"}
	switch {
	case s.ServiceAccountName != "":
		ref.Name, field = s.ServiceAccountName, "serviceAccountName"
	case s.DeprecatedServiceAccount != "":
		ref.Name, field = s.DeprecatedServiceAccount, "serviceAccount"
	}
	return ref, field
}
