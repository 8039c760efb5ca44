package controller

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
)

// API is a report API: the group, version and kinds of the objects results are
// written as.
type API struct {
	Group, Version       string
	Kind, ClusterKind    string
	Resource, ClusterRes string
}

// The report APIs kharden writes: the Policy WG's, which Policy Reporter, Headlamp and
// Lens read, and its successor OpenReports.
var (
	WGPolicy    = API{"wgpolicyk8s.io", "v1alpha2", "PolicyReport", "ClusterPolicyReport", "policyreports", "clusterpolicyreports"}
	OpenReports = API{"openreports.io", "v1alpha1", "Report", "ClusterReport", "reports", "clusterreports"}
)

// APIs are the report APIs by the name --report-api takes.
var APIs = map[string]API{"wgpolicyk8s.io/v1alpha2": WGPolicy, "openreports.io/v1alpha1": OpenReports}

func (a API) gvr(cluster bool) schema.GroupVersionResource {
	r := a.Resource
	if cluster {
		r = a.ClusterRes
	}
	return schema.GroupVersionResource{Group: a.Group, Version: a.Version, Resource: r}
}

// Labels and annotations of the reports kharden writes.
const (
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedBy      = "kharden"
	hashAnnotation = "kharden.dev/content-hash"
	// Source is the results' source field.
	Source = "kharden"
)

// Result is one entry of a report's results, as the report APIs define it.
type Result struct {
	Source     string            `json:"source"`
	Policy     string            `json:"policy"`
	Rule       string            `json:"rule"`
	Category   string            `json:"category,omitempty"`
	Severity   string            `json:"severity,omitempty"`
	Result     string            `json:"result"`
	Scored     bool              `json:"scored"`
	Message    string            `json:"message,omitempty"`
	Resources  []ObjectReference `json:"resources,omitempty"`
	Properties Properties        `json:"properties,omitzero"`
}

// Properties are the properties kharden gives a result: fields, not a map, since ten
// thousand reports of results are held at once when they are first written.
type Properties struct {
	Control           string `json:"control,omitempty"`
	FieldPath         string `json:"fieldPath,omitempty"`
	SuppressionReason string `json:"suppressionReason,omitempty"`
}

// each calls f with each property set, by name, in the order of their names.
func (p *Properties) each(f func(name, value string)) {
	for _, kv := range [...][2]string{{"control", p.Control}, {"fieldPath", p.FieldPath}, {"suppressionReason", p.SuppressionReason}} {
		if kv[1] != "" {
			f(kv[0], kv[1])
		}
	}
}

// ObjectReference names the object a result is about.
type ObjectReference struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name,omitempty"`
}

// Summary counts a report's results by result.
type Summary struct {
	Pass  int `json:"pass"`
	Fail  int `json:"fail"`
	Warn  int `json:"warn"`
	Error int `json:"error"`
	Skip  int `json:"skip"`
}

// Desired is a report as kharden wants it to be in the cluster.
type Desired struct {
	Namespace string // "" for a cluster report
	Name      string
	// Scope is the object the report is about; nil for the cluster report.
	Scope *ObjectReference
	// Results are dropped once the report is in the cluster (the hash tells whether it
	// must be written again; a failed write rebuilds every report).
	Results []Result
	Summary Summary
	Hash    string
	// Counts are the results by rule, severity and result, for the metrics; a slice,
	// not a map: ten thousand reports keep theirs.
	Counts []Count
}

// CountKey groups results for the metrics.
type CountKey struct{ Rule, Severity, Result string }

// Count is the number of a report's results with one key.
type Count struct {
	CountKey
	N int
}

func (d *Desired) key() string { return d.Namespace + "/" + d.Name }

// result turns an audit result into a report result: fail is fail, error is error,
// manual (a person has to judge) is warn, and a suppressed failure is skip, with the
// suppression's reason.
func result(r rule.Result, suppressed bool) Result {
	out := Result{Source: Source, Policy: r.Meta.Slug, Rule: r.Meta.ID, Category: strings.Join(r.PracticesOf(), ","),
		Severity: r.Severity.String(), Scored: true, Message: r.Message}
	switch {
	case suppressed:
		out.Result = "skip"
	case r.Status == rule.Error:
		out.Result = "error"
	case r.Status == rule.Manual:
		out.Result = "warn"
	default:
		out.Result = "fail"
	}
	o := r.Location.Object
	if o.Kind != "" || o.Name != "" {
		out.Resources = []ObjectReference{{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}}
	}
	out.Properties = Properties{Control: r.Control, FieldPath: r.Location.FieldPath, SuppressionReason: r.Suppressed}
	return out
}

// problem turns an audit error (a resource that could not be read) into an error
// result of the cluster report.
func problem(p report.Problem) Result {
	return Result{Source: Source, Policy: "audit", Rule: "unavailable", Result: "error", Scored: true, Message: p.Message}
}

