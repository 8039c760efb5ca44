// Package audit is the task-level facade of `kharden audit cluster`: it reads a live
// cluster into a snapshot (package source/cluster), runs the manifest rules on every
// object that defines pods or permissions, the cluster rules on the whole snapshot, and
// hands the results out object by object, in a stable order, for a report.Stream.
package audit

import (
	"context"

	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/engine"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/rules/k8s"
	"github.com/kharden/kharden/internal/scan"
	"github.com/kharden/kharden/internal/source/cluster"
)

// ClusterFile is the Location.File of results and problems about the cluster as a
// whole: findings on no object, resources that could not be listed.
const ClusterFile = "cluster"

// ObjectURI is the Location.File of results about one live object:
// k8s://<namespace>/<Kind>/<name>, or k8s:///<Kind>/<name> for a cluster-scoped object
// (an empty authority, like file:///). Results on no object get ClusterFile.
func ObjectURI(o rule.Object) string {
	if o.Kind == "" && o.Name == "" {
		return ClusterFile
	}
	return "k8s://" + o.Namespace + "/" + o.Kind + "/" + o.Name
}

// Options are the inputs of an audit.
type Options struct {
	// Namespace limits the audit to one namespace: the namespaced lists, and the objects
	// the manifest rules check (the namespace's objects and the Namespace itself).
	// Cluster-scoped objects are still read for the cluster rules.
	Namespace string
	// Profile overrides the config's profile when set.
	Profile string
	// FailOn overrides the config's failOn when set.
	FailOn string
	Config *config.Config
	// Version is the tool version written into reports.
	Version string
	// PageSize, ConnectTimeout and Progress are passed to cluster.Read.
	PageSize       int64
	ConnectTimeout time.Duration
	Progress       func(resource string, n int)
	// SeccompDir is the tree of the nodes' seccomp directory, where the Localhost
	// profiles of the workloads are looked for (see scan.SeccompDir); "" skips that rule.
	SeccompDir string
}

// Auditor is a configured audit: rules selected, config checked, ready to read a cluster.
type Auditor struct {
	o        Options
	eng      *engine.Engine
	cluster  []*ClusterRule
	severity map[string]rule.Severity
	exempt   map[string]bool
	head     *report.Report
}

// New checks the options and config and selects the rules. Its error is a
// *scan.UsageError: nothing has been read yet.
func New(o Options) (*Auditor, error) { return build(o, ClusterRules()) }

// build is New with the cluster rules to select from.
func build(o Options, all []*ClusterRule) (*Auditor, error) {
	cfg := o.Config
	if cfg == nil {
		cfg = &config.Config{}
	}
	profile := cfg.Profile
	if o.Profile != "" {
		profile = o.Profile
	}
	res, err := cfg.Resolve(func(n string) (string, bool) {
		if m := lookup(all, n); m != nil {
			return m.ID, true
		}
		if m := scan.LookupAny(n); m != nil {
			return m.ID, true
		}
		return "", false
	})
	if err != nil {
		return nil, &scan.UsageError{Err: err}
	}
	rules, lv, err := scan.SelectRules(profile, res)
	if err != nil {
		return nil, &scan.UsageError{Err: err}
	}
	head := &report.Report{Tool: "kharden", Version: o.Version, FailOn: rule.High}
	if res.FailOn != nil {
		head.FailOn = *res.FailOn
	}
	if o.FailOn != "" {
		if head.FailOn, err = rule.ParseSeverity(o.FailOn); err != nil {
			return nil, &scan.UsageError{Err: fmt.Errorf("--fail-on: %w", err)}
		}
	}
	a := &Auditor{o: o, severity: res.Severity, exempt: map[string]bool{}, head: head}
	// Cluster rules run in the default profile (not in the pss-* ones, which hold only
	// the Pod Security checks) unless the config turns them on or off.
	defaultProfile := profile == "" || profile == "default"
	var extra []*rule.Meta
	for _, r := range all {
		on := r.Meta.Default && defaultProfile
		if v, ok := res.Enabled[r.Meta.ID]; ok {
			on = v
		}
		if on {
			a.cluster = append(a.cluster, r)
			extra = append(extra, r.Meta)
		}
	}
	known := scan.Lookup(k8s.All())
	eo := engine.Options{
		Rules:            rules,
		Severity:         res.Severity,
		Settings:         k8s.Settings{AllowedRegistries: cfg.AllowedRegistries, PSS: lv},
		ExemptNamespaces: cfg.ExemptNamespaces,
		Known:            func(n string) bool { return known(n) != nil || lookup(all, n) != nil },
		Extra:            extra,
	}
	if err := scan.SeccompDir(&eo, o.SeccompDir); err != nil {
		return nil, &scan.UsageError{Err: err}
	}
	a.eng = engine.New(eo)
	for _, ns := range cfg.ExemptNamespaces {
		a.exempt[ns] = true
	}
	head.Rules = a.eng.Rules()
	for _, r := range a.cluster {
		head.Rules = append(head.Rules, r.Meta)
	}
	slices.SortFunc(head.Rules, func(x, y *rule.Meta) int { return strings.Compare(x.ID, y.ID) })
	return a, nil
}

