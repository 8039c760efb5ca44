package audit

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/scan"
	"github.com/kharden/kharden/internal/source/cluster"
)

// These tests run the audit's logic on hand-made snapshots; e2e_test.go reads a real
// API server.

func meta(ns, name, uid string, owner ...metav1.OwnerReference) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(uid), OwnerReferences: owner}
}

func controllerRef(kind, name, uid string) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: "apps/v1", Kind: kind, Name: name, UID: types.UID(uid), Controller: ptr.To(true)}
}

func privilegedPod() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{
		Name: "web", Image: "nginx:1.27",
		SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)},
	}}}}
}

// collect runs Each and returns the parts.
func collect(t *testing.T, a *Auditor, s *cluster.Snapshot) []*report.Report {
	t.Helper()
	var parts []*report.Report
	if err := a.Each(s, func(p *report.Report) error { parts = append(parts, p); return nil }); err != nil {
		t.Fatal(err)
	}
	return parts
}

// newAuditor builds an auditor without cluster rules, whose logic these tests isolate.
func newAuditor(t *testing.T, o Options) *Auditor {
	t.Helper()
	a, err := build(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func has(part *report.Report, id, fieldPath string) bool {
	for _, r := range part.Results {
		if r.Meta.ID == id && r.Location.FieldPath == fieldPath {
			return true
		}
	}
	return false
}

func TestControllersReportedOnce(t *testing.T) {
	tmpl := privilegedPod()
	s := &cluster.Snapshot{
		Deployments: []appsv1.Deployment{{ObjectMeta: meta("shop", "web", "d1"), Spec: appsv1.DeploymentSpec{Template: tmpl}}},
		ReplicaSets: []appsv1.ReplicaSet{
			{ObjectMeta: meta("shop", "web-5d8f", "rs1", controllerRef("Deployment", "web", "d1")), Spec: appsv1.ReplicaSetSpec{Template: tmpl}},
			// Owned by a Deployment that is not in the snapshot: checked itself.
			{ObjectMeta: meta("shop", "orphan-1", "rs2", controllerRef("Deployment", "gone", "d-gone")), Spec: appsv1.ReplicaSetSpec{Template: tmpl}},
		},
		Pods: []corev1.Pod{
			{ObjectMeta: meta("shop", "web-5d8f-abcde", "p1", controllerRef("ReplicaSet", "web-5d8f", "rs1")), Spec: tmpl.Spec},
			{ObjectMeta: meta("shop", "bare", "p2"), Spec: tmpl.Spec},
			// A static pod is owned by its Node, which is no controller kharden reports.
			{ObjectMeta: meta("kube-system", "etcd-node1", "p3", metav1.OwnerReference{APIVersion: "v1", Kind: "Node", Name: "node1", UID: "n1", Controller: ptr.To(true)}), Spec: tmpl.Spec},
		},
	}
	parts := collect(t, newAuditor(t, Options{}), s)
	var files []string
	for _, p := range parts {
		files = append(files, p.Scanned...)
	}
	want := []string{
		"k8s://kube-system/Pod/etcd-node1",
		"k8s://shop/Deployment/web",
		"k8s://shop/Pod/bare",
		"k8s://shop/ReplicaSet/orphan-1",
	}
	if !slices.Equal(files, want) {
		t.Errorf("checked objects:\n got %q\nwant %q", files, want)
	}
	for _, p := range parts {
		if p.Objects != 1 {
			t.Errorf("%s: Objects = %d", p.Scanned, p.Objects)
		}
		spec := "spec.template.spec"
		if strings.Contains(p.Scanned[0], "/Pod/") {
			spec = "spec"
		}
		if !has(p, "KM-0004", spec+".containers[0].securityContext.privileged") {
			t.Errorf("%s: no privileged finding at its field path: %+v", p.Scanned, p.Results)
		}
		for _, r := range p.Results {
			if r.Location.File != p.Scanned[0] || r.Location.Line != 0 || r.Location.Object.Kind == "" {
				t.Errorf("result located at %+v in part %s", r.Location, p.Scanned)
			}
		}
	}
	if o := parts[1].Results[0].Location.Object; o != (rule.Object{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}) {
		t.Errorf("object = %+v", o)
	}
}

func TestObjectURI(t *testing.T) {
	for o, want := range map[rule.Object]string{
		{Kind: "Deployment", Namespace: "shop", Name: "web"}: "k8s://shop/Deployment/web",
		{Kind: "ClusterRole", Name: "system:controller:foo"}: "k8s:///ClusterRole/system:controller:foo",
		{}: ClusterFile,
	} {
		if got := ObjectURI(o); got != want {
			t.Errorf("ObjectURI(%+v) = %q, want %q", o, got, want)
		}
	}
}

func TestNamespaceLimitAndExemptions(t *testing.T) {
	tmpl := privilegedPod()
	s := &cluster.Snapshot{
		Namespaces: []corev1.Namespace{{ObjectMeta: meta("", "shop", "n1")}, {ObjectMeta: meta("", "kube-system", "n2")}},
		Deployments: []appsv1.Deployment{
			{ObjectMeta: meta("shop", "web", "d1"), Spec: appsv1.DeploymentSpec{Template: tmpl}},
			{ObjectMeta: meta("kube-system", "dns", "d2"), Spec: appsv1.DeploymentSpec{Template: tmpl}},
		},
	}
	files := func(parts []*report.Report) (checked, withResults []string) {
		for _, p := range parts {
			checked = append(checked, p.Scanned...)
			if len(p.Results) > 0 {
				withResults = append(withResults, p.Scanned...)
			}
		}
		return
	}
	checked, _ := files(collect(t, newAuditor(t, Options{Namespace: "shop"}), s))
	if want := []string{"k8s:///Namespace/shop", "k8s://shop/Deployment/web"}; !slices.Equal(checked, want) {
		t.Errorf("-n shop checked %q, want %q", checked, want)
	}
	a := newAuditor(t, Options{Config: &config.Config{ExemptNamespaces: []string{"kube-system"}}})
	_, withResults := files(collect(t, a, s))
	if slices.Contains(withResults, "k8s://kube-system/Deployment/dns") || !slices.Contains(withResults, "k8s://shop/Deployment/web") {
		t.Errorf("exempting kube-system: results on %q", withResults)
	}
}

func TestUnavailableResources(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Group: "rbac.authorization.k8s.io", Resource: "clusterroles"}, "", errors.New("no"))
	s := &cluster.Snapshot{Unavailable: map[string]error{
		cluster.ResourceClusterRoles: forbidden,
		cluster.ResourceNodes:        forbidden,
	}}
	parts := collect(t, newAuditor(t, Options{}), s)
	if len(parts) == 0 || len(parts[0].Errors) != 1 || len(parts[0].Notes) != 1 {
		t.Fatalf("parts %+v", parts)
	}
	if e := parts[0].Errors[0]; e.File != ClusterFile || !strings.Contains(e.Message, "cannot read clusterroles: ") {
		t.Errorf("error %+v", e)
	}
	if n := parts[0].Notes[0]; !strings.Contains(n.Message, "cannot read nodes") {
		t.Errorf("note %+v", n)
	}
	// Namespaced to one namespace, cluster roles are not what the manifest rules check.
	parts = collect(t, newAuditor(t, Options{Namespace: "shop"}), s)
	if len(parts[0].Errors) != 0 || len(parts[0].Notes) != 2 {
		t.Errorf("-n shop: errors %v notes %v", parts[0].Errors, parts[0].Notes)
	}
}

