package e2e_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kharden/kharden/internal/kube"
	"github.com/kharden/kharden/internal/rule"
	kc "github.com/kharden/kharden/internal/rules/cluster"
	"github.com/kharden/kharden/internal/source/cluster"
	"github.com/kharden/kharden/internal/source/manifest"
	"github.com/kharden/kharden/internal/testkit"
	kcluster "github.com/kharden/kharden/internal/testkit/cluster"
)

// The pass and fail fixtures of every cluster rule (../testdata/<slug>/{pass,fail}), created
// in a real kube-apiserver and etcd (no kube-controller-manager, no kubelet), read back with
// cluster.Read and checked with the rule. Fixtures run one after the other: each one's
// objects are created, the cluster is read, the rule runs, and the objects are deleted.
// Namespaces are created (or relabelled to the fixture's labels) and kept, since deleting
// them needs the namespace controller (a fixture's Terminating namespace is one deleted
// here, which stays so); cluster-scoped objects the server already holds
// (ClusterRole cluster-admin, view...) are used as they are and left alone.
//
// Only findings on the fixture's own objects count (the cluster holds others): they must be
// exactly the fixture's `# want` comments, as in the unit test, and a fail fixture must give
// at least one.

func TestMain(m *testing.M) { os.Exit(kcluster.Main(m, kcluster.Options{})) }

// excluded are the fixtures the real server cannot reproduce, with the reason. Their rules
// are covered otherwise (see TestClusterRulesE2E).
var excluded = map[string]string{
	"server-version-supported":                      "the fixtures fake the API server version; the real server reports its own, checked against the shipped table instead",
	"server-version-patch":                          "the fixtures fake the API server version; the real server reports its own, checked against the shipped table instead",
	"rbac-subject-pod-exec/fail/websocket-get.yaml": "get on pods/exec grants exec only before Kubernetes 1.35 (the fixture fakes v1.34.3); the real server is newer",
}

// uncovered are the rules without both a pass and a fail fixture on the real server, and why.
// Every other rule must have both.
var uncovered = map[string]string{
	"server-version-supported": "the input is the server version: the real server's verdict is checked against the release table",
	"server-version-patch":     "the input is the server version: the real server's verdict is checked against the release table",
	"apiserver-encryption-at-rest": "no pass fixture: the encryption providers are in a file the API does not show, " +
		"so the best verdict is Manual; its fail and manual fixtures run",
}

// excludedObjects are objects of a fixture that the real server refuses, with the reason;
// the rest of the fixture runs.
var excludedObjects = map[string]map[string]string{
	"namespace-psa-enforce/pass/labelled.yaml": {
		"Namespace typo": "the PodSecurity admission plugin rejects an enforce level other than privileged, baseline or restricted; only a server without it holds one",
	},
}

// versionShifted are rules whose fixtures fake the server version but whose verdict depends
// only on the distance to it: their nodes' kubelet versions are moved by the difference
// between the real server's minor and the fixture's, and only the lines of the findings are
// compared (the messages name the versions).
var versionShifted = map[string]bool{"kubelet-version-skew": true}

var serverDirective = regexp.MustCompile(`(?m)^#\s*server:\s*(\S+)`)

func TestClusterRulesE2E(t *testing.T) {
	start := time.Now()
	c := kcluster.Shared(t)
	cs, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	real, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}

	var covered, other []string
	for _, r := range kc.All() {
		ran := map[string]int{}
		t.Run(r.Slug, func(t *testing.T) {
			if why, ok := excluded[r.Slug]; ok {
				t.Logf("%s fixtures skipped: %s", r.Slug, why)
				checkRealVersion(t, ctx, r, real.GitVersion)
				return
			}
			for _, outcome := range []string{"pass", "fail", "manual", "skipped"} {
				files, _ := filepath.Glob(filepath.Join("..", "testdata", r.Slug, outcome, "*.yaml"))
				for _, f := range files {
					rel := r.Slug + "/" + outcome + "/" + filepath.Base(f)
					if why, ok := excluded[rel]; ok {
						t.Logf("%s skipped: %s", rel, why)
						continue
					}
					t.Run(outcome+"/"+filepath.Base(f), func(t *testing.T) {
						runFixture(t, ctx, cs, r, f, rel, outcome, real.GitVersion)
					})
					ran[outcome]++
				}
			}
		})
		switch why, listed := uncovered[r.Slug]; {
		case ran["pass"] > 0 && ran["fail"] > 0:
			covered = append(covered, r.ID)
			if listed {
				t.Errorf("%s is listed as without pass and fail objects, yet has both: drop it from the list", r.ID)
			}
		case listed:
			other = append(other, fmt.Sprintf("%s (%s)", r.ID, why))
		default:
			t.Errorf("%s: no pass and fail fixture ran on the real API server (pass %d, fail %d), and the test does not say why",
				r.ID, ran["pass"], ran["fail"])
		}
	}
	t.Logf("cluster rules e2e: %d of %d rules with pass and fail objects on the real API server (%s)",
		len(covered), len(kc.All()), time.Since(start).Round(time.Millisecond))
	t.Logf("the other %d: %s", len(other), strings.Join(other, "; "))
}

