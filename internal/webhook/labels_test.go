package webhook_test

import (
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kharden/kharden/internal/admission"
	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/helm"
	"github.com/kharden/kharden/internal/source/manifest"
)

// labelCandidates are label values to try: every value kharden's parser knows, in its
// canonical spelling and in others, and values it does not know.
func labelCandidates(extra ...string) []string {
	base := []string{"off", "none", "", "true", "false", "on", "yes", "read-only-root", "readonlyroot",
		"ReadOnlyRoot", "strict", "pss-privileged", "v1.30"}
	base = append(base, rule.SeverityNames()...)
	base = append(base, admission.EnforceLabelValues...)
	base = append(base, admission.MutateLabelValues...)
	base = append(base, extra...)
	var out []string
	for _, v := range base {
		out = append(out, v, strings.ToUpper(v), strings.ToUpper(v[:min(1, len(v))])+v[min(1, len(v)):])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestSelectorsAgreeWithTheLabelParser: for every value of kharden.io/enforce, the
// fail-closed webhook's selector matches the namespace exactly when kharden's parser
// enforces there (a level, or a value it cannot read, for which it denies every
// request: so that too stays closed during an outage), and the fail-open one exactly
// when the parser reads no enforcing level; for
// every value of kharden.io/mutate, the mutating webhook's selector matches exactly when
// the parser mutates (the label's mode, or the config's when the label is not read).
// Checked on the chart, rendered with mutation off and on by default, and on
// deploy/webhook.
func TestSelectorsAgreeWithTheLabelParser(t *testing.T) {
	setups := map[string][]*manifest.Document{}
	for _, mutate := range []string{"false", "true", "read-only-root"} {
		rendered, err := helm.Render(chartDir, helm.Options{ReleaseName: "kharden", Namespace: "kharden",
			Set: []string{"config.admission.mutate=" + mutate}})
		if err != nil || len(rendered.Errors) > 0 {
			t.Fatalf("render: %v %v", err, rendered.Errors)
		}
		setups["chart with mutate "+mutate] = rendered.Docs
	}
	var plain []*manifest.Document
	for _, f := range []string{"webhook.yaml", "webhook-configurations.yaml"} {
		plain = append(plain, loadFile(t, deployDir+"/"+f).Docs...)
	}
	setups["deploy/webhook"] = plain

	for name, docs := range setups {
		objs := objects(t, docs)
		cm := decode[struct {
			Data map[string]string `json:"data"`
		}](t, objs["ConfigMap"][0])
		cfg, err := config.Parse("kharden.yaml", []byte(cm.Data["kharden.yaml"]))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		defaults, err := admission.NewDefaults(cfg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		vwc := decode[admissionregistrationv1.ValidatingWebhookConfiguration](t, objs["ValidatingWebhookConfiguration"][0])
		mwc := decode[admissionregistrationv1.MutatingWebhookConfiguration](t, objs["MutatingWebhookConfiguration"][0])
		sels := map[string]labels.Selector{}
		for _, w := range vwc.Webhooks {
			sels[w.Name] = selector(t, w.NamespaceSelector)
		}
		mutating := selector(t, mwc.Webhooks[0].NamespaceSelector)
		ns := func(kv ...string) labels.Set {
			l := labels.Set{"kubernetes.io/metadata.name": "shop"}
			for i := 0; i+1 < len(kv); i += 2 {
				l[kv[i]] = kv[i+1]
			}
			return l
		}
		for _, v := range labelCandidates() {
			p := defaults.For(ns(admission.LabelEnforce, v))
			level := len(p.Problems) == 0 && !p.Enforce.Off()
			closed, open := sels["enforce.kharden.io"].Matches(ns(admission.LabelEnforce, v)), sels["check.kharden.io"].Matches(ns(admission.LabelEnforce, v))
			if closed != (level || len(p.Problems) > 0) || open == level {
				t.Errorf("%s: kharden.io/enforce=%q: parser reads a level %v (problems %v), fail-closed webhook %v, fail-open %v",
					name, v, level, p.Problems, closed, open)
			}
		}
		for _, set := range []labels.Set{ns(), ns(admission.LabelWarn, "high")} {
			if sels["enforce.kharden.io"].Matches(set) || !sels["check.kharden.io"].Matches(set) {
				t.Errorf("%s: namespace %v not served by the fail-open webhook alone", name, set)
			}
		}
		for _, kv := range append([][]string{nil}, func() (out [][]string) {
			for _, v := range labelCandidates() {
				out = append(out, []string{admission.LabelMutate, v})
			}
			return out
		}()...) {
			set := ns(kv...)
			mutates := defaults.For(set).Mutate != admission.MutateOff
			if mutating.Matches(set) != mutates {
				t.Errorf("%s: namespace %v: the mutating webhook's selector matches %v, the parser mutates %v",
					name, kv, mutating.Matches(set), mutates)
			}
		}
	}
}

func selector(t *testing.T, s *metav1.LabelSelector) labels.Selector {
	t.Helper()
	out, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
