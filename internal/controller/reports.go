package controller

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
	Properties map[string]string `json:"properties,omitempty"`
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
	Results   []Result
	Summary   Summary
	Hash      string
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
	props := map[string]string{}
	if r.Location.FieldPath != "" {
		props["fieldPath"] = r.Location.FieldPath
	}
	if r.Suppressed != "" {
		props["suppressionReason"] = r.Suppressed
	}
	if r.Control != "" {
		props["control"] = r.Control
	}
	if len(props) > 0 {
		out.Properties = props
	}
	return out
}

// problem turns an audit error (a resource that could not be read) into an error
// result of the cluster report.
func problem(p report.Problem) Result {
	return Result{Source: Source, Policy: "audit", Rule: "unavailable", Result: "error", Scored: true, Message: p.Message}
}

// builder collects the results of each audit, by report. It keeps the last audit's
// reports per namespace: a namespace whose objects' parts are all the ones of the last
// audit (audit.Memo reused them) keeps its reports as they were, so a change costs the
// namespaces it touched.
type builder struct {
	parts map[string][]*report.Report // this audit: namespace ("" is the cluster report) -> parts with results there
	prev  map[string]built
}

type built struct {
	parts   []*report.Report
	reports []*Desired
}

func newBuilder() *builder {
	return &builder{parts: map[string][]*report.Report{}, prev: map[string]built{}}
}

// add files an audit part: an object's results go to its namespace's report, a
// cluster-scoped object's and the cluster's own to the cluster report.
func (b *builder) add(part *report.Report) {
	file := func(ns string) {
		if ps := b.parts[ns]; len(ps) == 0 || ps[len(ps)-1] != part {
			b.parts[ns] = append(ps, part)
		}
	}
	for _, r := range part.Results {
		file(r.Location.Object.Namespace)
	}
	for _, r := range part.Suppressed {
		file(r.Location.Object.Namespace)
	}
	if len(part.Errors) > 0 {
		file("")
	}
}

// reports returns the reports to write for the audit added since the last call: one
// per namespace with results and one for the cluster, each split into reports of at
// most maxBytes of results (the API server refuses objects over 1.5 MiB) named NAME,
// NAME-2, NAME-3...
func (b *builder) reports(maxBytes int) []*Desired {
	if _, ok := b.parts[""]; !ok {
		b.parts[""] = nil // the cluster report exists even when empty: it says the audit ran
	}
	var out []*Desired
	next := make(map[string]built, len(b.parts))
	for ns, parts := range b.parts {
		if p, ok := b.prev[ns]; ok && slices.Equal(p.parts, parts) {
			next[ns] = p
			out = append(out, p.reports...)
			continue
		}
		ds := split(ns, resultsIn(ns, parts), maxBytes)
		next[ns] = built{parts: parts, reports: ds}
		out = append(out, ds...)
	}
	b.prev, b.parts = next, map[string][]*report.Report{}
	slices.SortFunc(out, func(x, y *Desired) int { return strings.Compare(x.key(), y.key()) })
	return out
}

// resultsIn are the report results of the parts' results in namespace ns, sorted.
func resultsIn(ns string, parts []*report.Report) []Result {
	var rs []Result
	for _, part := range parts {
		for _, r := range part.Results {
			if r.Location.Object.Namespace == ns {
				rs = append(rs, result(r, false))
			}
		}
		for _, r := range part.Suppressed {
			if r.Location.Object.Namespace == ns {
				rs = append(rs, result(r, true))
			}
		}
		if ns == "" {
			for _, p := range part.Errors {
				rs = append(rs, problem(p))
			}
		}
	}
	slices.SortFunc(rs, compareResults)
	return rs
}

// split cuts a namespace's results into reports of at most maxBytes of results.
func split(ns string, rs []Result, maxBytes int) []*Desired {
	base := "kharden-cluster"
	if ns != "" {
		base = "kharden-" + ns
	}
	var out []*Desired
	var chunk []Result
	size := 0
	flush := func() {
		d := &Desired{Namespace: ns, Name: base, Results: chunk}
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
	for k, v := range r.Properties {
		n += 6 + 2*(len(k)+len(v))
	}
	return n
}

// finish counts the summary and hashes the content, which tells whether the report in
// the cluster must be written.
func (d *Desired) finish() {
	h := sha256.New()
	var buf []byte
	for _, r := range d.Results {
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
	keys := make([]string, 0, len(r.Properties))
	for k := range r.Properties {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		add(k)
		add(r.Properties[k])
	}
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
		strings.Compare(a.Properties["fieldPath"], b.Properties["fieldPath"]), strings.Compare(a.Message, b.Message), strings.Compare(a.Result, b.Result))
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
		var m map[string]any
		data, _ := json.Marshal(r)
		_ = json.Unmarshal(data, &m)
		results[i] = m
	}
	return map[string]any{
		"apiVersion": api.Group + "/" + api.Version, "kind": kind, "metadata": meta,
		"summary": map[string]any{"pass": int64(d.Summary.Pass), "fail": int64(d.Summary.Fail), "warn": int64(d.Summary.Warn),
			"error": int64(d.Summary.Error), "skip": int64(d.Summary.Skip)},
		"results": results,
	}
}
