package webhook_test

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kharden/kharden/internal/admission"
	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/scan"
	"github.com/kharden/kharden/internal/source/helm"
	"github.com/kharden/kharden/internal/source/manifest"
	"github.com/kharden/kharden/internal/webhook"
)

const (
	chartDir  = "../../charts/kharden"
	deployDir = "../../deploy/webhook"
)

// TestDeployScansClean: the chart (with each TLS mode, with and without an image digest)
// and the plain manifests give no finding and no error with kharden's default rules, the
// Pod Security restricted and baseline profiles, at every severity.
func TestDeployScansClean(t *testing.T) {
	chartSets := [][]string{
		nil,
		{"image.digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		{"tls.mode=secret", "tls.secretName=kharden-tls", "tls.caBundle=Cg=="},
		{"tls.mode=cert-manager", "tls.certManager.issuerRef.name=ca", "tls.certManager.issuerRef.kind=ClusterIssuer"},
		{"config.admission.mutate=true", "config.admission.enforce=high"},
	}
	for _, profile := range []string{"default", "pss-restricted", "pss-baseline"} {
		for _, set := range chartSets {
			checkClean(t, fmt.Sprintf("chart --set %v at %s", set, profile), scan.Options{Paths: []string{chartDir}, Profile: profile,
				FailOn: "info", Helm: scan.HelmOptions{Set: set}, Config: &config.Config{}})
		}
		checkClean(t, "deploy/webhook at "+profile, scan.Options{Paths: []string{deployDir}, Profile: profile, FailOn: "info", Config: &config.Config{}})
	}
}

func checkClean(t *testing.T, name string, o scan.Options) {
	t.Helper()
	rep, err := scan.Run(o)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if rep.Objects < 9 {
		t.Errorf("%s: only %d objects scanned", name, rep.Objects)
	}
	for _, r := range rep.Results {
		t.Errorf("%s: %s:%d %s %s: %s", name, r.Location.File, r.Location.Line, r.Meta.ID, r.Location.FieldPath, r.Message)
	}
	for _, e := range rep.Errors {
		t.Errorf("%s: error %s:%d: %s", name, e.File, e.Line, e.Message)
	}
	for _, s := range rep.Suppressed {
		if s.Meta.Slug != "image-digest" || slices.Contains(o.Helm.Set, "image.digest") {
			t.Errorf("%s: unexpected suppression of %s: %s", name, s.Meta.ID, s.Suppressed)
		}
	}
}

// objects decodes the rendered chart (release kharden in namespace kharden) or the plain
// manifests by kind.
func objects(t *testing.T, docs []*manifest.Document) map[string][][]byte {
	t.Helper()
	out := map[string][][]byte{}
	for _, d := range docs {
		out[d.Object.Kind] = append(out[d.Object.Kind], d.JSON)
	}
	return out
}

func decode[T any](t *testing.T, raw []byte) *T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return &v
}

func TestDeployShape(t *testing.T) {
	rendered, err := helm.Render(chartDir, helm.Options{ReleaseName: "kharden", Namespace: "kharden"})
	if err != nil || len(rendered.Errors) > 0 {
		t.Fatalf("render: %v %v", err, rendered.Errors)
	}
	var plain []*manifest.Document
	for _, f := range []string{"webhook.yaml", "webhook-configurations.yaml"} {
		r := loadFile(t, deployDir+"/"+f)
		plain = append(plain, r.Docs...)
	}
	for name, docs := range map[string][]*manifest.Document{"chart": rendered.Docs, "deploy/webhook": plain} {
		objs := objects(t, docs)
		dep := decode[appsv1.Deployment](t, objs["Deployment"][0])
		if dep.Spec.Replicas == nil || *dep.Spec.Replicas != 2 {
			t.Errorf("%s: replicas %v", name, dep.Spec.Replicas)
		}
		if env := dep.Spec.Template.Spec.Containers[0].Env; !slices.Contains(env, corev1.EnvVar{Name: "GODEBUG", Value: webhook.GODEBUG}) {
			t.Errorf("%s: the container's environment %v lacks GODEBUG=%s", name, env, webhook.GODEBUG)
		}
		if len(objs["PodDisruptionBudget"]) != 1 {
			t.Fatalf("%s: no PodDisruptionBudget", name)
		}
		pdb := decode[policyv1.PodDisruptionBudget](t, objs["PodDisruptionBudget"][0])
		if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() != 1 {
			t.Errorf("%s: PDB minAvailable %v", name, pdb.Spec.MinAvailable)
		}
		// The config the pods read is valid.
		cm := decode[corev1.ConfigMap](t, objs["ConfigMap"][0])
		cfg, err := config.Parse("kharden.yaml", []byte(cm.Data["kharden.yaml"]))
		if err != nil {
			t.Fatalf("%s: config: %v", name, err)
		}
		if _, err := admission.New(admission.Options{Config: cfg}); err != nil {
			t.Errorf("%s: config: %v", name, err)
		}
		vwc := decode[admissionregistrationv1.ValidatingWebhookConfiguration](t, objs["ValidatingWebhookConfiguration"][0])
		mwc := decode[admissionregistrationv1.MutatingWebhookConfiguration](t, objs["MutatingWebhookConfiguration"][0])
		checkWebhooks(t, name, vwc, mwc)
	}
	// The generated CA signs the generated certificate for the Service's names.
	objs := objects(t, rendered.Docs)
	sec := decode[corev1.Secret](t, objs["Secret"][0])
	vwc := decode[admissionregistrationv1.ValidatingWebhookConfiguration](t, objs["ValidatingWebhookConfiguration"][0])
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(vwc.Webhooks[0].ClientConfig.CABundle) {
		t.Fatal("caBundle is not PEM")
	}
	block, _ := pem.Decode(sec.Data["tls.crt"])
	if block == nil {
		t.Fatal("tls.crt is not PEM")
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "kharden-webhook.kharden.svc"}); err != nil {
		t.Errorf("generated certificate: %v", err)
	}
}

