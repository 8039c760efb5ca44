package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/kharden/kharden/internal/audit"
	"github.com/kharden/kharden/internal/cli"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
	kcluster "github.com/kharden/kharden/internal/testkit/cluster"
)

// These tests audit a real kube-apiserver and etcd on 127.0.0.1 (internal/testkit/cluster),
// started once for the package, without kube-controller-manager: objects are only what the
// tests create (no ReplicaSets from Deployments, no default ServiceAccounts).

func TestMain(m *testing.M) { os.Exit(kcluster.Main(m, kcluster.Options{})) }

func clientset(t *testing.T, cfg *rest.Config) *kubernetes.Clientset {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// namespace creates a namespace with a unique name and its default ServiceAccount, which
// kube-controller-manager would create and pod admission requires.
func namespace(t *testing.T, cs kubernetes.Interface, prefix string) string {
	t.Helper()
	ctx := context.Background()
	ns, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ensureDefaultSA(t, cs, ns.Name)
	return ns.Name
}

func ensureDefaultSA(t *testing.T, cs kubernetes.Interface, ns string) {
	t.Helper()
	_, err := cs.CoreV1().ServiceAccounts(ns).Create(context.Background(),
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

func podSpec(privileged bool) corev1.PodSpec {
	if privileged {
		return corev1.PodSpec{Containers: []corev1.Container{{
			Name: "web", Image: "nginx:latest",
			SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)},
		}}}
	}
	// The hardened Deployment of examples/hardened.
	return corev1.PodSpec{
		ServiceAccountName:           "shop",
		AutomountServiceAccountToken: ptr.To(false),
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](10001), RunAsGroup: ptr.To[int64](10001), FSGroup: ptr.To[int64](10001),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: []corev1.Container{{
			Name:            "web",
			Image:           "ghcr.io/acme/shop@sha256:3f8a5b1c4d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708",
			ImagePullPolicy: corev1.PullAlways,
			Ports:           []corev1.ContainerPort{{ContainerPort: 8080}},
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: quantity("100m"), corev1.ResourceMemory: quantity("128Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: quantity("500m"), corev1.ResourceMemory: quantity("256Mi")},
			},
			SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
				Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			},
			VolumeMounts: []corev1.VolumeMount{{Name: "tmp", MountPath: "/tmp"}},
		}},
		Volumes: []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
	}
}

func deployment(name string, privileged bool) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: podSpec(privileged)},
		},
	}
}

// shop is a namespace with a privileged Deployment ("insecure") and a hardened one
// ("hardened"), and, as kube-controller-manager would have made them, a ReplicaSet owned
// by the insecure Deployment and a Pod owned by that ReplicaSet.
type shop struct {
	ns                string
	insecure, rs, pod string
}

var (
	shopOnce sync.Once
	shopNS   shop
	shopErr  error
)

func setupShop(t *testing.T) shop {
	t.Helper()
	c := kcluster.Shared(t)
	shopOnce.Do(func() { shopNS, shopErr = createShop(t, clientset(t, c.Config())) })
	if shopErr != nil {
		t.Fatal(shopErr)
	}
	return shopNS
}

func createShop(t *testing.T, cs kubernetes.Interface) (shop, error) {
	ctx := context.Background()
	ns := namespace(t, cs, "shop")
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{
		ObjectMeta: metav1.ObjectMeta{Name: "shop"}, AutomountServiceAccountToken: ptr.To(false)}, metav1.CreateOptions{}); err != nil {
		return shop{}, err
	}
	insecure, err := cs.AppsV1().Deployments(ns).Create(ctx, deployment("insecure", true), metav1.CreateOptions{})
	if err != nil {
		return shop{}, err
	}
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, deployment("hardened", false), metav1.CreateOptions{}); err != nil {
		return shop{}, err
	}
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "insecure-5d8f9c", Labels: map[string]string{"app": "insecure"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: "insecure", UID: insecure.UID, Controller: ptr.To(true)}}},
		Spec: appsv1.ReplicaSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "insecure"}},
			Template: insecure.Spec.Template,
		},
	}
	rs, err = cs.AppsV1().ReplicaSets(ns).Create(ctx, rs, metav1.CreateOptions{})
	if err != nil {
		return shop{}, err
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "insecure-5d8f9c-x7k2p", Labels: map[string]string{"app": "insecure"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: ptr.To(true)}}},
		Spec: insecure.Spec.Template.Spec,
	}
	pod, err = cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return shop{}, err
	}
	return shop{ns: ns, insecure: insecure.Name, rs: rs.Name, pod: pod.Name}, nil
}

