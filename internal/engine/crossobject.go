package engine

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/rules/k8s"
	"github.com/kharden/kharden/internal/source/manifest"
)

// The cross-object step (docs/design/cross-object.md). Rules read the ServiceAccounts
// beside the object they judge through a read-only index (k8s.Input.ServiceAccounts):
//
//   - Scan and ScanInput index the ServiceAccounts of the input (one file, one rendered
//     chart or kustomization) before any rule runs on it, so a pod and its ServiceAccount
//     in one input are judged together, whatever their order.
//   - ScanInput also holds back the results that still wait for a ServiceAccount the
//     input lacks (k8s.Rule.Await) in an Awaiting, which the scan adds to a Pending and
//     settles with Pending.Settle once every input has been read. Scan leaves them as
//     they are: for a lone input they are final.
//   - WithServiceAccounts gives ScanObject a complete index: an audit's, read from the
//     cluster.

// Awaiting is what one input leaves for after every input is read: the ServiceAccounts
// it holds, and its results that wait for one it lacks. It holds no document.
type Awaiting struct {
	// ServiceAccounts are the input's own.
	ServiceAccounts *k8s.ServiceAccounts
	held            []held
}

// held are the results of one rule on one object, provisional until their ServiceAccount
// is known.
type held struct {
	ref    k8s.ServiceAccountRef
	settle k8s.Settle
	// results and suppressed are the results as the engine made them (located, severity
	// set, suppression applied), with the provisional message.
	results, suppressed []rule.Result
}

// Len is the number of results held.
func (a *Awaiting) Len() int {
	n := 0
	for _, h := range a.held {
		n += len(h.results) + len(h.suppressed)
	}
	return n
}

// ScanInput is Scan for one input among others: results that wait for a ServiceAccount of
// another input are not added to rep but returned, for Settle.
func (e *Engine) ScanInput(docs []*manifest.Document, rep *report.Report) *Awaiting {
	x := &inputScan{wait: &Awaiting{}}
	e.scanInput(docs, rep, x)
	return x.wait
}

// ScanPart is ScanInput for some documents of an input read in parts (a large file, a
// document at a time): rules read sas, the ServiceAccounts of the whole input
// (ServiceAccountsOf, gathered beforehand), and the results that wait for one it lacks
// go to wait, whose ServiceAccounts the caller sets to sas for one part of the input only.
func (e *Engine) ScanPart(docs []*manifest.Document, sas *k8s.ServiceAccounts, wait *Awaiting, rep *report.Report) {
	x := &inputScan{sas: sas, wait: wait}
	for _, d := range docs {
		e.scanDoc(d, rep, x)
	}
}

// ServiceAccountsOf adds the ServiceAccounts among docs to ix (see ScanPart).
func ServiceAccountsOf(docs []*manifest.Document, ix *k8s.ServiceAccounts) {
	serviceAccountsOf(docs).Each(ix.Add)
}

// Scan evaluates every rule on every document of one input and adds results and problems
// to rep.
func (e *Engine) Scan(docs []*manifest.Document, rep *report.Report) {
	e.scanInput(docs, rep, &inputScan{})
}

func (e *Engine) scanInput(docs []*manifest.Document, rep *report.Report, x *inputScan) {
	x.sas = serviceAccountsOf(docs)
	if x.wait != nil {
		x.wait.ServiceAccounts = x.sas
	}
	for _, d := range docs {
		e.scanDoc(d, rep, x)
	}
}

// inputScan is the state of one input's scan: its ServiceAccounts, and where held results
// go (wait nil: nowhere, they stay in the report).
type inputScan struct {
	sas  *k8s.ServiceAccounts
	wait *Awaiting
}

// serviceAccountsOf indexes the ServiceAccounts among an input's documents. One that does
// not decode is left out here; its own check reports the error.
func serviceAccountsOf(docs []*manifest.Document) *k8s.ServiceAccounts {
	ix := k8s.NewServiceAccounts(nil, false)
	for _, d := range docs {
		if d.Object.Kind != "ServiceAccount" || d.Object.APIVersion != "v1" {
			continue
		}
		var sa corev1.ServiceAccount
		if d.Decode(&sa) != nil {
			continue
		}
		ix.Add(k8s.ServiceAccountRef{Namespace: sa.Namespace, Name: sa.Name}, k8s.ServiceAccountFacts{Automount: sa.AutomountServiceAccountToken})
	}
	return ix
}

// mark is where an input's results start in a report.
type mark struct{ results, suppressed int }

func (x *inputScan) mark(rep *report.Report) mark {
	return mark{len(rep.Results), len(rep.Suppressed)}
}

// hold moves out of rep the results added since m by the rules whose verdict on in waits
// for a ServiceAccount, when the scan holds such results.
func (x *inputScan) hold(rules []*k8s.Rule, in *k8s.Input, rep *report.Report, m mark) {
	if x.wait == nil {
		return
	}
	for _, r := range rules {
		if r.Await == nil {
			continue
		}
		ref, settle, ok := await(r, in)
		if !ok {
			continue
		}
		h := held{ref: ref, settle: settle}
		rep.Results, h.results = split(rep.Results, m.results, r.ID)
		rep.Suppressed, h.suppressed = split(rep.Suppressed, m.suppressed, r.ID)
		// Only what the engine added after the provisional message is kept, so that a
		// held result is small: a large input may hold one for each of its pods.
		provisional := settle(k8s.ServiceAccountFacts{}, false)
		suffixes(h.results, provisional)
		suffixes(h.suppressed, provisional)
		if len(h.results)+len(h.suppressed) > 0 {
			x.wait.held = append(x.wait.held, h)
		}
	}
}

// await calls a rule's Await; a panic there leaves its results as Check made them.
func await(r *k8s.Rule, in *k8s.Input) (ref k8s.ServiceAccountRef, settle k8s.Settle, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return r.Await(in)
}

// split removes from rs[from:] the results of rule id, returning what is left and them.
func split(rs []rule.Result, from int, id string) (rest, out []rule.Result) {
	kept := rs[:from]
	for _, res := range rs[from:] {
		if res.Meta.ID == id && res.Status == rule.Fail {
			out = append(out, res)
		} else {
			kept = append(kept, res)
		}
	}
	return kept, out
}

// Empty tells whether an input leaves nothing to settle: no ServiceAccount, no result
// held. The scan keeps only the others until the end.
func (a *Awaiting) Empty() bool {
	return a == nil || len(a.held) == 0 && a.ServiceAccounts.Len() == 0
}

// suffixes cuts held results' messages down to what the engine added after the
// provisional finding's message of the same path (a note on the position, an expired
// suppression), which Pending.Settle puts back after the final message.
func suffixes(rs []rule.Result, provisional []rule.Finding) {
	for i := range rs {
		suffix := ""
		for _, p := range provisional {
			if p.Path == rs[i].Location.FieldPath {
				if rest, ok := strings.CutPrefix(rs[i].Message, p.Message); ok && rest != "" {
					suffix = strings.Clone(rest) // not a slice of the whole message, which it would keep
				}
			}
		}
		rs[i].Message = suffix
	}
}

// WithServiceAccounts returns a copy of the engine whose ScanObject gives rules the
// ServiceAccounts of ix, such as those of a cluster.
func (e *Engine) WithServiceAccounts(ix *k8s.ServiceAccounts) *Engine {
	c := *e
	c.sas = ix
	return &c
}
