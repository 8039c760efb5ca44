// Package admission judges Kubernetes admission requests with the engine and rules of
// `kharden scan`: it decodes the object of an AdmissionRequest as the scan decodes a
// manifest, runs the rules of the namespace's policy (chosen by kharden.io/* namespace
// labels, defaults from the config file) and answers: deny (enforce), admission warnings
// (warn), audit annotations (audit), and, for namespaces that opt in, a JSONPatch that
// fills in unset hardening defaults (mutation). Controllers are judged by their pod
// template, pods by their spec, as the scan judges them.
//
// The HTTP side (AdmissionReview in, AdmissionReview out, TLS, metrics) is package
// webhook; this package is pure request -> response logic.
package admission

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/engine"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/workload"
)

// Handler answers one admission request, in the manner of controller-runtime's
// admission.Handler but over the plain admission/v1 types.
type Handler interface {
	Handle(ctx context.Context, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse

// Handle implements Handler.
func (f HandlerFunc) Handle(ctx context.Context, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	return f(ctx, req)
}

// Options configure a Reviewer.
type Options struct {
	// Config is the config file: its admission section gives the default policy, the rest
	// (profile, rules, severities, allowed registries, exempt namespaces) what a scan with
	// it would run.
	Config *config.Config
	// Namespaces gives namespace labels; nil means every namespace has none.
	Namespaces Namespaces
	// Now returns the time suppression expiry is judged against; nil means time.Now.
	Now func() time.Time
	// MaxListed bounds the findings a denial message lists (default 20); the rest are
	// counted.
	MaxListed int
	// MaxContainers bounds the containers (init, regular and ephemeral) of a workload
	// the rules judge in one review (default DefaultMaxContainers). A workload with more
	// is denied by an enforce level, without running the rules, and admitted with a
	// warning otherwise.
	MaxContainers int
	// MaxElements bounds the list items and map entries (ports, volumes, environment
	// variables, capabilities, ConfigMap keys...) of an object judged in one review
	// (default DefaultMaxElements), with the same answer past it.
	MaxElements int
	// MaxFindings bounds the findings of one review (default DefaultMaxFindings): an
	// object with more is denied by an enforce level even when none of them reaches its
	// threshold. Warnings and annotations list a few findings and count the rest.
	MaxFindings int
	// Images configure the verification of images by the config's
	// admission.imagePolicies (registry access, timeout, cache, pull secrets, metrics).
	Images ImageOptions
}

// Reviewer judges admission requests. It is safe for concurrent use.
type Reviewer struct {
	cfg       *config.Config
	defaults  *Defaults
	ns        Namespaces
	now       func() time.Time
	maxListed int
	// maxContainers and maxFindings: Options.MaxContainers and MaxFindings.
	maxContainers, maxElements, maxFindings int

	mu      sync.RWMutex
	engines map[string]*engineEntry // by profile

	// images verifies images by the config's image policies; nil when there are none.
	images *imageVerifier
}

type engineEntry struct {
	eng *engine.Engine
	day string // the date the engine judges suppression expiry on
}

// New checks the config and builds a Reviewer. The error is the config's: an unknown rule,
// a bad severity or admission level.
func New(o Options) (*Reviewer, error) {
	cfg := o.Config
	if cfg == nil {
		cfg = &config.Config{}
	}
	d, err := NewDefaults(cfg)
	if err != nil {
		return nil, err
	}
	r := &Reviewer{cfg: cfg, defaults: d, ns: o.Namespaces, now: o.Now, maxListed: o.MaxListed,
		maxContainers: o.MaxContainers, maxElements: o.MaxElements, maxFindings: o.MaxFindings, engines: map[string]*engineEntry{}}
	if r.now == nil {
		r.now = time.Now
	}
	if r.maxListed <= 0 {
		r.maxListed = 20
	}
	if r.maxContainers <= 0 {
		r.maxContainers = DefaultMaxContainers
	}
	if r.maxElements <= 0 {
		r.maxElements = DefaultMaxElements
	}
	if r.maxFindings <= 0 {
		r.maxFindings = DefaultMaxFindings
	}
	if r.ns == nil {
		r.ns = StaticNamespaces{}
	}
	policies, err := newImagePolicies(cfg)
	if err != nil {
		return nil, err
	}
	r.images = newImageVerifier(policies, o.Images, r.now)
	// Build the engines the defaults and every Pod Security level need now, so that a bad
	// config fails at start rather than on a request.
	profiles := []string{cfg.Profile, "pss-baseline", "pss-restricted"}
	for _, m := range Modes {
		if l := d.Level(m); !l.Off() {
			profiles = append(profiles, l.Profile)
		}
	}
	for _, p := range profiles {
		if p == "" {
			p = "default"
		}
		if _, err := r.engine(p); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Defaults returns the policy of namespaces without labels.
func (r *Reviewer) Defaults() *Defaults { return r.defaults }

// ImagePolicies returns the names of the config's image policies.
func (r *Reviewer) ImagePolicies() []string {
	if r.images == nil {
		return nil
	}
	out := make([]string, len(r.images.policies))
	for i, p := range r.images.policies {
		out[i] = p.Name
	}
	return out
}

// SetImageMetrics sets where image verification reports (the webhook's metrics).
func (r *Reviewer) SetImageMetrics(m ImageMetrics) {
	if r.images != nil && m != nil {
		r.images.m.Store(&metricsHolder{m})
	}
}

// imageChecks verifies the images of a workload object where the config has image
// policies and the namespace judges (any mode on) and is not exempt.
func (r *Reviewer) imageChecks(ctx context.Context, namespace string, pol Policy, obj *object) []imageCheck {
	if r.images == nil || (pol.Enforce.Off() && pol.Warn.Off() && pol.Audit.Off()) || slices.Contains(r.cfg.ExemptNamespaces, namespace) {
		return nil
	}
	w := workload.From(obj.typed)
	if w == nil || w.Spec == nil {
		return nil
	}
	return r.images.judge(ctx, namespace, w)
}

// engine returns the engine of a profile, built on first use and rebuilt when the date
// changes, so that suppressions expire in a long-running webhook.
func (r *Reviewer) engine(profile string) (*engine.Engine, error) {
	now := r.now()
	day := now.Format(time.DateOnly)
	r.mu.RLock()
	e := r.engines[profile]
	r.mu.RUnlock()
	if e != nil && e.day == day {
		return e.eng, nil
	}
	eng, err := r.newEngine(profile, now)
	if err != nil {
		return nil, fmt.Errorf("profile %q: %w", profile, err)
	}
	r.mu.Lock()
	r.engines[profile] = &engineEntry{eng: eng, day: day}
	r.mu.Unlock()
	return eng, nil
}

// Policy returns the policy of a namespace. Cluster-scoped objects (namespace "") get the
// defaults.
func (r *Reviewer) Policy(ctx context.Context, namespace string) (Policy, error) {
	if namespace == "" {
		return r.defaults.For(nil), nil
	}
	labels, _, err := r.ns.Labels(ctx, namespace)
	if err != nil {
		return Policy{}, err
	}
	return r.defaults.For(labels), nil
}

// Decision is a response with what the webhook's metrics count.
type Decision struct {
	Response *admissionv1.AdmissionResponse
	// Outcome is "allowed", "denied", "warned" (allowed with warnings), "patched"
	// (allowed with a patch) or "error" (denied because the request could not be judged).
	Outcome string
	// Hits are the IDs of the rules whose findings counted in any mode, each once.
	Hits []string
}

// Outcomes of a Decision.
const (
	Allowed = "allowed"
	Denied  = "denied"
	Warned  = "warned"
	Patched = "patched"
	Errored = "error"
)

// Validator returns the validating handler.
func (r *Reviewer) Validator() Handler {
	return HandlerFunc(func(ctx context.Context, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
		return r.Validate(ctx, req).Response
	})
}

// Mutator returns the mutating handler.
func (r *Reviewer) Mutator() Handler {
	return HandlerFunc(func(ctx context.Context, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
		return r.Mutate(ctx, req).Response
	})
}

// judged tells whether a request carries an object the rules judge: creates and updates of
// a resource itself, or of a pod's ephemeral containers.
func judged(req *admissionv1.AdmissionRequest) bool {
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return false
	}
	return req.SubResource == "" || req.SubResource == "ephemeralcontainers"
}

// Validate judges a request by the namespace's enforce, warn and audit levels.
func (r *Reviewer) Validate(ctx context.Context, req *admissionv1.AdmissionRequest) Decision {
	resp := &admissionv1.AdmissionResponse{UID: req.UID, Allowed: true}
	d := Decision{Response: resp, Outcome: Allowed}
	if !judged(req) {
		return d
	}
	pol, err := r.Policy(ctx, req.Namespace)
	if err != nil {
		return deny(d, http.StatusInternalServerError, metav1.StatusReasonInternalError,
			fmt.Sprintf("kharden: cannot tell the policy of namespace %q: %v", req.Namespace, err))
	}
	var enforceProblems []string
	for _, p := range pol.Problems {
		if p.Mode == Enforce {
			enforceProblems = append(enforceProblems, p.String())
		} else { // warn, audit and mutate: the mutating webhook may never see the namespace
			resp.Warnings = append(resp.Warnings, "kharden: "+p.String())
		}
	}
	if len(enforceProblems) > 0 {
		d.Outcome = Errored
		return deny(d, http.StatusForbidden, metav1.StatusReasonForbidden,
			"kharden: the namespace's enforce policy cannot be read, so nothing is admitted until it is fixed: "+
				strings.Join(enforceProblems, "; "))
	}
	if pol.Enforce.Off() && pol.Warn.Off() && pol.Audit.Off() {
		return d
	}
	obj, err := requestObject(req)
	if err != nil {
		msg := "kharden: cannot decode the object: " + err.Error()
		if !pol.Enforce.Off() {
			d.Outcome = Errored
			return deny(d, http.StatusBadRequest, metav1.StatusReasonBadRequest, msg)
		}
		resp.Warnings = append(resp.Warnings, truncate(msg, maxWarning))
		d.Outcome = Warned
		return d
	}
	if req.Operation == admissionv1.Update && unchanged(req, obj) {
		return d // metadata-only updates (finalizers, controller annotations) of what was admitted
	}
	// The rules' work (and findings) grow with the containers and lists: past the caps,
	// no rule runs.
	if why := r.overCaps(obj, req.Object.Raw); why != "" {
		d = unjudged(d, pol, why)
		d.Response.Warnings = capWarnings(dedupe(d.Response.Warnings))
		return d
	}
	reps := map[string]*report.Report{}
	for _, m := range Modes {
		l := pol.Level(m)
		if l.Off() || reps[l.Profile] != nil {
			continue
		}
		eng, err := r.engine(l.Profile)
		if err != nil { // only a config problem, which New has already ruled out
			d.Outcome = Errored
			return deny(d, http.StatusInternalServerError, metav1.StatusReasonInternalError, "kharden: "+err.Error())
		}
		rep := &report.Report{}
		eng.ScanObject(fileOf(obj.id), obj.id, obj.typed, rep)
		reps[l.Profile] = rep
	}
	hits := map[string]bool{}
	var denial string
	most := 0 // findings of the profile that has most, at any severity
	for _, rep := range reps {
		most = max(most, len(rep.Results)+len(rep.Errors))
	}
	for _, m := range Modes {
		l := pol.Level(m)
		if l.Off() {
			continue
		}
		v := Judge(reps[l.Profile], l)
		for _, res := range v.Results {
			hits[res.Meta.ID] = true
		}
		// Messages list a few findings and count the rest, whatever their number.
		switch m {
		case Enforce:
			if v.Deny() {
				denial = truncate(r.denialMessage(obj.id, l, v), maxDenial)
			}
		case Warn:
			resp.Warnings = append(resp.Warnings, levelWarnings(l, v)...)
		case Audit:
			if resp.AuditAnnotations == nil {
				resp.AuditAnnotations = map[string]string{}
			}
			auditAnnotations(resp.AuditAnnotations, l, v.firstResults(maxListedInAnnotation))
			if v.Deny() {
				resp.AuditAnnotations[AnnotationAuditViolations] = truncate(strings.Join(v.IDs(), ","), maxAnnotation)
			}
		}
		for _, res := range v.RuleErrors {
			resp.Warnings = append(resp.Warnings, truncate(fmt.Sprintf("kharden: rule %s could not be evaluated (%s): %s",
				res.Meta.ID, m, firstLine(res.Message)), maxWarning))
		}
	}
	if failed := imageFailures(r.imageChecks(ctx, req.Namespace, pol, obj)); len(failed) > 0 {
		if !pol.Enforce.Off() {
			denial = joinDenials(denial, r.imageDenial(obj.id, failed))
		}
		if !pol.Warn.Off() {
			for _, c := range failed {
				resp.Warnings = append(resp.Warnings, truncate("kharden (image policy): "+c.String(), maxWarning))
			}
		}
		if !pol.Audit.Off() {
			if resp.AuditAnnotations == nil {
				resp.AuditAnnotations = map[string]string{}
			}
			resp.AuditAnnotations[AnnotationAuditImages] = imageAnnotation(failed)
		}
	}
	resp.Warnings = capWarnings(dedupe(resp.Warnings))
	d.Hits = sortedKeys(hits)
	if denial == "" && most > r.maxFindings && !pol.Enforce.Off() {
		d = unjudged(d, pol, fmt.Sprintf("%s has %d findings, more than the %d the webhook judges in one review", obj.id, most, r.maxFindings))
		resp.Warnings = capWarnings(resp.Warnings)
		return d
	}
	if denial != "" {
		return deny(d, http.StatusForbidden, metav1.StatusReasonForbidden, denial)
	}
	if len(resp.Warnings) > 0 {
		d.Outcome = Warned
	}
	return d
}

func deny(d Decision, code int32, reason metav1.StatusReason, msg string) Decision {
	d.Response.Allowed = false
	d.Response.Result = &metav1.Status{Status: metav1.StatusFailure, Code: code, Reason: reason, Message: msg}
	if d.Outcome != Errored {
		d.Outcome = Denied
	}
	return d
}

// fileOf is the Location.File of results about an object under review.
func fileOf(o rule.Object) string {
	return "admission://" + o.Namespace + "/" + o.Kind + "/" + o.Name
}

// unchanged tells whether an update leaves alone everything the rules judge of a
// workload: the pod spec, the pod metadata the checks read and the suppression
// annotations. Such updates (a finalizer removed, a controller's revision annotation)
// are admitted as Pod Security Admission admits them, so that an object admitted before
// a namespace's policy was tightened can still be updated and deleted.
func unchanged(req *admissionv1.AdmissionRequest, obj *object) bool {
	w := workload.From(obj.typed)
	if w == nil || len(req.OldObject.Raw) == 0 {
		return false
	}
	old, err := decodeObject(req.OldObject.Raw, req.Kind, req.Namespace, req.Name)
	if err != nil {
		return false
	}
	ow := workload.From(old.typed)
	if ow == nil {
		return false
	}
	return equality.Semantic.DeepEqual(w.Spec, ow.Spec) &&
		equality.Semantic.DeepEqual(w.PodMeta.Annotations, ow.PodMeta.Annotations) &&
		equality.Semantic.DeepEqual(suppressions(w.Meta.Annotations), suppressions(ow.Meta.Annotations))
}

func suppressions(annotations map[string]string) map[string]string {
	var out map[string]string
	for k, v := range annotations {
		if strings.HasPrefix(k, engine.SuppressPrefix) {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

// Verdict is what one level makes of a scan report.
type Verdict struct {
	// Results are the failing results at or above the level's threshold, in report order.
	Results []rule.Result
	// Problems are the object's input errors (a malformed suppression annotation), which
	// fail a scan as they fail a request.
	Problems []report.Problem
	// RuleErrors are results of rules that could not be evaluated: reported, never
	// deciding, as in a scan ("could not check" is not "checked and failed").
	RuleErrors []rule.Result
}

// Deny tells whether the verdict denies: a finding at or above the threshold, or an
// input problem (the scan's exit code 1 or 2 for the same reasons).
func (v Verdict) Deny() bool { return len(v.Results)+len(v.Problems) > 0 }

// IDs returns the rule IDs of the results, sorted, each once.
func (v Verdict) IDs() []string {
	m := map[string]bool{}
	for _, r := range v.Results {
		m[r.Meta.ID] = true
	}
	return sortedKeys(m)
}

// Judge applies a level to a report of the level's profile: the scan's --fail-on
// threshold, applied to one object.
func Judge(rep *report.Report, l Level) Verdict {
	var v Verdict
	if rep == nil {
		return v
	}
	for i := range rep.Results {
		res := &rep.Results[i]
		switch {
		case res.Status == rule.Error:
			v.RuleErrors = append(v.RuleErrors, *res)
		case (res.Status == rule.Fail || res.Status == "") && res.Severity >= l.Threshold:
			if v.Results == nil {
				v.Results = make([]rule.Result, 0, len(rep.Results)-i) // results are large: grow once
			}
			v.Results = append(v.Results, *res)
		}
	}
	v.Problems = rep.Errors
	return v
}

func sortedKeys(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func dedupe(ss []string) []string {
	if len(ss) < 2 {
		return ss
	}
	seen := map[string]bool{}
	out := ss[:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