func loadFile(t *testing.T, path string) *manifest.Result {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := manifest.Load(path, data)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	return r
}

// checkWebhooks: enforcing namespaces go to a fail-closed webhook, every other namespace
// to a fail-open one, exactly one of the two; kube-system and kharden's namespace to
// neither; mutation only where a namespace opts in; timeouts set.
func checkWebhooks(t *testing.T, name string, vwc *admissionregistrationv1.ValidatingWebhookConfiguration, mwc *admissionregistrationv1.MutatingWebhookConfiguration) {
	t.Helper()
	if len(vwc.Webhooks) != 2 || len(mwc.Webhooks) != 1 {
		t.Fatalf("%s: %d validating and %d mutating webhooks", name, len(vwc.Webhooks), len(mwc.Webhooks))
	}
	byName := map[string]admissionregistrationv1.ValidatingWebhook{}
	for _, w := range vwc.Webhooks {
		byName[w.Name] = w
		if w.TimeoutSeconds == nil || *w.TimeoutSeconds > 10 || w.ClientConfig.Service == nil || w.ClientConfig.Service.Path == nil ||
			*w.ClientConfig.Service.Path != "/validate" || w.SideEffects == nil || *w.SideEffects != admissionregistrationv1.SideEffectClassNone {
			t.Errorf("%s: webhook %s: %+v", name, w.Name, w)
		}
	}
	enforce, check := byName["enforce.kharden.io"], byName["check.kharden.io"]
	if enforce.FailurePolicy == nil || *enforce.FailurePolicy != admissionregistrationv1.Fail {
		t.Errorf("%s: enforce failurePolicy %v", name, enforce.FailurePolicy)
	}
	if check.FailurePolicy == nil || *check.FailurePolicy != admissionregistrationv1.Ignore {
		t.Errorf("%s: check failurePolicy %v", name, check.FailurePolicy)
	}
	mut := mwc.Webhooks[0]
	if mut.FailurePolicy == nil || *mut.FailurePolicy != admissionregistrationv1.Ignore || *mut.ClientConfig.Service.Path != "/mutate" {
		t.Errorf("%s: mutating webhook %+v", name, mut)
	}
	sel := func(s *metav1.LabelSelector) labels.Selector {
		out, err := metav1.LabelSelectorAsSelector(s)
		if err != nil {
			t.Fatalf("%s: selector: %v", name, err)
		}
		return out
	}
	es, cs, ms := sel(enforce.NamespaceSelector), sel(check.NamespaceSelector), sel(mut.NamespaceSelector)
	ns := func(n string, kv ...string) labels.Set {
		l := labels.Set{"kubernetes.io/metadata.name": n}
		for i := 0; i+1 < len(kv); i += 2 {
			l[kv[i]] = kv[i+1]
		}
		return l
	}
	for _, c := range []struct {
		labels         labels.Set
		enforce, check bool
		mutate         bool
	}{
		{ns("shop", admission.LabelEnforce, "high"), true, false, false},
		{ns("shop", admission.LabelEnforce, "pss-restricted", admission.LabelMutate, "true"), true, false, true},
		{ns("shop", admission.LabelWarn, "high"), false, true, false},
		{ns("shop"), false, true, false},
		{ns("shop", admission.LabelEnforce, "off"), false, true, false},
		// A value that is no level is denied by both webhooks, so it stays closed in an outage.
		{ns("shop", admission.LabelEnforce, "nonsense"), true, true, false},
		{ns("shop", admission.LabelEnforce, "High"), true, true, false},
		{ns("shop", admission.LabelMutate, "read-only-root"), false, true, true},
		{ns("kube-system", admission.LabelEnforce, "high", admission.LabelMutate, "true"), false, false, false},
		{ns("kharden", admission.LabelEnforce, "high", admission.LabelMutate, "true"), false, false, false},
	} {
		if es.Matches(c.labels) != c.enforce || cs.Matches(c.labels) != c.check || ms.Matches(c.labels) != c.mutate {
			t.Errorf("%s: namespace %v: enforce %v check %v mutate %v, want %v %v %v", name, c.labels,
				es.Matches(c.labels), cs.Matches(c.labels), ms.Matches(c.labels), c.enforce, c.check, c.mutate)
		}
	}
	for _, w := range []admissionregistrationv1.ValidatingWebhook{enforce, check} {
		var res []string
		for _, r := range w.Rules {
			res = append(res, r.Resources...)
		}
		for _, want := range []string{"pods", "deployments", "statefulsets", "daemonsets", "replicasets", "jobs", "cronjobs"} {
			if !slices.Contains(res, want) {
				t.Errorf("%s: webhook %s does not see %s (%s)", name, w.Name, want, strings.Join(res, ","))
			}
		}
	}
}
