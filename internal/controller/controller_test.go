package controller

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/kharden/kharden/internal/audit"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	kcluster "github.com/kharden/kharden/internal/testkit/cluster"
)

func TestMain(m *testing.M) { os.Exit(kcluster.Main(m, kcluster.Options{})) }

// installed are the API servers (by host) the CRDs are installed on.
var installed sync.Map

// installCRDs installs the chart's report CRDs, as Helm would, and waits until they
// are served.
func installCRDs(t *testing.T, cfg *rest.Config) {
	t.Helper()
	if _, done := installed.LoadOrStore(cfg.Host, true); done {
		return
	}
	func() {
		dyn := dynamic.NewForConfigOrDie(cfg)
		gvr := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
		files, _ := filepath.Glob("../../charts/kharden/crds/*.yaml")
		if len(files) < 2 {
			t.Fatalf("chart CRDs: %v", files)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var obj map[string]any
			if err := yaml.Unmarshal(data, &obj); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if _, err := dyn.Resource(gvr).Create(context.Background(), &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatalf("%s: %v", f, err)
			}
		}
		cs := kubernetes.NewForConfigOrDie(cfg)
		deadline := time.Now().Add(30 * time.Second)
		for {
			res, err := cs.Discovery().ServerResourcesForGroupVersion("wgpolicyk8s.io/v1alpha2")
			if err == nil && len(res.APIResources) >= 2 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the report CRDs are not served: %v", err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
}

func privileged(name string, priv bool) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	sc := &corev1.SecurityContext{Privileged: ptr.To(priv)}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27", SecurityContext: sc}}}},
		},
	}
}