func lookup(rules []*ClusterRule, n string) *rule.Meta {
	for _, r := range rules {
		if r.Meta.Slug == n || strings.EqualFold(r.Meta.ID, n) {
			return r.Meta
		}
	}
	return nil
}

// Head is the report's header: tool, version, the rules that run and the threshold.
func (a *Auditor) Head() *report.Report { return a.head }

// Read reads the cluster cfg points at (see cluster.Read).
func (a *Auditor) Read(ctx context.Context, cfg *rest.Config) (*cluster.Snapshot, error) {
	return cluster.Read(ctx, cfg, cluster.ReadOptions{Namespace: a.o.Namespace, PageSize: a.o.PageSize,
		ConnectTimeout: a.o.ConnectTimeout, Progress: a.o.Progress})
}

// Each evaluates the rules on a snapshot and hands out the results in parts, in a stable
// order: first the cluster as a whole (resources that could not be listed, findings on no
// object), then one part per object that was checked or has a finding, ordered by
// ObjectURI (cluster-scoped objects first, then namespace by namespace, kind by kind).
// Each part's Scanned names the object, so JUnit lists clean objects as passing.
//
// Pods, ReplicaSets and Jobs whose controller is in the snapshot are not checked: their
// controller's template is, so a Deployment's findings are reported once, not once per
// ReplicaSet and pod. Nor are Kubernetes' own default roles and bindings (see
// builtinRBAC), which nobody can change; a note counts them. It stops at the first
// error emit returns.
func (a *Auditor) Each(s *cluster.Snapshot, emit func(part *report.Report) error) error {
	return a.EachMemo(s, nil, emit)
}

