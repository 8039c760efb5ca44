package engine

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/rules/k8s"
)

// A typed object without a document (read from a cluster): results are located by file,
// object and field path, with no line; suppression annotations apply, to the results of
// rules outside the engine too.
func TestScanObject(t *testing.T) {
	extraRule := &rule.Meta{ID: "KC-9999", Slug: "cluster-thing", Severity: rule.High}
	e := New(Options{Rules: []*k8s.Rule{k8s.Privileged, k8s.HostNetwork}, Extra: []*rule.Meta{extraRule}})
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", Annotations: map[string]string{
			SuppressPrefix + "host-network":  "the agent needs the node's network",
			SuppressPrefix + "cluster-thing": "accepted risk",
			SuppressPrefix + "KC-0000":       "no such rule",
		}},
		Spec: corev1.PodSpec{HostNetwork: true, Containers: []corev1.Container{{
			Name: "web", Image: "nginx", SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}}},
	}
	obj := rule.Object{APIVersion: "v1", Kind: "Pod", Namespace: "shop", Name: "web"}
	const file = "k8s://shop/Pod/web"
	var rep report.Report
	e.ScanObject(file, obj, pod, &rep, rule.Result{Meta: extraRule, Status: rule.Fail, Severity: rule.High, Message: "x",
		Location: rule.Location{File: file, Object: obj}})
	if rep.Objects != 1 || len(rep.Results) != 1 || len(rep.Suppressed) != 2 {
		t.Fatalf("objects %d, results %+v, suppressed %+v", rep.Objects, rep.Results, rep.Suppressed)
	}
	want := rule.Location{File: file, FieldPath: "spec.containers[0].securityContext.privileged", Object: obj}
	if r := rep.Results[0]; r.Meta.ID != k8s.Privileged.ID || r.Location != want {
		t.Errorf("result %s at %+v, want %+v", r.Meta.ID, r.Location, want)
	}
	ids := rep.Suppressed[0].Meta.ID + " " + rep.Suppressed[1].Meta.ID
	if !strings.Contains(ids, "KC-9999") || !strings.Contains(ids, k8s.HostNetwork.ID) {
		t.Errorf("suppressed %s", ids)
	}
	if len(rep.Errors) != 1 || rep.Errors[0].File != file || rep.Errors[0].Line != 0 || !strings.Contains(rep.Errors[0].Message, "KC-0000") {
		t.Errorf("errors %+v", rep.Errors)
	}
}