func newNamespace(t *testing.T, cs kubernetes.Interface, prefix string) string {
	t.Helper()
	ns, err := cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ServiceAccounts(ns.Name).Create(context.Background(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// running is a controller started for a test.
type running struct {
	c       *Controller
	metrics *Metrics
	reg     *prometheus.Registry
	ready   chan time.Duration
	done    chan error
	cancel  context.CancelFunc
	log     *syncBuffer
	once    sync.Once
	err     error
}

// stop stops the controller and returns how Run ended.
func (r *running) stop() error {
	r.once.Do(func() {
		r.cancel()
		r.err = <-r.done
	})
	return r.err
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func start(t *testing.T, cfg *rest.Config, with ...func(*Options)) *running {
	t.Helper()
	a, err := audit.New(audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &running{reg: prometheus.NewRegistry(), ready: make(chan time.Duration, 1), done: make(chan error, 1), log: &syncBuffer{}}
	r.metrics = NewMetrics(r.reg)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	o := Options{Auditor: a, Config: cfg, Debounce: 20 * time.Millisecond, Metrics: r.metrics, Log: r.log,
		Ready: func(d time.Duration) { r.ready <- d }}
	for _, f := range with {
		f(&o)
	}
	r.c, err = New(ctx, o)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() { r.done <- r.c.Run(ctx) }()
	t.Cleanup(func() {
		if err := r.stop(); err != nil && err != context.Canceled {
			t.Errorf("controller: %v", err)
		}
		if t.Failed() {
			t.Logf("controller log:\n%s", r.log.String())
		}
	})
	select {
	case <-r.ready:
	case err := <-r.done:
		t.Fatalf("controller ended: %v\n%s", err, r.log.String())
	case <-time.After(readyTimeout()):
		t.Fatalf("no reports after %s\n%s", readyTimeout(), r.log.String())
	}
	return r
}

// readyTimeout bounds the wait for the first reports: a minute, ten at scale.
func readyTimeout() time.Duration {
	if os.Getenv("KHARDEN_SCALE") != "" {
		return 10 * time.Minute
	}
	return time.Minute
}

// entry is a result as both the audit and the reports tell it.
type entry struct {
	rule, result, severity, message, object, field string
}

func (e entry) String() string {
	return fmt.Sprintf("%s %s %s %s %s %q", e.object, e.rule, e.result, e.severity, e.field, e.message)
}

// reported reads every result of the reports kharden wrote.
func reported(t *testing.T, dyn dynamic.Interface) []entry {
	t.Helper()
	var out []entry
	for _, clusterScoped := range []bool{false, true} {
		list, err := dyn.Resource(WGPolicy.gvr(clusterScoped)).List(context.Background(), metav1.ListOptions{LabelSelector: ManagedByLabel + "=" + ManagedBy})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range list.Items {
			rs, _, _ := unstructured.NestedSlice(it.Object, "results")
			scope, _, _ := unstructured.NestedMap(it.Object, "scope")
			for _, x := range rs {
				m := x.(map[string]any)
				e := entry{rule: str(m["rule"]), result: str(m["result"]), severity: str(m["severity"]), message: str(m["message"])}
				if res, ok := m["resources"].([]any); ok && len(res) > 0 {
					if scope != nil {
						t.Errorf("report %s names the object in a result as well as in its scope", it.GetName())
					}
					o := res[0].(map[string]any)
					e.object = str(o["kind"]) + "/" + str(o["namespace"]) + "/" + str(o["name"])
				} else if scope != nil {
					e.object = str(scope["kind"]) + "/" + str(scope["namespace"]) + "/" + str(scope["name"])
				}
				if p, ok := m["properties"].(map[string]any); ok {
					e.field = str(p["fieldPath"])
				}
				out = append(out, e)
			}
		}
	}
	sortEntries(out)
	return out
}

func str(v any) string { s, _ := v.(string); return s }

func sortEntries(es []entry) {
	sort.Slice(es, func(i, j int) bool { return es[i].String() < es[j].String() })
}

// audited runs audit cluster once, as `kharden audit cluster -o json` does, and lists
// its results the same way.
func audited(t *testing.T, cfg *rest.Config) []entry {
	t.Helper()
	rep, _, err := audit.Run(context.Background(), cfg, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out []entry
	add := func(r rule.Result, suppressed bool) {
		e := result(r, suppressed)
		en := entry{rule: e.Rule, result: e.Result, severity: e.Severity, message: e.Message, field: e.Properties.FieldPath}
		if len(e.Resources) > 0 {
			o := e.Resources[0]
			en.object = o.Kind + "/" + o.Namespace + "/" + o.Name
		}
		out = append(out, en)
	}
	for _, r := range rep.Results {
		add(r, false)
	}
	for _, r := range rep.Suppressed {
		add(r, true)
	}
	for _, p := range rep.Errors {
		out = append(out, entry{rule: "unavailable", result: "error", message: p.Message})
	}
	sortEntries(out)
	return out
}

// eventually polls cond until it holds or 20 s pass.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 20 s: %s", what, why)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func has(es []entry, rule, object string) bool {
	return slices.ContainsFunc(es, func(e entry) bool { return e.rule == rule && e.object == object })
}

func diff(a, b []entry) string {
	var out []string
	for _, e := range a {
		if !slices.Contains(b, e) {
			out = append(out, "- "+e.String())
		}
	}
	for _, e := range b {
		if !slices.Contains(a, e) {
			out = append(out, "+ "+e.String())
		}
	}
	return strings.Join(out, "\n")
}

// The reports hold what audit cluster finds, and follow the cluster: a finding appears
// when an object is created, goes when it is fixed, and the object's results go when it
// is deleted; after each change the reports equal a fresh audit.
func TestReportsFollowTheCluster(t *testing.T) {
	c := kcluster.Shared(t)
	cfg := c.Config()
	installCRDs(t, cfg)
	cs := kubernetes.NewForConfigOrDie(cfg)
	dyn := dynamic.NewForConfigOrDie(cfg)
	ns := newNamespace(t, cs, "ctl-shop")
	ctx := context.Background()
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, privileged("insecure", true), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	r := start(t, cfg)
	insecure := "Deployment/" + ns + "/insecure"
	same := func() (bool, string) {
		got, want := reported(t, dyn), audited(t, cfg)
		d := diff(want, got)
		return d == "", d
	}
	eventually(t, "reports equal the audit", same)
	if !has(reported(t, dyn), "KM-0004", insecure) {
		t.Fatalf("no KM-0004 (privileged) for %s in the reports", insecure)
	}

	// A new object: its findings appear.
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, privileged("second", true), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new Deployment's findings", func() (bool, string) {
		return has(reported(t, dyn), "KM-0004", "Deployment/"+ns+"/second"), "missing"
	})
	// Fixed: the finding goes, the rest stays.
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, "insecure", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Spec.Template.Spec.Containers[0].SecurityContext.Privileged = ptr.To(false)
	if _, err := cs.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the fixed finding removed", func() (bool, string) {
		es := reported(t, dyn)
		return !has(es, "KM-0004", insecure) && has(es, "KM-0004", "Deployment/"+ns+"/second"), "still there"
	})
	// Deleted: all its results go.
	if err := cs.AppsV1().Deployments(ns).Delete(ctx, "second", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deleted object's results removed", func() (bool, string) {
		es := reported(t, dyn)
		return !slices.ContainsFunc(es, func(e entry) bool { return e.object == "Deployment/"+ns+"/second" }), "still there"
	})
	eventually(t, "reports equal the audit after the changes", same)

	// A ServiceAccount change re-judges the pods that run as it (token automount).
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "bare"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx:1.27"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	bare := "Pod/" + ns + "/bare"
	eventually(t, "the pod's token automount finding", func() (bool, string) { return has(reported(t, dyn), "KM-0035", bare), "missing" })
	sa, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sa.AutomountServiceAccountToken = ptr.To(false)
	if _, err := cs.CoreV1().ServiceAccounts(ns).Update(ctx, sa, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the pod's token automount finding gone", func() (bool, string) { return !has(reported(t, dyn), "KM-0035", bare), "still there" })
	eventually(t, "reports equal the audit after the ServiceAccount change", same)

	// Metrics: results by namespace, rule and severity; how current the reports are.
	if n := testutil.ToFloat64(r.metrics.Results.WithLabelValues(ns, "KM-0004", "critical", "fail")); n != 0 {
		t.Errorf("kharden_controller_results for the fixed finding = %v", n)
	}
	if n := testutil.CollectAndCount(r.metrics.ChangeToReport); n != 1 {
		t.Errorf("change-to-report histogram: %d series", n)
	}
	if testutil.ToFloat64(r.metrics.LastFullResync) == 0 {
		t.Error("last full resync not set")
	}
	if !strings.Contains(r.log.String(), "reused") {
		t.Errorf("log:\n%s", r.log.String())
	}
}

// A kind the controller may not list is reported as unavailable in the cluster report;
// the rest is audited.
func TestUnavailableKind(t *testing.T) {
	c := kcluster.Shared(t)
	admin := c.Config()
	installCRDs(t, admin)
	cs := kubernetes.NewForConfigOrDie(admin)
	ctx := context.Background()
	user := "kharden-controller-limited"
	cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: user}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"", "apps", "batch", "networking.k8s.io", "admissionregistration.k8s.io"}, Resources: []string{"*"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"roles", "rolebindings", "clusterroles"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{"wgpolicyk8s.io"}, Resources: []string{"*"}, Verbs: []string{"*"}},
	}}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, cr, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: user},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: user},
		Subjects: []rbacv1.Subject{{Kind: "User", Name: user}}}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	cfg, err := c.ConfigFor(user)
	if err != nil {
		t.Fatal(err)
	}
	ns := newNamespace(t, cs, "ctl-limited")
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, privileged("insecure", true), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	r := start(t, cfg)
	dyn := dynamic.NewForConfigOrDie(admin)
	eventually(t, "the unavailable kind and the rest", func() (bool, string) {
		es := reported(t, dyn)
		unavailable := slices.ContainsFunc(es, func(e entry) bool {
			return e.rule == "unavailable" && e.result == "error" && strings.Contains(e.message, "clusterrolebindings")
		})
		return unavailable && has(es, "KM-0004", "Deployment/"+ns+"/insecure"), fmt.Sprintf("unavailable %v", unavailable)
	})
	if !strings.Contains(r.log.String(), "cannot watch clusterrolebindings") {
		t.Errorf("log:\n%s", r.log.String())
	}
}

