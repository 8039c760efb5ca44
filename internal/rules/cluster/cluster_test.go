package cluster_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/version"

	"github.com/kharden/kharden/internal/kube"
	"github.com/kharden/kharden/internal/rule"
	kc "github.com/kharden/kharden/internal/rules/cluster"
	dfrules "github.com/kharden/kharden/internal/rules/dockerfile"
	"github.com/kharden/kharden/internal/rules/k8s"
	"github.com/kharden/kharden/internal/source/cluster"
	"github.com/kharden/kharden/internal/source/manifest"
	"github.com/kharden/kharden/internal/testkit"
)

// A fixture is a cluster: a YAML file of objects (documents or a List), read into a
// Snapshot. Pods in kube-system labelled tier: control-plane are the Snapshot's
// ControlPlane. Comment lines set what objects cannot:
//
//	# server: v1.35.2    the API server's gitVersion (none: Snapshot.Server is nil)
//
// `# want KC-0001 "message regexp"` goes on the line the finding points at: its object's
// field path. A finding about the cluster itself (no object) is expected on line 1.
// Fixtures under pass/ must give no finding of the rule; under fail/ exactly the wanted
// ones, with status Fail; under manual/ and skipped/ the wanted ones with that status.

var outcomes = map[string]rule.Status{"pass": rule.Pass, "fail": rule.Fail, "manual": rule.Manual, "skipped": rule.Skipped}

func TestRegistry(t *testing.T) {
	if err := rule.Validate(kc.Metas(kc.All())); err != nil {
		t.Fatal(err)
	}
	for _, r := range kc.All() {
		if r.Check == nil {
			t.Errorf("%s: no check", r.ID)
		}
		if len(r.Needs) == 0 {
			t.Errorf("%s: no Needs", r.ID)
		}
		if !strings.HasPrefix(r.ID, "KC-") {
			t.Errorf("%s: not a KC ID", r.ID)
		}
		if kc.Lookup(r.Slug) != r || kc.Lookup(strings.ToLower(r.ID)) != r {
			t.Errorf("%s: Lookup", r.ID)
		}
	}
}

var declaredID = regexp.MustCompile(`(?m)^\s*ID:\s*"([A-Z]{2}-\d{4})"`)

// TestEveryRuleFileRegistered fails when a rule file declares a rule All() leaves out.
func TestEveryRuleFileRegistered(t *testing.T) {
	registered := map[string]bool{}
	for _, r := range kc.All() {
		registered[r.ID] = true
	}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range declaredID.FindAllStringSubmatch(string(src), -1) {
			if !registered[m[1]] {
				t.Errorf("%s declares rule %s, which All() does not list", f, m[1])
			}
		}
	}
}

// TestNeeds: every need is a known input, and a rule whose inputs are unavailable is
// told so by Missing, naming each.
func TestNeeds(t *testing.T) {
	known := map[string]bool{kc.NeedNamespaces: true, kc.NeedNodes: true, kc.NeedServiceAccounts: true, kc.NeedNetworkPolicies: true,
		kc.NeedRoles: true, kc.NeedClusterRoles: true, kc.NeedRoleBindings: true, kc.NeedClusterRoleBindings: true,
		kc.NeedVersion: true, kc.NeedControlPlane: true}
	full := &cluster.Snapshot{Server: &version.Info{GitVersion: "v1.37.2"}}
	for _, r := range kc.All() {
		for _, n := range r.Needs {
			if !known[n] {
				t.Errorf("%s needs unknown input %q", r.ID, n)
			}
		}
		if err := r.Missing(full); err != nil {
			t.Errorf("%s: missing on a complete snapshot: %v", r.ID, err)
		}
		denied := &cluster.Snapshot{Unavailable: map[string]error{}}
		for _, n := range r.Needs {
			denied.Unavailable[n] = errors.New("forbidden")
		}
		err := r.Missing(denied)
		if err == nil {
			t.Errorf("%s: nothing missing when every need is unavailable", r.ID)
			continue
		}
		for _, n := range r.Needs {
			if n != kc.NeedVersion && n != kc.NeedControlPlane && !strings.Contains(err.Error(), n) {
				t.Errorf("%s: %q does not name %s", r.ID, err, n)
			}
		}
	}
	if err := kc.APIServerAnonymousAuth.Missing(&cluster.Snapshot{Unavailable: map[string]error{"controlplane": errors.New("forbidden")}}); err == nil ||
		!strings.Contains(err.Error(), "control-plane pods could not be listed: forbidden") {
		t.Errorf("Missing = %v", err)
	}
	// Pods of another namespace (audit -n) say nothing about kube-system's.
	if err := kc.APIServerAnonymousAuth.Missing(&cluster.Snapshot{Unavailable: map[string]error{"pods": errors.New("forbidden")}}); err != nil {
		t.Errorf("Missing = %v", err)
	}
	if err := kc.ServerVersionSupported.Missing(&cluster.Snapshot{}); err == nil {
		t.Error("a nil Server is not missing")
	}
}

