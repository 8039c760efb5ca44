package workload

import (
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kharden/kharden/internal/kube"
)

// Every kind From reads, with the path of its pod spec: a finding's field path is built
// on it, so a wrong one would put every finding on a wrong line.
func TestFromEveryKind(t *testing.T) {
	const tmpl = "template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c, image: x}], initContainers: [{name: i, image: y}]}}"
	for _, c := range []struct {
		apiVersion, kind, spec string
		specPath               string
	}{
		{"v1", "Pod", "spec: {containers: [{name: c, image: x}], initContainers: [{name: i, image: y}]}", "spec"},
		{"v1", "PodTemplate", tmpl, "template.spec"},
		{"v1", "ReplicationController", "spec: {" + tmpl + "}", "spec.template.spec"},
		{"apps/v1", "Deployment", "spec: {" + tmpl + "}", "spec.template.spec"},
		{"batch/v1", "CronJob", "spec: {jobTemplate: {spec: {" + tmpl + "}}}", "spec.jobTemplate.spec.template.spec"},
		{"apps.openshift.io/v1", "DeploymentConfig", "spec: {selector: {app: a}, " + tmpl + "}", "spec.template.spec"},
		{"argoproj.io/v1alpha1", "Rollout", "spec: {" + tmpl + "}", "spec.template.spec"},
		{"serving.knative.dev/v1", "Service", "spec: {" + tmpl + "}", "spec.template.spec"},
		{"keda.sh/v1alpha1", "ScaledJob", "spec: {jobTargetRef: {parallelism: 1, " + tmpl + "}}", "spec.jobTargetRef.template.spec"},
	} {
		typed := kube.New(c.apiVersion, c.kind)
		if typed == nil {
			t.Fatalf("%s %s: kube.New knows no type", c.apiVersion, c.kind)
		}
		if err := yaml.Unmarshal([]byte("metadata: {name: web}\n"+c.spec), typed); err != nil {
			t.Fatalf("%s: %v", c.kind, err)
		}
		w := From(typed)
		if w == nil {
			t.Fatalf("%s %s: no workload", c.apiVersion, c.kind)
		}
		if w.SpecPath != c.specPath || w.Meta.Name != "web" {
			t.Errorf("%s: SpecPath %q, name %q; want %q, web", c.kind, w.SpecPath, w.Meta.Name, c.specPath)
		}
		cs := w.Containers()
		if len(cs) != 2 || cs[0].Path != c.specPath+".initContainers[0]" || cs[1].Path != c.specPath+".containers[0]" || cs[1].Image != "x" {
			t.Errorf("%s: containers %+v", c.kind, cs)
		}
		if c.kind != "Pod" && (w.PodMetaPath != c.specPath[:len(c.specPath)-len("spec")]+"metadata" || w.PodMeta.Labels["app"] != "a") {
			t.Errorf("%s: pod metadata at %q: %v", c.kind, w.PodMetaPath, w.PodMeta.Labels)
		}
	}
}

// A Rollout that takes its template from a Deployment has no pods of its own to check,
// and says which object has them.
func TestRolloutWorkloadRef(t *testing.T) {
	r := &kube.Rollout{}
	if err := yaml.Unmarshal([]byte("spec: {workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web}}"), r); err != nil {
		t.Fatal(err)
	}
	if w := From(r); w != nil {
		t.Errorf("workload %+v for a Rollout with a workloadRef", w)
	}
	if ref, path := RefersTo(r); ref != "Deployment web" || path != "spec.workloadRef" {
		t.Errorf("RefersTo = %q, %q", ref, path)
	}
	// Objects without a template and no reference are nothing to check.
	for _, o := range []any{&kube.DeploymentConfig{}, &kube.ScaledJob{}, &kube.Templated{}} {
		if w := From(o); w != nil {
			t.Errorf("%T without a template: workload %+v", o, w)
		}
		if ref, _ := RefersTo(o); ref != "" {
			t.Errorf("%T refers to %q", o, ref)
		}
	}
}