func quantity(s string) resource.Quantity { return resource.MustParse(s) }

// find returns the results of a rule on an object at a field path.
func find(rs []rule.Result, id, file, fieldPath string) []rule.Result {
	var out []rule.Result
	for _, r := range rs {
		if r.Meta.ID == id && r.Location.File == file && r.Location.FieldPath == fieldPath {
			out = append(out, r)
		}
	}
	return out
}

func filesOf(rs []rule.Result) []string {
	var out []string
	for _, r := range rs {
		if !slices.Contains(out, r.Location.File) {
			out = append(out, r.Location.File)
		}
	}
	return out
}

func TestAuditFindsAndLocates(t *testing.T) {
	s := setupShop(t)
	c := kcluster.Shared(t)
	rep, snap, err := audit.Run(context.Background(), c.Config(), audit.Options{Namespace: s.ns})
	if err != nil {
		t.Fatal(err)
	}
	if snap.Server == nil || snap.Server.Major != "1" {
		t.Errorf("server version %+v", snap.Server)
	}
	if len(snap.Unavailable) != 0 || len(rep.Errors) != 0 {
		t.Errorf("as an admin: unavailable %v, errors %v", snap.Unavailable, rep.Errors)
	}
	insecure := "k8s://" + s.ns + "/Deployment/insecure"
	for _, want := range []struct{ id, path string }{
		{"KM-0004", "spec.template.spec.containers[0].securityContext.privileged"},
		{"KM-0025", "spec.template.spec.containers[0].image"}, // nginx:latest
	} {
		got := find(rep.Results, want.id, insecure, want.path)
		if len(got) != 1 {
			t.Errorf("%s at %s %s: %d results; results on it:\n%s", want.id, insecure, want.path, len(got), dump(rep.Results, insecure))
			continue
		}
		if o := got[0].Location.Object; o != (rule.Object{APIVersion: "apps/v1", Kind: "Deployment", Namespace: s.ns, Name: "insecure"}) || got[0].Location.Line != 0 {
			t.Errorf("%s located at %+v", want.id, got[0].Location)
		}
	}
	// The hardened Deployment is clean; the ReplicaSet and Pod of the insecure one are
	// reported through it, not again.
	files := filesOf(rep.Results)
	for _, clean := range []string{"Deployment/hardened", "ReplicaSet/" + s.rs, "Pod/" + s.pod} {
		if f := "k8s://" + s.ns + "/" + clean; slices.Contains(files, f) {
			t.Errorf("results on %s:\n%s", f, dump(rep.Results, f))
		}
	}
	for _, skipped := range []string{"ReplicaSet/" + s.rs, "Pod/" + s.pod} {
		if f := "k8s://" + s.ns + "/" + skipped; slices.Contains(rep.Scanned, f) {
			t.Errorf("%s checked itself, not through its controller", f)
		}
	}
	if !slices.Contains(rep.Scanned, "k8s://"+s.ns+"/Deployment/hardened") || !slices.Contains(rep.Scanned, "k8s:///Namespace/"+s.ns) {
		t.Errorf("checked %q", rep.Scanned)
	}
	for _, f := range files {
		if !strings.HasPrefix(f, "k8s://"+s.ns+"/") && f != "k8s:///Namespace/"+s.ns && f != audit.ClusterFile {
			t.Errorf("-n %s reported on %s", s.ns, f)
		}
	}
	if !rep.Failed() {
		t.Error("a privileged Deployment does not fail the audit")
	}

	// Without -n the namespace's objects are there too, among everything else.
	all, _, err := audit.Run(context.Background(), c.Config(), audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(find(all.Results, "KM-0004", insecure, "spec.template.spec.containers[0].securityContext.privileged")) != 1 {
		t.Errorf("the cluster-wide audit misses the privileged Deployment")
	}
	if all.Objects <= rep.Objects {
		t.Errorf("cluster-wide audit checked %d objects, -n %s %d", all.Objects, s.ns, rep.Objects)
	}
}

func dump(rs []rule.Result, file string) string {
	var b strings.Builder
	for _, r := range rs {
		if file == "" || r.Location.File == file {
			fmt.Fprintf(&b, "  %s %s %s %s: %s\n", r.Location.File, r.Meta.ID, r.Status, r.Location.FieldPath, r.Message)
		}
	}
	return b.String()
}

// The command line: JSON and text output, exit code 1 on a privileged Deployment.
func TestAuditClusterCommand(t *testing.T) {
	s := setupShop(t)
	c := kcluster.Shared(t)
	var out, errOut bytes.Buffer
	code := cli.Run([]string{"audit", "cluster", "--no-config", "--kubeconfig", c.KubeconfigPath, "-n", s.ns, "-o", "json"},
		cli.IO{Out: &out, Err: &errOut})
	if code != cli.ExitFindings {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, cli.ExitFindings, errOut.String())
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr (not a terminal: no progress) %q", errOut.String())
	}
	var doc struct {
		Results []struct {
			RuleID   string `json:"ruleID"`
			Location struct {
				File      string      `json:"file"`
				Line      int         `json:"line"`
				FieldPath string      `json:"fieldPath"`
				Object    rule.Object `json:"object"`
			} `json:"location"`
		} `json:"results"`
		Summary struct {
			Objects int  `json:"objects"`
			Failed  bool `json:"failed"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	found := false
	for _, r := range doc.Results {
		l := r.Location
		if r.RuleID == "KM-0004" && l.File == "k8s://"+s.ns+"/Deployment/insecure" && l.Line == 0 &&
			l.FieldPath == "spec.template.spec.containers[0].securityContext.privileged" &&
			l.Object == (rule.Object{APIVersion: "apps/v1", Kind: "Deployment", Namespace: s.ns, Name: "insecure"}) {
			found = true
		}
	}
	if !found || !doc.Summary.Failed || doc.Summary.Objects == 0 {
		t.Errorf("JSON report lacks the privileged finding or the summary:\n%s", out.String())
	}

	out.Reset()
	code = cli.Run([]string{"audit", "cluster", "--no-config", "--kubeconfig", c.KubeconfigPath, "-n", s.ns, "--fail-on", "critical"},
		cli.IO{Out: &out, Err: &errOut})
	text := out.String()
	if code != cli.ExitFindings {
		t.Errorf("text: exit %d", code)
	}
	for _, want := range []string{
		"k8s://" + s.ns + "/Deployment/insecure\n",
		"critical  KM-0004 privileged",
		"Deployment " + s.ns + "/insecure  spec.template.spec.containers[0].securityContext.privileged",
		"objects: FAIL, exit 1 (",
		"namespace", s.ns + " ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "0 files") {
		t.Errorf("text output counts files:\n%s", text)
	}
}

// Pagination: every object arrives, page by page, with progress after each page.
func TestReadPaginates(t *testing.T) {
	c := kcluster.Shared(t)
	cs := clientset(t, c.Config())
	ns := namespace(t, cs, "pages")
	for i := range 5 {
		if _, err := cs.CoreV1().ServiceAccounts(ns).Create(context.Background(),
			&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("sa-%d", i)}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var steps []int
	snap, err := cluster.Read(context.Background(), c.Config(), cluster.ReadOptions{Namespace: ns, PageSize: 2,
		Progress: func(res string, n int) {
			if res == cluster.ResourceServiceAccounts {
				steps = append(steps, n)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.ServiceAccounts) != 6 || !slices.Equal(steps, []int{2, 4, 6}) {
		t.Errorf("%d service accounts, progress %v; want 6 (default and sa-0..4) in pages of 2", len(snap.ServiceAccounts), steps)
	}
	for _, sa := range snap.ServiceAccounts {
		if sa.ManagedFields != nil {
			t.Errorf("%s keeps its managedFields", sa.Name)
		}
	}
	if len(snap.Namespaces) != 1 || snap.Namespaces[0].Name != ns || snap.Namespace != ns {
		t.Errorf("namespaces %v", snap.Namespaces)
	}
}

// The control plane's static pods are picked from kube-system, whether the audit covers
// every namespace or another one.
func TestReadControlPlane(t *testing.T) {
	c := kcluster.Shared(t)
	cs := clientset(t, c.Config())
	ensureDefaultSA(t, cs, metav1.NamespaceSystem)
	for _, p := range []*corev1.Pod{
		{ObjectMeta: metav1.ObjectMeta{Name: "kube-scheduler-node1", Labels: map[string]string{"component": "kube-scheduler", "tier": "control-plane"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "etcd-node1", Labels: map[string]string{"component": "etcd"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "coredns-1", Labels: map[string]string{"k8s-app": "kube-dns"}}},
	} {
		p.Spec = corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10"}}}
		if _, err := cs.CoreV1().Pods(metav1.NamespaceSystem).Create(context.Background(), p, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	other := namespace(t, cs, "other")
	for _, ns := range []string{"", other} {
		snap, err := cluster.Read(context.Background(), c.Config(), cluster.ReadOptions{Namespace: ns})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range snap.ControlPlane {
			names = append(names, p.Name)
		}
		if !slices.Equal(names, []string{"etcd-node1", "kube-scheduler-node1"}) {
			t.Errorf("namespace %q: control plane %q", ns, names)
		}
	}
}

// deployObjects decodes deploy/audit-rbac.yaml.
func deployObjects(t *testing.T) []runtime.Object {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "audit-rbac.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var objs []runtime.Object
	for _, doc := range strings.Split(string(data), "\n---\n") {
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode([]byte(doc), nil, nil)
		if err != nil {
			t.Fatalf("deploy/audit-rbac.yaml: %v", err)
		}
		objs = append(objs, obj)
	}
	return objs
}

func create(t *testing.T, cs kubernetes.Interface, obj runtime.Object) {
	t.Helper()
	ctx, opts := context.Background(), metav1.CreateOptions{}
	var err error
	switch o := obj.(type) {
	case *corev1.Namespace:
		_, err = cs.CoreV1().Namespaces().Create(ctx, o, opts)
	case *corev1.ServiceAccount:
		_, err = cs.CoreV1().ServiceAccounts(o.Namespace).Create(ctx, o, opts)
	case *rbacv1.ClusterRole:
		_, err = cs.RbacV1().ClusterRoles().Create(ctx, o, opts)
	case *rbacv1.ClusterRoleBinding:
		_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, o, opts)
	default:
		t.Fatalf("unexpected %T", obj)
	}
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// tokenConfig returns a client configuration that authenticates as a ServiceAccount,
// with a token from the TokenRequest API, as the audit does in a pod.
func tokenConfig(t *testing.T, c *kcluster.Cluster, cs kubernetes.Interface, ns, sa string) *rest.Config {
	t.Helper()
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(context.Background(), sa,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	admin := c.Config()
	return &rest.Config{Host: admin.Host, BearerToken: tr.Status.Token, TLSClientConfig: rest.TLSClientConfig{CAData: admin.CAData}}
}

// The ClusterRole of deploy/audit-rbac.yaml is enough: the audit, as its ServiceAccount,
// reads everything. With a narrower role it still finishes, reporting what it could not
// read, and the rules that needed it report errors.
func TestLeastPrivilege(t *testing.T) {
	setupShop(t)
	c := kcluster.Shared(t)
	admin := clientset(t, c.Config())
	var role *rbacv1.ClusterRole
	var binding *rbacv1.ClusterRoleBinding
	for _, obj := range deployObjects(t) {
		create(t, admin, obj)
		switch o := obj.(type) {
		case *rbacv1.ClusterRole:
			role = o
		case *rbacv1.ClusterRoleBinding:
			binding = o
		}
	}
	for _, r := range role.Rules {
		if slices.Contains(r.Resources, "secrets") || slices.Contains(r.Resources, "*") || slices.ContainsFunc(r.Verbs, func(v string) bool { return v != "get" && v != "list" }) {
			t.Errorf("deploy/audit-rbac.yaml grants more than reading: %+v", r)
		}
	}

	cfg := tokenConfig(t, c, admin, "kharden", "kharden-audit")
	rep, snap, err := audit.Run(context.Background(), cfg, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Unavailable) != 0 || len(rep.Errors) != 0 {
		t.Errorf("as kharden-audit: unavailable %v, errors %v", snap.Unavailable, rep.Errors)
	}
	for _, r := range rep.Results {
		if r.Status == rule.Error {
			t.Errorf("rule error as kharden-audit: %s %s", r.Meta.ID, r.Message)
		}
	}
	if len(snap.ClusterRoles) == 0 || len(snap.Deployments) < 2 || len(snap.Namespaces) < 3 {
		t.Errorf("read %d cluster roles, %d deployments, %d namespaces", len(snap.ClusterRoles), len(snap.Deployments), len(snap.Namespaces))
	}

	// A narrower role: the same without cluster roles.
	narrow := role.DeepCopy()
	narrow.Name = "kharden-audit-narrow"
	for i := range narrow.Rules {
		narrow.Rules[i].Resources = slices.DeleteFunc(narrow.Rules[i].Resources, func(r string) bool { return r == "clusterroles" })
	}
	nb := binding.DeepCopy()
	nb.Name, nb.RoleRef.Name, nb.Subjects[0].Name = "kharden-audit-narrow", narrow.Name, "kharden-audit-narrow"
	create(t, admin, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "kharden-audit-narrow", Namespace: "kharden"}})
	create(t, admin, narrow)
	create(t, admin, nb)
	cfg = tokenConfig(t, c, admin, "kharden", "kharden-audit-narrow")
	a, err := audit.New(audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	snap, err = a.Read(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if keys := slices.Sorted(maps.Keys(snap.Unavailable)); !slices.Equal(keys, []string{cluster.ResourceClusterRoles}) {
		t.Fatalf("narrow role: unavailable %v", snap.Unavailable)
	}
	if !apierrors.IsForbidden(snap.Missing(cluster.ResourceClusterRoles)) {
		t.Errorf("clusterroles: %v", snap.Missing(cluster.ResourceClusterRoles))
	}
	var errs []report.Problem
	var ruleErrors []string
	if err := a.Each(snap, func(p *report.Report) error {
		errs = append(errs, p.Errors...)
		for _, r := range p.Results {
			if r.Status == rule.Error {
				ruleErrors = append(ruleErrors, r.Meta.ID)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(errs) != 1 || errs[0].File != audit.ClusterFile || !strings.Contains(errs[0].Message, "cannot read clusterroles: ") {
		t.Errorf("errors %v", errs)
	}
	// Every cluster rule that reads cluster roles reports an error rather than a pass.
	var want []string
	for _, r := range audit.ClusterRules() {
		if slices.Contains(r.Needs, cluster.ResourceClusterRoles) && r.Meta.Default {
			want = append(want, r.Meta.ID)
		}
	}
	slices.Sort(ruleErrors)
	if len(want) == 0 {
		t.Error("no cluster rule reads cluster roles: the narrow role tests nothing")
	}
	if !slices.Equal(ruleErrors, want) {
		t.Errorf("rule errors %v, want %v", ruleErrors, want)
	}

	// The command line says so with exit code 2.
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	writeTokenKubeconfig(t, kubeconfig, cfg)
	var out, errOut bytes.Buffer
	code := cli.Run([]string{"audit", "cluster", "--no-config", "--kubeconfig", kubeconfig}, cli.IO{Out: &out, Err: &errOut})
	if code != cli.ExitError || !strings.Contains(out.String(), "cannot read clusterroles") {
		t.Errorf("narrow role, command line: exit %d\n%s", code, tail(out.String(), 20))
	}
}

func writeTokenKubeconfig(t *testing.T, path string, cfg *rest.Config) {
	t.Helper()
	ca := filepath.Join(filepath.Dir(path), "ca.crt")
	if err := os.WriteFile(ca, cfg.CAData, 0o600); err != nil {
		t.Fatal(err)
	}
	data := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: %q, certificate-authority: %q}
users:
- name: u
  user: {token: %q}
contexts:
- name: ctx
  context: {cluster: c, user: u}
current-context: ctx
`, cfg.Host, ca, cfg.BearerToken)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// A namespace that does not exist is an error, not an empty audit.
func TestMissingNamespace(t *testing.T) {
	c := kcluster.Shared(t)
	var out, errOut bytes.Buffer
	code := cli.Run([]string{"audit", "cluster", "--no-config", "--kubeconfig", c.KubeconfigPath, "-n", "no-such-namespace"},
		cli.IO{Out: &out, Err: &errOut})
	if code != cli.ExitError || !strings.Contains(errOut.String(), `namespace "no-such-namespace" not found`) {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
}

// Credentials the API server rejects end the audit with exit code 2 and say so.
func TestRejectedCredentials(t *testing.T) {
	c := kcluster.Shared(t)
	cfg := &rest.Config{Host: c.Host, BearerToken: "not-a-token", TLSClientConfig: rest.TLSClientConfig{CAData: c.Config().CAData}}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	writeTokenKubeconfig(t, kubeconfig, cfg)
	var out, errOut bytes.Buffer
	code := cli.Run([]string{"audit", "cluster", "--no-config", "--kubeconfig", kubeconfig}, cli.IO{Out: &out, Err: &errOut})
	if code != cli.ExitError || !strings.Contains(errOut.String(), "rejected the credentials") || out.Len() != 0 {
		t.Errorf("exit %d, stderr %q, stdout %q", code, errOut.String(), out.String())
	}
}