func TestClusterRuleAdapter(t *testing.T) {
	m := func(id, slug string) *rule.Meta {
		return &rule.Meta{ID: id, Slug: slug, Title: "t", Severity: rule.High, Default: true}
	}
	a, err := build(Options{Config: &config.Config{ExemptNamespaces: []string{"kube-system"}}}, []*ClusterRule{
		{Meta: m("KC-9001", "finds"), Check: func(*cluster.Snapshot) []rule.Finding {
			return []rule.Finding{
				{Object: rule.Object{APIVersion: "v1", Kind: "Namespace", Name: "shop"}, Path: "metadata.labels", Message: "no PSA label"},
				{Object: rule.Object{Kind: "Namespace", Name: "kube-system"}, Message: "exempt"},
				{Object: rule.Object{Kind: "ServiceAccount", Namespace: "kube-system", Name: "x"}, Message: "exempt"},
				{Message: "the cluster itself", Status: rule.Manual},
			}
		}},
		{Meta: m("KC-9002", "needs"), Needs: []string{cluster.ResourceNodes}, Check: func(*cluster.Snapshot) []rule.Finding {
			t.Error("a rule whose input is missing ran")
			return nil
		}},
		{Meta: m("KC-9003", "panics"), Check: func(*cluster.Snapshot) []rule.Finding { panic("boom") }},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := &cluster.Snapshot{Unavailable: map[string]error{cluster.ResourceNodes: errors.New("forbidden")}}
	parts := collect(t, a, s)
	if len(parts) != 2 {
		t.Fatalf("%d parts, want the cluster's and the namespace's", len(parts))
	}
	head := parts[0]
	got := map[string]rule.Status{}
	for _, r := range head.Results {
		got[r.Meta.ID] = r.Status
		if r.Location.File != ClusterFile {
			t.Errorf("%s at %q", r.Meta.ID, r.Location.File)
		}
	}
	if want := map[string]rule.Status{"KC-9001": rule.Manual, "KC-9002": rule.Error, "KC-9003": rule.Error}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("cluster results %v, want %v", got, want)
	}
	ns := parts[1]
	if len(ns.Results) != 1 || ns.Results[0].Location.File != "k8s:///Namespace/shop" || ns.Results[0].Location.FieldPath != "metadata.labels" ||
		ns.Results[0].Status != rule.Fail || ns.Objects != 0 {
		t.Errorf("namespace part %+v", ns)
	}
}

func TestSummary(t *testing.T) {
	var s Summary
	res := func(sev rule.Severity, o rule.Object) rule.Result {
		return rule.Result{Severity: sev, Location: rule.Location{Object: o}}
	}
	s.Add(&report.Report{Results: []rule.Result{
		res(rule.Critical, rule.Object{Kind: "Deployment", Namespace: "shop", Name: "web"}),
		res(rule.Low, rule.Object{Kind: "Namespace", Name: "shop"}),
		res(rule.High, rule.Object{Kind: "ClusterRole", Name: "x"}),
		res(rule.Info, rule.Object{}),
		res(rule.Medium, rule.Object{Kind: "Pod", Namespace: "a-very-long-namespace", Name: "p"}),
		{Severity: rule.High, Status: rule.Skipped},
		{Severity: rule.High, Status: rule.Error, Location: rule.Location{Object: rule.Object{Kind: "Pod", Namespace: "shop", Name: "p"}}},
	}})
	var b bytes.Buffer
	if err := s.Write(&b); err != nil {
		t.Fatal(err)
	}
	want := `failing by namespace:
namespace              critical  high  medium  low  info
(cluster)                     0     1       0    0     1
a-very-long-namespace         0     0       1    0     0
shop                          1     0       0    1     0
`
	if b.String() != want {
		t.Errorf("summary:\n%s\nwant:\n%s", b.String(), want)
	}
	var empty Summary
	b.Reset()
	if _ = empty.Write(&b); b.Len() != 0 {
		t.Errorf("empty summary printed %q", b.String())
	}
}

// An audit's SARIF, whose artifacts are k8s:// URIs and whose results have no line, is
// valid SARIF 2.1.0.
func TestSARIFOfAnAuditIsValid(t *testing.T) {
	tmpl := privilegedPod()
	s := &cluster.Snapshot{
		Deployments: []appsv1.Deployment{{ObjectMeta: meta("shop", "web", "d1"), Spec: appsv1.DeploymentSpec{Template: tmpl}}},
		Unavailable: map[string]error{cluster.ResourceNodes: errors.New("forbidden")},
	}
	a := newAuditor(t, Options{})
	var out bytes.Buffer
	st, err := report.NewStream(&out, "sarif", report.Options{}, a.Head())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Each(s, st.Add); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"artifactLocation":{"uri":"k8s://shop/Deployment/web"}`) {
		t.Errorf("no k8s:// artifact in\n%s", out.String())
	}
	file := "../report/testdata/sarif-schema-2.1.0.json"
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	abs, _ := filepath.Abs(file)
	if err := c.AddResource("file://"+abs, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("file://" + abs)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("audit SARIF is not valid SARIF 2.1.0: %v", err)
	}
}

// The manifests that deploy the audit pass kharden scan with nothing at high or above.
func TestDeployManifestsPassScan(t *testing.T) {
	rep, err := scan.Run(scan.Options{Paths: []string{"../../deploy"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) > 0 || rep.Files < 2 {
		t.Fatalf("files %d, errors %v", rep.Files, rep.Errors)
	}
	for _, r := range rep.Results {
		if r.Severity >= rule.High {
			t.Errorf("%s: %s %s %s", r.Location, r.Meta.ID, r.Severity, r.Message)
		}
	}
}

// A cluster rule's finding on an object is suppressed by the object's annotation, as a
// manifest rule's is.
func TestClusterRuleSuppressedByAnnotation(t *testing.T) {
	m := &rule.Meta{ID: "KC-9001", Slug: "psa-labels", Title: "t", Severity: rule.High, Default: true}
	a, err := build(Options{}, []*ClusterRule{{Meta: m, Check: func(*cluster.Snapshot) []rule.Finding {
		return []rule.Finding{{Object: rule.Object{APIVersion: "v1", Kind: "Namespace", Name: "legacy"}, Message: "no PSA label"}}
	}}})
	if err != nil {
		t.Fatal(err)
	}
	ns := corev1.Namespace{ObjectMeta: meta("", "legacy", "n1")}
	ns.Annotations = map[string]string{"ignore.kharden.io/psa-labels": "migrating in Q3; expires=2999-01-01"}
	parts := collect(t, a, &cluster.Snapshot{Namespaces: []corev1.Namespace{ns}})
	if len(parts) != 1 || len(parts[0].Results) != 0 || len(parts[0].Suppressed) != 1 || parts[0].Suppressed[0].Suppressed != "migrating in Q3" {
		t.Errorf("parts %+v", parts)
	}
}

// The config names cluster rules by slug or ID like any other rule.
func TestConfigSelectsClusterRules(t *testing.T) {
	rules := []*ClusterRule{
		{Meta: &rule.Meta{ID: "KC-9001", Slug: "on-by-default", Severity: rule.High, Default: true}},
		{Meta: &rule.Meta{ID: "KC-9002", Slug: "off-by-default", Severity: rule.Low}},
	}
	ids := func(a *Auditor) (out []string) {
		for _, r := range a.cluster {
			out = append(out, r.Meta.ID)
		}
		return out
	}
	a, err := build(Options{Config: &config.Config{Rules: config.Rules{Disable: []string{"on-by-default"}, Enable: []string{"kc-9002"},
		Severity: map[string]string{"off-by-default": "critical"}}}}, rules)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(a); !slices.Equal(got, []string{"KC-9002"}) || a.severity["KC-9002"] != rule.Critical {
		t.Errorf("selected %v, severity %v", got, a.severity)
	}
	if a, _ := build(Options{Profile: "pss-restricted"}, rules); len(ids(a)) != 0 {
		t.Errorf("pss-restricted runs cluster rules %v", ids(a))
	}
	if _, err := build(Options{Config: &config.Config{Rules: config.Rules{Disable: []string{"no-such-rule"}}}}, rules); err == nil {
		t.Error("an unknown rule in the config is no error")
	}
}