// EachMemo is Each reusing, from memo, the parts of the objects whose inputs did not
// change since the last audit that used it (see Memo); emit must not change the parts.
// A nil memo evaluates everything.
func (a *Auditor) EachMemo(s *cluster.Snapshot, memo *Memo, emit func(part *report.Report) error) error {
	if memo != nil {
		memo.begin()
		defer memo.end()
	}
	head := &report.Report{FailOn: a.head.FailOn}
	a.unavailable(s, head)
	subjects, builtin := a.subjects(s)
	if builtin > 0 && len(a.eng.Rules()) > 0 {
		head.Notes = append(head.Notes, report.Problem{File: ClusterFile, Message: fmt.Sprintf(
			"%d built-in RBAC objects of Kubernetes (system:*, cluster-admin, admin, edit, view labelled %s=%s) "+
				"are not checked by the manifest rules: the API server recreates them as they are", builtin, bootstrapLabel, bootstrapValue)})
	}
	byFile := a.runClusterRules(s)
	head.Results = append(head.Results, byFile[ClusterFile]...)
	delete(byFile, ClusterFile)
	if len(head.Results)+len(head.Errors)+len(head.Notes) > 0 {
		if err := emit(head); err != nil {
			return err
		}
	}

	// Objects with cluster-rule findings that the manifest rules do not check.
	for file := range byFile {
		if _, ok := slices.BinarySearchFunc(subjects, file, func(x subject, f string) int { return strings.Compare(x.file, f) }); !ok {
			subjects = append(subjects, subject{file: file})
		}
	}
	slices.SortFunc(subjects, func(x, y subject) int { return strings.Compare(x.file, y.file) })
	// Pods are judged with the ServiceAccounts they run as (token automount): all of the
	// cluster's, or of the audited namespace, where the pods are; none when they could not
	// be listed.
	eng := a.eng
	if s.Missing(cluster.ResourceServiceAccounts) == nil {
		eng = eng.WithServiceAccounts(k8s.NewServiceAccounts(s.ServiceAccounts, true))
	}
	for _, sub := range subjects {
		if memo != nil && sub.typed != nil {
			if part, ok := memo.lookup(sub.file, sub.typed, byFile[sub.file]); ok {
				memo.Hits++
				if err := emit(part); err != nil {
					return err
				}
				continue
			}
			memo.Misses++
		}
		part := &report.Report{FailOn: a.head.FailOn}
		if sub.typed != nil {
			// The object's suppression annotations apply to the cluster rules' results too.
			part.Scanned = []string{sub.file}
			eng.ScanObject(sub.file, sub.obj, sub.typed, part, byFile[sub.file]...)
			if memo != nil {
				memo.store(sub.file, sub.typed, byFile[sub.file], part)
			}
		} else {
			part.Results = append(part.Results, byFile[sub.file]...)
		}
		if err := emit(part); err != nil {
			return err
		}
	}
	return nil
}

// unavailable reports the resources that could not be read. A resource whose objects
// the manifest rules would have checked is an error: something went unchecked that no
// result says. The others are notes, as the cluster rules that need them report an
// error result of their own.
func (a *Auditor) unavailable(s *cluster.Snapshot, part *report.Report) {
	names := make([]string, 0, len(s.Unavailable))
	for name := range s.Unavailable {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		p := report.Problem{File: ClusterFile, Message: fmt.Sprintf("cannot read %s: %v", name, s.Unavailable[name])}
		if a.checked(name) {
			part.Errors = append(part.Errors, p)
		} else {
			part.Notes = append(part.Notes, p)
		}
	}
}

// checked tells whether the manifest rules check the objects of a resource.
func (a *Auditor) checked(resource string) bool {
	if len(a.eng.Rules()) == 0 {
		return false
	}
	switch resource {
	case cluster.ResourceClusterRoles, cluster.ResourceClusterRoleBindings:
		return a.o.Namespace == ""
	case cluster.ResourceVersion, cluster.ResourceNodes, cluster.ResourceControlPlane,
		cluster.ResourceValidatingWebhookConfigurations, cluster.ResourceMutatingWebhookConfigurations:
		return false
	}
	return true
}

// subject is an object the manifest rules check, or (typed nil) one that only has
// cluster-rule findings.
type subject struct {
	file  string
	obj   rule.Object
	typed any
}