// builder collects the results of each audit, by report: one per namespaced object
// with results (its "owner": the object the results are about, a controller for its
// pods), and the cluster report for cluster-scoped objects and the cluster as a whole.
// It keeps the last audit's reports: an object whose parts are the ones of the last
// audit (audit.Memo reused them) keeps its report as it was, so a change costs the
// objects it touched.
type builder struct {
	parts map[owner][]*report.Report // this audit: report owner -> parts with results for it
	prev  map[owner]built
}

// owner is the object a report is about; the zero owner is the cluster report's.
type owner struct{ apiVersion, kind, namespace, name string }

func ownerOf(o rule.Object) owner {
	if o.Namespace == "" {
		return owner{}
	}
	return owner{o.APIVersion, o.Kind, o.Namespace, o.Name}
}

type built struct {
	parts   []*report.Report
	reports []*Desired
}

func newBuilder() *builder {
	return &builder{parts: map[owner][]*report.Report{}, prev: map[owner]built{}}
}

// add files an audit part: a namespaced object's results go to its report, a
// cluster-scoped object's and the cluster's own to the cluster report.
func (b *builder) add(part *report.Report) {
	file := func(o owner) {
		if ps := b.parts[o]; len(ps) == 0 || ps[len(ps)-1] != part {
			b.parts[o] = append(ps, part)
		}
	}
	for _, r := range part.Results {
		file(ownerOf(r.Location.Object))
	}
	for _, r := range part.Suppressed {
		file(ownerOf(r.Location.Object))
	}
	if len(part.Errors) > 0 {
		file(owner{})
	}
}

// reports returns the reports to write for the audit added since the last call, each
// split into reports of at most maxBytes of results (the API server refuses objects
// over 1.5 MiB) named NAME, NAME-2, NAME-3...
func (b *builder) reports(maxBytes int) []*Desired {
	if _, ok := b.parts[owner{}]; !ok {
		b.parts[owner{}] = nil // the cluster report exists even when empty: it says the audit ran
	}
	var out []*Desired
	next := make(map[owner]built, len(b.parts))
	for o, parts := range b.parts {
		if p, ok := b.prev[o]; ok && slices.Equal(p.parts, parts) {
			next[o] = p
			out = append(out, p.reports...)
			continue
		}
		ds := split(o, resultsFor(o, parts), maxBytes)
		next[o] = built{parts: parts, reports: ds}
		out = append(out, ds...)
	}
	b.prev, b.parts = next, map[owner][]*report.Report{}
	slices.SortFunc(out, func(x, y *Desired) int { return strings.Compare(x.key(), y.key()) })
	return out
}

// resultsFor are the report results of the parts' results about o, sorted.
func resultsFor(o owner, parts []*report.Report) []Result {
	var rs []Result
	for _, part := range parts {
		for _, r := range part.Results {
			if ownerOf(r.Location.Object) == o {
				rs = append(rs, result(r, false))
			}
		}
		for _, r := range part.Suppressed {
			if ownerOf(r.Location.Object) == o {
				rs = append(rs, result(r, true))
			}
		}
		if o == (owner{}) {
			for _, p := range part.Errors {
				rs = append(rs, problem(p))
			}
		}
	}
	slices.SortFunc(rs, compareResults)
	if o != (owner{}) {
		// Every result is about the report's scope: naming it again in each result
		// would make the report a third bigger, and each write through the API server
		// and into etcd as much slower, for nothing a reader needs.
		for i := range rs {
			rs[i].Resources = nil
		}
	}
	return rs
}

// reportName is the name of o's report: kharden-KIND-NAME, lower case, with a hash of
// the object when its name had to change to be a valid one (an RBAC name with a colon)
// or shortened.
func reportName(o owner) string {
	if o == (owner{}) {
		return "kharden-cluster"
	}
	want := "kharden-" + strings.ToLower(o.kind) + "-" + o.name
	clean := []byte(strings.ToLower(want))
	for i, c := range clean {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			clean[i] = '-'
		}
	}
	name := string(clean)
	if name != want || len(name) > 200 {
		sum := sha256.Sum256([]byte(o.apiVersion + "/" + o.kind + "/" + o.name))
		name = strings.TrimRight(name[:min(len(name), 200)], "-.") + "-" + hex.EncodeToString(sum[:4])
	}
	return name
}

// split cuts o's results into reports of at most maxBytes of results.
func split(o owner, rs []Result, maxBytes int) []*Desired {
	base := reportName(o)
	var scope *ObjectReference
	if o != (owner{}) {
		scope = &ObjectReference{APIVersion: o.apiVersion, Kind: o.kind, Namespace: o.namespace, Name: o.name}
	}
	var out []*Desired
	var chunk []Result
	size := 0
	flush := func() {
		d := &Desired{Namespace: o.namespace, Name: base, Scope: scope, Results: chunk}
		if len(out) > 0 {
			d.Name = fmt.Sprintf("%s-%d", base, len(out)+1)
		}
		d.finish()
		out = append(out, d)
		chunk, size = nil, 0
	}
	for _, r := range rs {
		n := r.size()
		if size+n > maxBytes && len(chunk) > 0 {
			flush()
		}
		chunk = append(chunk, r)
		size += n
	}
	if len(chunk) > 0 || len(out) == 0 {
		flush()
	}
	return out
}