// TestEmptySnapshot: every rule runs on an empty snapshot without panicking, the
// control-plane rules say they saw nothing (Skipped, no object) and the others find
// nothing.
func TestEmptySnapshot(t *testing.T) {
	for _, r := range kc.All() {
		fs := r.Check(&cluster.Snapshot{})
		flagRule := len(r.Needs) == 1 && r.Needs[0] == kc.NeedControlPlane
		for _, f := range fs {
			if !flagRule || f.Status != rule.Skipped || f.Object != (rule.Object{}) || !strings.Contains(f.Message, "kharden audit node") {
				t.Errorf("%s: %+v", r.ID, f)
			}
		}
		if flagRule && len(fs) == 0 {
			t.Errorf("%s: no Skipped finding without a control plane", r.ID)
		}
	}
}

// TestFixtures runs every rule on its fixtures.
func TestFixtures(t *testing.T) {
	bySlug := map[string]*kc.Rule{}
	for _, r := range kc.All() {
		bySlug[r.Slug] = r
	}
	dirs, _ := os.ReadDir("testdata")
	for _, d := range dirs {
		if d.IsDir() && bySlug[d.Name()] == nil {
			t.Errorf("testdata/%s has no rule", d.Name())
		}
	}
	for _, r := range kc.All() {
		t.Run(r.Slug, func(t *testing.T) {
			for outcome, status := range outcomes {
				files, _ := filepath.Glob(filepath.Join("testdata", r.Slug, outcome, "*.yaml"))
				if len(files) == 0 && outcome == "fail" {
					t.Errorf("no fail fixture in testdata/%s/fail", r.Slug)
				}
				// A rule that cannot pass on what the API shows (the encryption
				// providers are in a file) has a manual fixture instead.
				if len(files) == 0 && outcome == "pass" && !hasFixtures(r.Slug, "manual") {
					t.Errorf("no pass (or manual) fixture in testdata/%s/pass", r.Slug)
				}
				for _, f := range files {
					checkFixture(t, r, f, status)
				}
			}
		})
	}
}

var (
	serverDirective = regexp.MustCompile(`(?m)^#\s*server:\s*(\S+)`)
)