// checkRealVersion runs a server-version rule on the real server and compares its verdict
// with the shipped release table.
func checkRealVersion(t *testing.T, ctx context.Context, r *kc.Rule, gitVersion string) {
	t.Helper()
	s := read(t, ctx, r)
	m := regexp.MustCompile(`^v1\.(\d+)\.(\d+)`).FindStringSubmatch(gitVersion)
	if m == nil {
		t.Fatalf("server version %q", gitVersion)
	}
	minor, _ := strconv.Atoi(m[1])
	patch, _ := strconv.Atoi(m[2])
	var rel *kc.KubernetesRelease
	for i := range kc.KubernetesReleases {
		if kc.KubernetesReleases[i].Minor == minor {
			rel = &kc.KubernetesReleases[i]
		}
	}
	if rel == nil {
		t.Fatalf("%s is not in the release table", gitVersion)
	}
	var wantFail bool
	switch r {
	case kc.ServerVersionSupported:
		wantFail = !rel.Supported()
	case kc.ServerVersionPatch:
		wantFail = rel.Supported() && patch < rel.LatestPatch
	default:
		t.Fatalf("no real-version check for %s", r.ID)
	}
	fs := r.Check(s)
	if wantFail != (len(fs) > 0) {
		t.Errorf("%s on the real server %s: findings %+v, want fail=%v (table of %s: 1.%d supported=%v, latest patch %d)",
			r.ID, gitVersion, fs, wantFail, kc.TableDate, rel.Minor, rel.Supported(), rel.LatestPatch)
	}
	for _, f := range fs {
		if f.Object != (rule.Object{}) || (f.Status != "" && f.Status != rule.Fail) {
			t.Errorf("%s: %+v", r.ID, f)
		}
	}
	t.Logf("%s on the real server %s: fail=%v, as the table of %s says", r.ID, gitVersion, wantFail, kc.TableDate)
}