// size is at least the bytes of the result's JSON (the strings, their names and
// punctuation), without encoding it: the split needs a bound, not the exact size.
func (r *Result) size() int {
	n := 160 + 2*(len(r.Source)+len(r.Policy)+len(r.Rule)+len(r.Category)+len(r.Severity)+len(r.Result)+len(r.Message))
	for _, o := range r.Resources {
		n += 64 + 2*(len(o.APIVersion)+len(o.Kind)+len(o.Namespace)+len(o.Name))
	}
	r.Properties.each(func(k, v string) { n += 6 + 2*(len(k)+len(v)) })
	return n
}

// finish counts the summary and hashes the content, which tells whether the report in
// the cluster must be written.
func (d *Desired) finish() {
	h := sha256.New()
	var buf []byte
	d.Counts = d.Counts[:0]
	for _, r := range d.Results {
		k := CountKey{r.Rule, r.Severity, r.Result}
		if i := slices.IndexFunc(d.Counts, func(c Count) bool { return c.CountKey == k }); i >= 0 {
			d.Counts[i].N++
		} else {
			d.Counts = append(d.Counts, Count{k, 1})
		}
		switch r.Result {
		case "pass":
			d.Summary.Pass++
		case "fail":
			d.Summary.Fail++
		case "warn":
			d.Summary.Warn++
		case "error":
			d.Summary.Error++
		case "skip":
			d.Summary.Skip++
		}
		buf = r.appendKey(buf[:0])
		h.Write(buf)
	}
	d.Hash = hex.EncodeToString(h.Sum(nil)[:16])
}

// appendKey appends every field of the result, each ended by a NUL, for the hash.
func (r *Result) appendKey(b []byte) []byte {
	add := func(s string) { b = append(append(b, s...), 0) }
	for _, s := range []string{r.Source, r.Policy, r.Rule, r.Category, r.Severity, r.Result, r.Message} {
		add(s)
	}
	for _, o := range r.Resources {
		for _, s := range []string{o.APIVersion, o.Kind, o.Namespace, o.Name} {
			add(s)
		}
	}
	r.Properties.each(func(k, v string) { add(k); add(v) })
	return append(b, 1) // ends the result
}

func compareResults(a, b Result) int {
	ref := func(r Result) string {
		if len(r.Resources) == 0 {
			return ""
		}
		o := r.Resources[0]
		return o.Kind + "/" + o.Namespace + "/" + o.Name
	}
	return cmp.Or(strings.Compare(ref(a), ref(b)), strings.Compare(a.Rule, b.Rule),
		strings.Compare(a.Properties.FieldPath, b.Properties.FieldPath), strings.Compare(a.Message, b.Message), strings.Compare(a.Result, b.Result))
}

// object is the report as the API takes it.
func (d *Desired) object(api API) map[string]any {
	kind := api.Kind
	meta := map[string]any{"name": d.Name, "labels": map[string]any{ManagedByLabel: ManagedBy},
		"annotations": map[string]any{hashAnnotation: d.Hash}}
	if d.Namespace == "" {
		kind = api.ClusterKind
	} else {
		meta["namespace"] = d.Namespace
	}
	results := make([]any, len(d.Results))
	for i, r := range d.Results {
		results[i] = r.object()
	}
	obj := map[string]any{
		"apiVersion": api.Group + "/" + api.Version, "kind": kind, "metadata": meta,
		"summary": map[string]any{"pass": int64(d.Summary.Pass), "fail": int64(d.Summary.Fail), "warn": int64(d.Summary.Warn),
			"error": int64(d.Summary.Error), "skip": int64(d.Summary.Skip)},
		"results": results,
	}
	if d.Scope != nil {
		obj["scope"] = d.Scope.object()
	}
	return obj
}

// object is the result as unstructured content, built directly (a JSON round trip per
// result costs more than the rest of an audit).
func (r *Result) object() map[string]any {
	m := map[string]any{"source": r.Source, "policy": r.Policy, "rule": r.Rule, "result": r.Result, "scored": r.Scored}
	for k, v := range map[string]string{"category": r.Category, "severity": r.Severity, "message": r.Message} {
		if v != "" {
			m[k] = v
		}
	}
	if len(r.Resources) > 0 {
		res := make([]any, len(r.Resources))
		for i := range r.Resources {
			res[i] = r.Resources[i].object()
		}
		m["resources"] = res
	}
	p := map[string]any{}
	r.Properties.each(func(k, v string) { p[k] = v })
	if len(p) > 0 {
		m["properties"] = p
	}
	return m
}

func (o *ObjectReference) object() map[string]any {
	m := map[string]any{}
	for k, v := range map[string]string{"apiVersion": o.APIVersion, "kind": o.Kind, "namespace": o.Namespace, "name": o.Name} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}