// subjects lists the objects the manifest rules check, sorted by file, and counts the
// built-in RBAC objects left out.
func (a *Auditor) subjects(s *cluster.Snapshot) (_ []subject, builtin int) {
	// Controllers in the snapshot, by UID: what they own is reported through them.
	controllers := map[types.UID]bool{}
	mark := func(m *metav1.ObjectMeta) { controllers[m.UID] = true }
	for i := range s.Deployments {
		mark(&s.Deployments[i].ObjectMeta)
	}
	for i := range s.ReplicaSets {
		mark(&s.ReplicaSets[i].ObjectMeta)
	}
	for i := range s.StatefulSets {
		mark(&s.StatefulSets[i].ObjectMeta)
	}
	for i := range s.DaemonSets {
		mark(&s.DaemonSets[i].ObjectMeta)
	}
	for i := range s.Jobs {
		mark(&s.Jobs[i].ObjectMeta)
	}
	for i := range s.CronJobs {
		mark(&s.CronJobs[i].ObjectMeta)
	}
	for i := range s.ReplicationControllers {
		mark(&s.ReplicationControllers[i].ObjectMeta)
	}
	owned := func(m *metav1.ObjectMeta) bool {
		ref := metav1.GetControllerOf(m)
		return ref != nil && controllers[ref.UID]
	}

	var out []subject
	add := func(apiVersion, kind string, typed any, m *metav1.ObjectMeta) {
		if a.o.Namespace != "" && m.Namespace != a.o.Namespace && !(kind == "Namespace" && m.Name == a.o.Namespace) {
			return
		}
		obj := rule.Object{APIVersion: apiVersion, Kind: kind, Namespace: m.Namespace, Name: m.Name}
		out = append(out, subject{file: ObjectURI(obj), obj: obj, typed: typed})
	}
	for i := range s.Namespaces {
		add("v1", "Namespace", &s.Namespaces[i], &s.Namespaces[i].ObjectMeta)
	}
	for i := range s.ServiceAccounts {
		add("v1", "ServiceAccount", &s.ServiceAccounts[i], &s.ServiceAccounts[i].ObjectMeta)
	}
	for i := range s.NetworkPolicies {
		add("networking.k8s.io/v1", "NetworkPolicy", &s.NetworkPolicies[i], &s.NetworkPolicies[i].ObjectMeta)
	}
	for i := range s.Pods {
		if !owned(&s.Pods[i].ObjectMeta) {
			add("v1", "Pod", &s.Pods[i], &s.Pods[i].ObjectMeta)
		}
	}
	for i := range s.PodTemplates {
		add("v1", "PodTemplate", &s.PodTemplates[i], &s.PodTemplates[i].ObjectMeta)
	}
	for i := range s.ReplicationControllers {
		add("v1", "ReplicationController", &s.ReplicationControllers[i], &s.ReplicationControllers[i].ObjectMeta)
	}
	for i := range s.Deployments {
		add("apps/v1", "Deployment", &s.Deployments[i], &s.Deployments[i].ObjectMeta)
	}
	for i := range s.StatefulSets {
		add("apps/v1", "StatefulSet", &s.StatefulSets[i], &s.StatefulSets[i].ObjectMeta)
	}
	for i := range s.DaemonSets {
		add("apps/v1", "DaemonSet", &s.DaemonSets[i], &s.DaemonSets[i].ObjectMeta)
	}
	for i := range s.ReplicaSets {
		if !owned(&s.ReplicaSets[i].ObjectMeta) {
			add("apps/v1", "ReplicaSet", &s.ReplicaSets[i], &s.ReplicaSets[i].ObjectMeta)
		}
	}
	for i := range s.Jobs {
		if !owned(&s.Jobs[i].ObjectMeta) {
			add("batch/v1", "Job", &s.Jobs[i], &s.Jobs[i].ObjectMeta)
		}
	}
	for i := range s.CronJobs {
		add("batch/v1", "CronJob", &s.CronJobs[i], &s.CronJobs[i].ObjectMeta)
	}
	const rbac = "rbac.authorization.k8s.io/v1"
	addRBAC := func(kind string, typed any, m *metav1.ObjectMeta) {
		if builtinRBAC(m) {
			if a.o.Namespace == "" || m.Namespace == a.o.Namespace {
				builtin++
			}
			return
		}
		add(rbac, kind, typed, m)
	}
	for i := range s.Roles {
		addRBAC("Role", &s.Roles[i], &s.Roles[i].ObjectMeta)
	}
	for i := range s.RoleBindings {
		addRBAC("RoleBinding", &s.RoleBindings[i], &s.RoleBindings[i].ObjectMeta)
	}
	for i := range s.ClusterRoles {
		addRBAC("ClusterRole", &s.ClusterRoles[i], &s.ClusterRoles[i].ObjectMeta)
	}
	for i := range s.ClusterRoleBindings {
		addRBAC("ClusterRoleBinding", &s.ClusterRoleBindings[i], &s.ClusterRoleBindings[i].ObjectMeta)
	}
	slices.SortFunc(out, func(x, y subject) int { return strings.Compare(x.file, y.file) })
	return out, builtin
}

// The label the API server puts on the RBAC objects it creates and reconciles at start.
const bootstrapLabel, bootstrapValue = "kubernetes.io/bootstrapping", "rbac-defaults"

