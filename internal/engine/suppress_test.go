package engine

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/rules/k8s"
)

// TestWithSuppressions: an engine that reads no annotations ignores them, malformed ones
// included, and suppresses by its exceptions alone; an expired exception says so; the
// engine it was copied from still reads annotations.
func TestWithSuppressions(t *testing.T) {
	now := time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)
	base := New(Options{Rules: []*k8s.Rule{k8s.Privileged, k8s.HostNetwork, k8s.HostPID}, Now: now})
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", Annotations: map[string]string{
			SuppressPrefix + "privileged":   "the author says so",
			SuppressPrefix + "host-network": "",
		}},
		Spec: corev1.PodSpec{HostNetwork: true, HostPID: true, Containers: []corev1.Container{{
			Name: "web", Image: "nginx", SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}}},
	}
	obj := rule.Object{APIVersion: "v1", Kind: "Pod", Namespace: "shop", Name: "web"}
	var asked []rule.Object
	e := base.WithSuppressions(Suppressions{NoAnnotations: true, Exceptions: func(o rule.Object) map[string]Exception {
		asked = append(asked, o)
		return map[string]Exception{
			k8s.HostNetwork.ID: {Key: "admission.exceptions[0]", Reason: "CNI agent"},
			k8s.HostPID.ID:     {Key: "admission.exceptions[1]", Reason: "old", Expires: now.AddDate(0, 0, -1)},
		}
	}})
	var rep report.Report
	e.ScanObject("admission://shop/Pod/web", obj, pod, &rep)
	if len(asked) != 1 || asked[0] != obj {
		t.Errorf("exceptions asked for %v", asked)
	}
	if len(rep.Errors) > 0 || len(rep.Notes) > 0 {
		t.Errorf("annotations read: errors %+v, notes %+v", rep.Errors, rep.Notes)
	}
	if len(rep.Suppressed) != 1 || rep.Suppressed[0].Meta.ID != k8s.HostNetwork.ID || rep.Suppressed[0].Suppressed != "admission.exceptions[0]: CNI agent" {
		t.Errorf("suppressed %+v", rep.Suppressed)
	}
	byID := map[string]rule.Result{}
	for _, r := range rep.Results {
		byID[r.Meta.ID] = r
	}
	if _, ok := byID[k8s.Privileged.ID]; !ok || len(byID) != 2 {
		t.Errorf("results %+v", rep.Results)
	}
	if m := byID[k8s.HostPID.ID].Message; !strings.HasSuffix(m, "(exception admission.exceptions[1] expired on 2027-03-31)") {
		t.Errorf("expired exception: %q", m)
	}

	// The original engine is unchanged: it reads the annotations.
	rep = report.Report{}
	base.ScanObject("k8s://shop/Pod/web", obj, pod, &rep)
	if len(rep.Suppressed) != 1 || rep.Suppressed[0].Meta.ID != k8s.Privileged.ID || len(rep.Errors) != 1 {
		t.Errorf("base engine: suppressed %+v, errors %+v", rep.Suppressed, rep.Errors)
	}
}
