package audit

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/source/cluster"
)

// A workload that leaves automountServiceAccountToken unset is judged with the
// ServiceAccount it runs as, read from the cluster (KM-0035): the ServiceAccount's opt-out
// holds, its absence is said, and without the list of ServiceAccounts the message says it
// was not seen.
func TestTokenAutomountReadsTheClusterServiceAccounts(t *testing.T) {
	deploy := func(name, sa string) appsv1.Deployment {
		tmpl := privilegedPod()
		tmpl.Spec.ServiceAccountName = sa
		return appsv1.Deployment{ObjectMeta: meta("shop", name, "d-"+name), Spec: appsv1.DeploymentSpec{Template: tmpl}}
	}
	s := &cluster.Snapshot{
		Deployments: []appsv1.Deployment{deploy("web", "web"), deploy("api", "api"), deploy("gone", "missing"), deploy("plain", "")},
		ServiceAccounts: []corev1.ServiceAccount{
			{ObjectMeta: meta("shop", "web", "sa1"), AutomountServiceAccountToken: ptr.To(false)},
			{ObjectMeta: meta("shop", "api", "sa2")},
			{ObjectMeta: meta("shop", "default", "sa3"), AutomountServiceAccountToken: ptr.To(false)},
		},
	}
	got := automountMessages(collect(t, newAuditor(t, Options{}), s))
	want := map[string]string{
		"k8s://shop/Deployment/api":  `neither the pod spec nor its ServiceAccount "shop/api" sets automountServiceAccountToken: false`,
		"k8s://shop/Deployment/gone": `its ServiceAccount "shop/missing" does not exist`,
	}
	for file, msg := range want {
		if !strings.Contains(got[file], msg) {
			t.Errorf("%s: KM-0035 %q, want %q", file, got[file], msg)
		}
	}
	for _, file := range []string{"k8s://shop/Deployment/web", "k8s://shop/Deployment/plain"} {
		if m, ok := got[file]; ok {
			t.Errorf("%s: KM-0035 %q, although its ServiceAccount opts out", file, m)
		}
	}

	s.ServiceAccounts = nil
	s.Unavailable = map[string]error{cluster.ResourceServiceAccounts: errForbidden}
	got = automountMessages(collect(t, newAuditor(t, Options{}), s))
	if m := got["k8s://shop/Deployment/web"]; !strings.Contains(m, `ServiceAccount "shop/web" is not among the inputs`) {
		t.Errorf("without the ServiceAccounts: KM-0035 %q", m)
	}
}

var errForbidden = &forbidden{}

type forbidden struct{}

func (*forbidden) Error() string { return "forbidden" }

// automountMessages returns the KM-0035 message on each workload, by file.
func automountMessages(parts []*report.Report) map[string]string {
	out := map[string]string{}
	for _, p := range parts {
		for _, r := range p.Results {
			if r.Meta.ID == "KM-0035" && strings.Contains(r.Location.File, "/Deployment/") {
				out[r.Location.File] = r.Message
			}
		}
	}
	return out
}