// builtinRBAC tells whether a role or binding is one of Kubernetes' own defaults: the
// bootstrap label and a name of the defaults (system:..., cluster-admin and the
// user-facing admin, edit, view). Both are required, so labelling a role of one's own
// does not hide it. Such objects are reconciled by the API server at every start: a
// finding on them could not be acted on. Who is bound to them is what matters, and the
// cluster rules judge that from the effective permissions.
func builtinRBAC(m *metav1.ObjectMeta) bool {
	if m.Labels[bootstrapLabel] != bootstrapValue {
		return false
	}
	switch m.Name {
	case "cluster-admin", "admin", "edit", "view":
		return true
	}
	return strings.HasPrefix(m.Name, "system:")
}

// runClusterRules evaluates the cluster rules and returns their results by file
// (ObjectURI of the finding's object). A rule that needs a resource that could not be
// read, or that panics, gives one result with status Error.
func (a *Auditor) runClusterRules(s *cluster.Snapshot) map[string][]rule.Result {
	out := map[string][]rule.Result{}
	for _, r := range a.cluster {
		sev := r.Meta.Severity
		if v, ok := a.severity[r.Meta.ID]; ok {
			sev = v
		}
		if err := r.missing(s); err != nil {
			out[ClusterFile] = append(out[ClusterFile], rule.Result{Meta: r.Meta, Status: rule.Error, Severity: sev,
				Message: "could not evaluate: " + strings.ReplaceAll(err.Error(), "\n", "; "), Location: rule.Location{File: ClusterFile}})
			continue
		}
		fs, err := runCluster(r, s)
		if err != nil {
			out[ClusterFile] = append(out[ClusterFile], rule.Result{Meta: r.Meta, Status: rule.Error, Severity: sev,
				Message: err.Error(), Location: rule.Location{File: ClusterFile}})
			continue
		}
		for _, f := range fs {
			if a.exempted(f.Object) {
				continue
			}
			file, status := ObjectURI(f.Object), f.Status
			if status == "" {
				status = rule.Fail
			}
			out[file] = append(out[file], rule.Result{Meta: r.Meta, Status: status, Severity: sev, Message: f.Message,
				Practices: f.Practices, Location: rule.Location{File: file, FieldPath: f.Path, Object: f.Object}})
		}
	}
	return out
}

// Exempt tells whether the config exempts namespace from the audit.
func (a *Auditor) Exempt(namespace string) bool { return a.exempt[namespace] }

// exempted tells whether a finding's object is in an exempt namespace, or is one.
func (a *Auditor) exempted(o rule.Object) bool {
	return a.exempt[o.Namespace] || o.Kind == "Namespace" && a.exempt[o.Name]
}

// runCluster calls a cluster rule, turning a panic into an error.
func runCluster(r *ClusterRule, s *cluster.Snapshot) (fs []rule.Finding, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error in rule %s (%s): %v\n%s", r.Meta.ID, r.Meta.Slug, p, firstFrames(debug.Stack()))
		}
	}()
	return r.Check(s), nil
}

func firstFrames(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	if len(lines) > 12 {
		lines = lines[:12]
	}
	return strings.Join(lines, "\n")
}

// Run reads the cluster and audits it into one report, for callers that want it whole
// (tests, small clusters). It returns the snapshot too. Errors are those of New (a
// *scan.UsageError) and of cluster.Read.
func Run(ctx context.Context, cfg *rest.Config, o Options) (*report.Report, *cluster.Snapshot, error) {
	a, err := New(o)
	if err != nil {
		return nil, nil, err
	}
	s, err := a.Read(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	rep := *a.head
	err = a.Each(s, func(part *report.Report) error {
		rep.Files += part.Files
		rep.Objects += part.Objects
		rep.Scanned = append(rep.Scanned, part.Scanned...)
		rep.Results = append(rep.Results, part.Results...)
		rep.Suppressed = append(rep.Suppressed, part.Suppressed...)
		rep.Errors = append(rep.Errors, part.Errors...)
		rep.Notes = append(rep.Notes, part.Notes...)
		return nil
	})
	rep.Sort()
	return &rep, s, err
}
