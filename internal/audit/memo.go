package audit

import (
	"reflect"

	"github.com/kharden/kharden/internal/kube"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
)

// Memo keeps each object's part of the report between audits of successive snapshots
// of one cluster (what kharden controller does at every change): an object whose
// resourceVersion, cluster-rule results and Context are those of the last audit is not
// evaluated again, so a change costs the objects it touched. The verdicts are the same
// as without a memo: the part is the one the same inputs produced.
type Memo struct {
	// Context names what the manifest rules read besides the object itself (the
	// ServiceAccounts pods run as, the namespaces): the caller changes it whenever
	// those change, which makes every object be evaluated again.
	Context string
	entries map[string]*memoEntry
	// Hits and Misses count the objects reused and evaluated by the last audit.
	Hits, Misses int
}

type memoEntry struct {
	version, context string
	cluster          []rule.Result
	part             *report.Report
	seen             bool
}

// NewMemo returns an empty memo.
func NewMemo() *Memo { return &Memo{entries: map[string]*memoEntry{}} }

// lookup returns the part kept for the object at file, if its inputs are unchanged.
func (m *Memo) lookup(file string, typed any, cluster []rule.Result) (*report.Report, bool) {
	e := m.entries[file]
	if e == nil {
		return nil, false
	}
	e.seen = true
	md := kube.Meta(typed)
	if md == nil || md.ResourceVersion == "" || e.version != md.ResourceVersion || e.context != m.Context ||
		!reflect.DeepEqual(e.cluster, cluster) {
		return nil, false
	}
	return e.part, true
}

// store keeps the part just evaluated for the object at file.
func (m *Memo) store(file string, typed any, cluster []rule.Result, part *report.Report) {
	md := kube.Meta(typed)
	if md == nil {
		return
	}
	m.entries[file] = &memoEntry{version: md.ResourceVersion, context: m.Context, cluster: cluster, part: part, seen: true}
}

// begin starts an audit; end forgets the objects it did not meet (deleted ones).
func (m *Memo) begin() {
	m.Hits, m.Misses = 0, 0
	for _, e := range m.entries {
		e.seen = false
	}
}

func (m *Memo) end() {
	for f, e := range m.entries {
		if !e.seen {
			delete(m.entries, f)
		}
	}
}