// loadFixture reads a fixture into a Snapshot and the documents that hold its objects.
func loadFixture(t *testing.T, file string, src []byte) (*cluster.Snapshot, []*manifest.Document) {
	t.Helper()
	res := manifest.Load(file, src)
	for _, e := range res.Errors {
		t.Fatalf("load error: %v", e)
	}
	s := &cluster.Snapshot{}
	if m := serverDirective.FindSubmatch(src); m != nil {
		s.Server = &version.Info{GitVersion: string(m[1])}
	}
	for _, d := range res.Docs {
		typed := kube.New(d.Object.APIVersion, d.Object.Kind)
		if typed == nil && d.Object.Kind == "Node" {
			typed = &corev1.Node{}
		}
		if typed == nil {
			t.Fatalf("%s: %s is not a kind the cluster snapshot holds", file, d.Object)
		}
		if err := d.Decode(typed); err != nil {
			t.Fatalf("%v", err)
		}
		switch o := typed.(type) {
		case *corev1.Namespace:
			s.Namespaces = append(s.Namespaces, *o)
		case *corev1.Node:
			s.Nodes = append(s.Nodes, *o)
		case *corev1.ServiceAccount:
			s.ServiceAccounts = append(s.ServiceAccounts, *o)
		case *networkingv1.NetworkPolicy:
			s.NetworkPolicies = append(s.NetworkPolicies, *o)
		case *corev1.Pod:
			if o.Namespace == "kube-system" && o.Labels["tier"] == "control-plane" {
				s.ControlPlane = append(s.ControlPlane, *o)
			} else {
				s.Pods = append(s.Pods, *o)
			}
		case *appsv1.Deployment:
			s.Deployments = append(s.Deployments, *o)
		case *batchv1.Job:
			s.Jobs = append(s.Jobs, *o)
		case *rbacv1.Role:
			s.Roles = append(s.Roles, *o)
		case *rbacv1.ClusterRole:
			s.ClusterRoles = append(s.ClusterRoles, *o)
		case *rbacv1.RoleBinding:
			s.RoleBindings = append(s.RoleBindings, *o)
		case *rbacv1.ClusterRoleBinding:
			s.ClusterRoleBindings = append(s.ClusterRoleBindings, *o)
		default:
			t.Fatalf("%s: %s is not a kind the cluster snapshot holds", file, d.Object)
		}
	}
	return s, res.Docs
}

func checkFixture(t *testing.T, r *kc.Rule, file string, status rule.Status) {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	wants, err := testkit.ParseWants(src)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var mine []testkit.Want
	for _, w := range wants {
		if w.ID == r.ID {
			mine = append(mine, w)
		}
	}
	if status != rule.Pass && len(mine) == 0 {
		t.Errorf("%s: fixture has no `# want %s` comment", file, r.ID)
	}
	if status == rule.Pass && len(mine) > 0 {
		t.Errorf("%s: pass fixture has want comments", file)
	}
	s, docs := loadFixture(t, file, src)
	if err := r.Missing(s); err != nil {
		t.Fatalf("%s: the fixture lacks an input of %s: %v", file, r.ID, err)
	}
	got := map[int][]string{}
	for _, f := range r.Check(s) {
		line := 1
		if f.Object != (rule.Object{}) {
			d := findDoc(docs, f.Object)
			if d == nil {
				t.Errorf("%s: finding on %s, which is not in the fixture: %s", file, f.Object, f.Message)
				continue
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
	for _, e := range testkit.Match(file, r.ID, mine, got) {
		t.Error(e)
	}
}

func hasFixtures(slug, outcome string) bool {
	files, _ := filepath.Glob(filepath.Join("testdata", slug, outcome, "*.yaml"))
	return len(files) > 0
}

func findDoc(docs []*manifest.Document, o rule.Object) *manifest.Document {
	for _, d := range docs {
		if d.Object.Kind == o.Kind && d.Object.Namespace == o.Namespace && d.Object.Name == o.Name {
			return d
		}
	}
	return nil
}

// TestNamesUniqueAcrossDomains: a slug or ID names one rule, whatever its domain, since
// config files and suppressions name rules that way.
func TestNamesUniqueAcrossDomains(t *testing.T) {
	seen := map[string]string{}
	var metas []*rule.Meta
	metas = append(metas, k8s.Metas(k8s.All())...)
	metas = append(metas, dfrules.Metas(dfrules.All())...)
	metas = append(metas, kc.Metas(kc.All())...)
	for _, m := range metas {
		for _, name := range []string{m.ID, m.Slug} {
			if other, dup := seen[name]; dup {
				t.Errorf("%s names both %s and %s", name, other, m.ID)
			}
			seen[name] = m.ID
		}
	}
}