// Without the report CRDs the controller does not start, and says what to install.
func TestMissingCRDs(t *testing.T) {
	c := kcluster.Shared(t)
	a, err := audit.New(audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(context.Background(), Options{Auditor: a, Config: c.Config(), API: OpenReports})
	if err == nil || !strings.Contains(err.Error(), "openreports.io/v1alpha1 is not served: install its CRDs") {
		t.Errorf("error %v", err)
	}
}

// An object whose results exceed one report's limit gets several reports, each under
// it, holding every result once; names are kharden-KIND-NAME, made valid when the
// object's name is not.
func TestSplitReports(t *testing.T) {
	b := newBuilder()
	part := &report.Report{}
	meta := &rule.Meta{ID: "KM-0004", Slug: "privileged", Severity: rule.Critical}
	for i := range 500 {
		part.Results = append(part.Results, rule.Result{Meta: meta, Status: rule.Fail, Severity: rule.Critical,
			Message: strings.Repeat("x", 100), Location: rule.Location{FieldPath: fmt.Sprintf("spec.containers[%d]", i),
				Object: rule.Object{APIVersion: "v1", Kind: "Pod", Namespace: "big", Name: "p"}}})
	}
	b.add(part)
	ds := b.reports(16 << 10)
	var names []string
	total := 0
	for _, d := range ds {
		if d.Namespace != "big" {
			continue
		}
		names = append(names, d.Name)
		total += len(d.Results)
		data, _ := json.Marshal(d.Results)
		if len(data) > 16<<10 {
			t.Errorf("%s: %d bytes of results, over the limit", d.Name, len(data))
		}
		if d.Summary.Fail != len(d.Results) || d.Scope == nil || d.Scope.Name != "p" {
			t.Errorf("%s: summary %+v for %d results, scope %+v", d.Name, d.Summary, len(d.Results), d.Scope)
		}
	}
	if total != 500 || len(names) < 4 || !slices.Contains(names, "kharden-pod-p") || !slices.Contains(names, "kharden-pod-p-2") {
		t.Errorf("%d results in %q", total, names)
	}
	// The cluster report is there even when empty.
	if ds[0].Namespace != "" || ds[0].Name != "kharden-cluster" {
		t.Errorf("first report %s/%s", ds[0].Namespace, ds[0].Name)
	}
	for o, want := range map[owner]string{
		{"rbac.authorization.k8s.io/v1", "Role", "ns", "system:leader"}: "kharden-role-system-leader-",
		{"apps/v1", "Deployment", "ns", "web"}:                          "kharden-deployment-web",
	} {
		if got := reportName(o); !strings.HasPrefix(got, want) || strings.Contains(got, ":") || (strings.HasSuffix(want, "-") && len(got) != len(want)+8) {
			t.Errorf("reportName(%v) = %q, want %q...", o, got, want)
		}
	}
}

// The API server restarts under the controller: its watches break, the informers list
// again, and the reports go on following the cluster, with nothing lost or duplicated.
func TestAPIServerRestart(t *testing.T) {
	c := kcluster.Start(t, kcluster.Options{})
	cfg := c.Config()
	installCRDs(t, cfg)
	cs := kubernetes.NewForConfigOrDie(cfg)
	dyn := dynamic.NewForConfigOrDie(cfg)
	ctx := context.Background()
	ns := newNamespace(t, cs, "ctl-restart")
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, privileged("before", true), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	r := start(t, cfg)
	same := func() (bool, string) {
		got, want := reported(t, dyn), audited(t, cfg)
		d := diff(want, got)
		return d == "", d
	}
	eventually(t, "reports equal the audit", same)
	if err := c.RestartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, privileged("after", true), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cs.AppsV1().Deployments(ns).Delete(ctx, "before", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the changes after the restart in the reports", func() (bool, string) {
		es := reported(t, dyn)
		return has(es, "KM-0004", "Deployment/"+ns+"/after") && !has(es, "KM-0004", "Deployment/"+ns+"/before"), "not yet"
	})
	eventually(t, "reports equal the audit after the restart", same)
	t.Logf("controller log:\n%s", lastLines(r.log.String(), 4))
}