func read(t *testing.T, ctx context.Context, r *kc.Rule) *cluster.Snapshot {
	t.Helper()
	s, err := cluster.Read(ctx, kcluster.Shared(t).Config(), cluster.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Missing(s); err != nil {
		t.Fatalf("the snapshot lacks an input of %s: %v", r.ID, err)
	}
	return s
}

type object struct {
	doc   *manifest.Document
	typed any
}

func runFixture(t *testing.T, ctx context.Context, cs kubernetes.Interface, r *kc.Rule, file, rel, outcome, realVersion string) {
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	wants, err := testkit.ParseWants(src)
	if err != nil {
		t.Fatal(err)
	}
	var mine []testkit.Want
	for _, w := range wants {
		if w.ID == r.ID {
			mine = append(mine, w)
		}
	}
	res := manifest.Load(file, src)
	for _, e := range res.Errors {
		t.Fatalf("load error: %v", e)
	}
	shift := 0
	if m := serverDirective.FindSubmatch(src); m != nil && string(m[1]) != realVersion {
		if versionShifted[r.Slug] {
			shift = minorOf(t, realVersion) - minorOf(t, string(m[1]))
			t.Logf("the fixture fakes server %s; kubelet minors moved by %d for the real %s, messages not compared", m[1], shift, realVersion)
		} else {
			t.Logf("the fixture fakes server %s; run on the real %s", m[1], realVersion)
		}
	}
	var objs []object
	for _, d := range res.Docs {
		if why, ok := excludedObjects[rel][d.Object.Kind+" "+d.Object.Name]; ok {
			t.Logf("%s %s left out: %s", d.Object.Kind, d.Object.Name, why)
			continue
		}
		typed := kube.New(d.Object.APIVersion, d.Object.Kind)
		if typed == nil && d.Object.Kind == "Node" {
			typed = &corev1.Node{}
		}
		if typed == nil {
			t.Fatalf("%s is not a kind the cluster snapshot holds", d.Object)
		}
		if err := d.Decode(typed); err != nil {
			t.Fatalf("%v", err)
		}
		if n, ok := typed.(*corev1.Node); ok && shift != 0 {
			n.Status.NodeInfo.KubeletVersion = shiftMinor(t, n.Status.NodeInfo.KubeletVersion, shift)
		}
		objs = append(objs, object{d, typed})
	}

	cleanup := create(t, ctx, cs, objs)
	defer cleanup()

	s := read(t, ctx, r)
	status := map[string]rule.Status{"pass": rule.Pass, "fail": rule.Fail, "manual": rule.Manual, "skipped": rule.Skipped}[outcome]
	got := map[int][]string{}
	for _, f := range r.Check(s) {
		// A finding about the cluster itself (no object) is the fixture's: it is the only
		// cluster-wide input these rules read (kube-system's control-plane pods).
		line := 1
		if f.Object != (rule.Object{}) {
			d := findDoc(res.Docs, f.Object)
			if d == nil {
				continue // another object of the cluster
			}
			line, _, _ = d.Locate(f.Path)
		}
		st := f.Status
		if st == "" {
			st = rule.Fail
		}
		if st != status {
			t.Errorf("%s:%d: status %s, want %s: %s", file, line, st, status, f.Message)
		}
		got[line] = append(got[line], f.Message)
	}
	if outcome != "pass" && len(got) == 0 {
		t.Errorf("%s: no finding of %s on the fixture's objects", file, r.ID)
	}
	if shift != 0 {
		for i := range mine {
			mine[i].Message = nil
		}
	}
	for _, e := range testkit.Match(file, r.ID, mine, got) {
		t.Error(e)
	}
}

func minorOf(t *testing.T, v string) int {
	m := regexp.MustCompile(`^v?1\.(\d+)`).FindStringSubmatch(v)
	if m == nil {
		t.Fatalf("version %q", v)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func shiftMinor(t *testing.T, v string, by int) string {
	m := regexp.MustCompile(`^(v?1\.)(\d+)(.*)$`).FindStringSubmatch(v)
	if m == nil {
		t.Fatalf("kubelet version %q", v)
	}
	n, _ := strconv.Atoi(m[2])
	return m[1] + strconv.Itoa(n+by) + m[3]
}

func findDoc(docs []*manifest.Document, o rule.Object) *manifest.Document {
	if o == (rule.Object{}) {
		return nil
	}
	for _, d := range docs {
		if d.Object.Kind == o.Kind && d.Object.Namespace == o.Namespace && d.Object.Name == o.Name {
			return d
		}
	}
	return nil
}

// create makes the fixture's objects in the cluster and returns the function that deletes
// them (not the namespaces, nor the cluster-scoped objects that existed already).
func create(t *testing.T, ctx context.Context, cs kubernetes.Interface, objs []object) func() {
	t.Helper()
	var undo []func() error
	cleanup := func() {
		for i := len(undo) - 1; i >= 0; i-- {
			if err := undo[i](); err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("delete: %v", err)
			}
		}
	}
	ok := false
	defer func() {
		if !ok {
			cleanup()
		}
	}()
	core, rbac, netv1 := cs.CoreV1(), cs.RbacV1(), cs.NetworkingV1()
	now := metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("create %s: %v", what, err)
		}
	}
	clear := func(o *metav1.ObjectMeta) { o.ResourceVersion, o.UID, o.CreationTimestamp = "", "", metav1.Time{} }

	// Namespaces first: the fixture's, created or relabelled; then those its objects live in.
	declared := map[string]bool{}
	for _, o := range objs {
		ns, isNS := o.typed.(*corev1.Namespace)
		if !isNS {
			continue
		}
		declared[ns.Name] = true
		clear(&ns.ObjectMeta)
		_, err := core.Namespaces().Create(ctx, ns, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			cur, gerr := core.Namespaces().Get(ctx, ns.Name, metav1.GetOptions{})
			check("namespace "+ns.Name, gerr)
			cur.Labels, cur.Annotations = ns.Labels, ns.Annotations
			_, err = core.Namespaces().Update(ctx, cur, metav1.UpdateOptions{})
		}
		check("namespace "+ns.Name, err)
		// A namespace being deleted: without the namespace controller (no
		// kube-controller-manager) it stays Terminating.
		if ns.Status.Phase == corev1.NamespaceTerminating {
			if err := core.Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				t.Fatalf("delete namespace %s: %v", ns.Name, err)
			}
		}
	}
	for _, o := range objs {
		ns := o.doc.Object.Namespace
		if ns == "" || declared[ns] {
			continue
		}
		declared[ns] = true
		_, err := core.Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if !apierrors.IsAlreadyExists(err) {
			check("namespace "+ns, err)
		}
	}

	// Then everything but pods, which need their namespace's default ServiceAccount.
	podNamespaces := map[string]bool{}
	for _, o := range objs {
		var err error
		switch x := o.typed.(type) {
		case *corev1.Namespace:
			continue
		case *corev1.Pod:
			podNamespaces[x.Namespace] = true
			continue
		case *corev1.Node:
			clear(&x.ObjectMeta)
			var n *corev1.Node
			n, err = core.Nodes().Create(ctx, x, metav1.CreateOptions{})
			if err == nil {
				undo = append(undo, func() error { return core.Nodes().Delete(ctx, x.Name, now) })
				n.Status = x.Status
				_, err = core.Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
			}
		case *corev1.ServiceAccount:
			clear(&x.ObjectMeta)
			_ = core.ServiceAccounts(x.Namespace).Delete(ctx, x.Name, now) // the default one, made for pods
			_, err = core.ServiceAccounts(x.Namespace).Create(ctx, x, metav1.CreateOptions{})
			if err == nil {
				undo = append(undo, func() error { return core.ServiceAccounts(x.Namespace).Delete(ctx, x.Name, now) })
			}
		case *networkingv1.NetworkPolicy:
			clear(&x.ObjectMeta)
			_, err = netv1.NetworkPolicies(x.Namespace).Create(ctx, x, metav1.CreateOptions{})
			if err == nil {
				undo = append(undo, func() error { return netv1.NetworkPolicies(x.Namespace).Delete(ctx, x.Name, now) })
			}
		case *rbacv1.Role:
			clear(&x.ObjectMeta)
			_, err = rbac.Roles(x.Namespace).Create(ctx, x, metav1.CreateOptions{})
			if err == nil {
				undo = append(undo, func() error { return rbac.Roles(x.Namespace).Delete(ctx, x.Name, now) })
			}
		case *rbacv1.RoleBinding:
			clear(&x.ObjectMeta)
			_, err = rbac.RoleBindings(x.Namespace).Create(ctx, x, metav1.CreateOptions{})
			if err == nil {
				undo = append(undo, func() error { return rbac.RoleBindings(x.Namespace).Delete(ctx, x.Name, now) })
			}
		case *rbacv1.ClusterRole:
			clear(&x.ObjectMeta)
			_, err = rbac.ClusterRoles().Create(ctx, x, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				t.Logf("ClusterRole %s exists already: the server's is used", x.Name)
				err = nil
			} else if err == nil {
				undo = append(undo, func() error { return rbac.ClusterRoles().Delete(ctx, x.Name, now) })
			}
		case *rbacv1.ClusterRoleBinding:
			clear(&x.ObjectMeta)
			_, err = rbac.ClusterRoleBindings().Create(ctx, x, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				t.Logf("ClusterRoleBinding %s exists already: the server's is used", x.Name)
				err = nil
			} else if err == nil {
				undo = append(undo, func() error { return rbac.ClusterRoleBindings().Delete(ctx, x.Name, now) })
			}
		default:
			t.Fatalf("%s: no e2e creation for %T", o.doc.Object, o.typed)
		}
		check(o.doc.Object.String(), err)
	}

	// Pods last, after their namespace's default ServiceAccount (kube-controller-manager's
	// job). kube-system's static pods are plain pods here: no kubelet runs them.
	for ns := range podNamespaces {
		_, err := core.ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
		if !apierrors.IsAlreadyExists(err) {
			check("default ServiceAccount of "+ns, err)
		}
	}
	for _, o := range objs {
		x, isPod := o.typed.(*corev1.Pod)
		if !isPod {
			continue
		}
		clear(&x.ObjectMeta)
		_, err := core.Pods(x.Namespace).Create(ctx, x, metav1.CreateOptions{})
		check(o.doc.Object.String(), err)
		undo = append(undo, func() error { return core.Pods(x.Namespace).Delete(ctx, x.Name, now) })
	}
	ok = true
	return cleanup
}
