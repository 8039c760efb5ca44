package webhook_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kharden/kharden/internal/admission"
	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/source/helm"
	"github.com/kharden/kharden/internal/source/manifest"
)

// TestNodeAuditAdmittedByConfigExceptions: annotations exempt nothing at admission, so
// the node audit, whose DaemonSet carries ignore.kharden.io annotations for kharden scan,
// is admitted where kharden enforces only through the exceptions in the webhook config
// that ships with it: the chart's ConfigMap (nodeAudit.enabled) and deploy/webhook's. Its
// DaemonSet and the pods the DaemonSet makes are admitted; the same pod under another name,
// in another namespace, or without the config's exceptions is not. (The webhook's own
// Deployment lives in the release's namespace, which the selectors exclude:
// checkWebhooks.)
func TestNodeAuditAdmittedByConfigExceptions(t *testing.T) {
	const ns = "kharden-node-audit"
	rendered, err := helm.Render(chartDir, helm.Options{ReleaseName: "kharden", Namespace: "kharden",
		Set: []string{"nodeAudit.enabled=true", "nodeAudit.namespace=" + ns, "config.admission.enforce=high"}})
	if err != nil || len(rendered.Errors) > 0 {
		t.Fatalf("render: %v %v", err, rendered.Errors)
	}
	plainCfg := loadFile(t, deployDir+"/webhook.yaml")
	plainDS := loadFile(t, "../../deploy/node-audit/daemonset.yaml")
	for name, c := range map[string]struct{ cfg, ds []*manifest.Document }{
		"chart":                     {rendered.Docs, rendered.Docs},
		"deploy/webhook+node-audit": {plainCfg.Docs, plainDS.Docs},
	} {
		objs := objects(t, c.cfg)
		cm := decode[corev1.ConfigMap](t, objs["ConfigMap"][0])
		cfg, err := config.Parse("kharden.yaml", []byte(cm.Data["kharden.yaml"]))
		if err != nil {
			t.Fatalf("%s: config: %v", name, err)
		}
		ds := decode[appsv1.DaemonSet](t, objects(t, c.ds)["DaemonSet"][0])
		if len(ds.Annotations) == 0 {
			t.Fatalf("%s: the DaemonSet carries no ignore.kharden.io annotations to test against", name)
		}
		// The pod the DaemonSet controller makes: named by generateName, the template's
		// metadata, the DaemonSet's annotations not copied.
		pod := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{GenerateName: ds.Name + "-", Namespace: ns, Labels: ds.Spec.Template.Labels},
			Spec:       ds.Spec.Template.Spec}
		ds.Namespace = ns
		ds.TypeMeta = metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"}
		labels := admission.StaticNamespaces{ns: {admission.LabelEnforce: "high"}, "shop": {admission.LabelEnforce: "high"}}

		with := newReviewer(t, cfg, labels)
		without := newReviewer(t, &config.Config{}, labels)
		for _, o := range []metav1.Object{ds, pod} {
			kind := o.(runtime.Object).GetObjectKind().GroupVersionKind().Kind
			if d := with.Validate(context.Background(), review(t, o)); !d.Response.Allowed {
				t.Errorf("%s: the node audit's %s is denied with the shipped config: %s", name, kind, d.Response.Result.Message)
			}
			if d := without.Validate(context.Background(), review(t, o)); d.Response.Allowed {
				t.Errorf("%s: the node audit's %s is admitted by its own annotations", name, kind)
			}
		}
		// The exceptions name the node audit, not whatever else runs in its namespace
		// or elsewhere.
		other := pod.DeepCopy()
		other.GenerateName = "debug-"
		moved := pod.DeepCopy()
		moved.Namespace = "shop"
		for what, o := range map[string]*corev1.Pod{"another name": other, "another namespace": moved} {
			if d := with.Validate(context.Background(), review(t, o)); d.Response.Allowed {
				t.Errorf("%s: the node audit's pod under %s is admitted", name, what)
			}
		}
	}
}

func newReviewer(t *testing.T, cfg *config.Config, ns admission.StaticNamespaces) *admission.Reviewer {
	t.Helper()
	r, err := admission.New(admission.Options{Config: cfg, Namespaces: ns})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// review is the create request the API server sends for o.
func review(t *testing.T, o metav1.Object) *admissionv1.AdmissionRequest {
	t.Helper()
	raw, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	gvk := o.(runtime.Object).GetObjectKind().GroupVersionKind()
	return &admissionv1.AdmissionRequest{UID: "1", Operation: admissionv1.Create, Namespace: o.GetNamespace(), Name: o.GetName(),
		Kind:     metav1.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind},
		Resource: metav1.GroupVersionResource{Group: gvk.Group, Version: gvk.Version, Resource: strings.ToLower(gvk.Kind) + "s"},
		Object:   runtime.RawExtension{Raw: raw}}
}
