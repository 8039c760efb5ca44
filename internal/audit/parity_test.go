package audit

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kharden/kharden/internal/engine"
	"github.com/kharden/kharden/internal/kube"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/rules/k8s"
	"github.com/kharden/kharden/internal/source/cluster"
	"github.com/kharden/kharden/internal/source/manifest"
)

// The same YAML gets the same verdict from kharden scan and from kharden audit cluster:
// the fixtures of the RBAC and service-account manifest rules, scanned as files and read
// as a cluster, give the same findings (rule, object, field path and message). The token
// automount rule's messages differ where a ServiceAccount is missing (not among the
// inputs, or not in the cluster), so for it only the verdicts are compared.
func TestScanAndAuditAgreeOnRBACAndServiceAccounts(t *testing.T) {
	slugs := []string{"service-account-token-automount", "default-service-account-binding", "cluster-admin-binding"}
	for _, r := range k8s.All() {
		if len(r.Slug) > 5 && r.Slug[:5] == "rbac-" {
			slugs = append(slugs, r.Slug)
		}
	}
	byID := map[string]bool{}
	var rules []*k8s.Rule
	for _, r := range k8s.All() {
		if slices.Contains(slugs, r.Slug) {
			byID[r.ID] = true
			rules = append(rules, r)
		}
	}
	a := newAuditor(t, Options{})
	for _, slug := range slugs {
		files, _ := filepath.Glob(filepath.Join("..", "rules", "k8s", "testdata", slug, "*", "*.yaml"))
		if len(files) == 0 {
			t.Errorf("%s: no fixtures", slug)
		}
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			res := manifest.Load(f, src)
			rep := &report.Report{}
			engine.New(engine.Options{Rules: rules}).Scan(res.Docs, rep)
			scanned := verdicts(rep.Results, byID)
			if filepath.Base(filepath.Dir(f)) == "fail" && len(scanned) == 0 {
				t.Errorf("%s: a fail fixture with no finding", f)
			}

			s := snapshotOf(t, res.Docs)
			var audited []string
			for _, p := range collect(t, a, s) {
				audited = append(audited, verdicts(p.Results, byID)...)
			}
			slices.Sort(scanned)
			slices.Sort(audited)
			if !slices.Equal(scanned, audited) {
				t.Errorf("%s:\n scan  %q\n audit %q", f, scanned, audited)
			}
		}
	}
}

// verdicts renders the results of some rules for comparison.
func verdicts(rs []rule.Result, ids map[string]bool) []string {
	var out []string
	for _, r := range rs {
		if !ids[r.Meta.ID] {
			continue
		}
		o := r.Location.Object
		msg := r.Message
		if r.Meta.ID == k8s.ServiceAccountTokenAutomount.ID {
			msg = ""
		}
		out = append(out, fmt.Sprintf("%s %s %s/%s %s %s", r.Meta.ID, o.Kind, o.Namespace, o.Name, r.Location.FieldPath, msg))
	}
	return out
}

// snapshotOf reads the documents of the kinds a cluster snapshot holds into one.
func snapshotOf(t *testing.T, docs []*manifest.Document) *cluster.Snapshot {
	t.Helper()
	s := &cluster.Snapshot{}
	for _, d := range docs {
		typed := kube.New(d.Object.APIVersion, d.Object.Kind)
		if typed == nil {
			continue
		}
		if err := d.Decode(typed); err != nil {
			t.Fatal(err)
		}
		switch o := typed.(type) {
		case *corev1.ServiceAccount:
			s.ServiceAccounts = append(s.ServiceAccounts, *o)
		case *corev1.Pod:
			s.Pods = append(s.Pods, *o)
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
		}
	}
	return s
}
