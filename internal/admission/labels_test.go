package admission

import (
	"context"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/kharden/kharden/internal/config"
)

// TestLabelValuesAreCanonical: a namespace label is read only as the webhook
// configurations' selectors match it. Another spelling of a value kharden knows
// ("High") is reported, naming the label and the value to write: an enforce label
// denies every request in the namespace (fail closed, as for any enforce label that
// cannot be read), the others warn.
func TestLabelValuesAreCanonical(t *testing.T) {
	d, err := NewDefaults(&config.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		label, value, want string // want: the canonical value the problem names; "" none
	}{
		{LabelEnforce, "high", ""},
		{LabelEnforce, "pss-restricted", ""},
		{LabelEnforce, "off", ""},
		{LabelWarn, "info", ""},
		{LabelMutate, "read-only-root", ""},
		{LabelMutate, "false", ""},
		{LabelEnforce, "High", "high"},
		{LabelEnforce, "CRITICAL", "critical"},
		{LabelEnforce, "PSS-Baseline", "pss-baseline"},
		{LabelEnforce, "none", "off"},
		{LabelEnforce, "", "off"},
		{LabelWarn, "Medium", "medium"},
		{LabelAudit, "Low", "low"},
		{LabelMutate, "True", "true"},
		{LabelMutate, "on", "true"},
		{LabelMutate, "off", "false"},
		{LabelMutate, "readOnlyRoot", "read-only-root"},
		{LabelMutate, "", "false"},
	} {
		p := d.For(map[string]string{c.label: c.value})
		switch {
		case c.want == "" && len(p.Problems) > 0:
			t.Errorf("%s=%q: %v", c.label, c.value, p.Problems)
		case c.want != "" && (len(p.Problems) != 1 || p.Problems[0].Label != c.label ||
			!strings.Contains(p.Problems[0].String(), `write "`+c.want+`"`)):
			t.Errorf("%s=%q: problems %v, want one naming %q", c.label, c.value, p.Problems, c.want)
		case c.want != "" && (!p.Enforce.Off() || !p.Warn.Off() || !p.Audit.Off() || p.Mutate != MutateOff):
			t.Errorf("%s=%q: read anyway as %+v", c.label, c.value, p)
		}
	}

	ctx := context.Background()
	r := reviewer(t, &config.Config{}, StaticNamespaces{"shop": {LabelEnforce: "High"}})
	dec := r.Validate(ctx, request(t, admissionv1.Create, hardenedPod))
	if dec.Response.Allowed || !strings.Contains(dec.Response.Result.Message, `kharden.io/enforce: "High"`) ||
		!strings.Contains(dec.Response.Result.Message, `write "high"`) {
		t.Errorf("enforce High: %+v", dec.Response.Result)
	}
	r = reviewer(t, &config.Config{}, StaticNamespaces{"shop": {LabelWarn: "High"}})
	dec = r.Validate(ctx, request(t, admissionv1.Create, privilegedPod))
	if !dec.Response.Allowed || !strings.Contains(strings.Join(dec.Response.Warnings, "\n"), `kharden.io/warn: "High" is not a value`) {
		t.Errorf("warn High: allowed %v, warnings %q", dec.Response.Allowed, dec.Response.Warnings)
	}

	// A mutate label kharden cannot read is reported by validation too: with the config's
	// mutation off, the mutating webhook's selector never sends it a request.
	r = reviewer(t, &config.Config{}, StaticNamespaces{"shop": {LabelMutate: "True"}})
	dec = r.Validate(ctx, request(t, admissionv1.Create, hardenedPod))
	if !dec.Response.Allowed || !strings.Contains(strings.Join(dec.Response.Warnings, "\n"), `kharden.io/mutate: mutate "True" is not a value`) {
		t.Errorf("mutate True: allowed %v, warnings %q", dec.Response.Allowed, dec.Response.Warnings)
	}

	// The config's mutate decides the chart's mutating selector, so it is read exactly too.
	for _, v := range []string{"on", "True", "yes"} {
		if _, err := NewDefaults(&config.Config{Admission: config.Admission{Mutate: v}}); err == nil {
			t.Errorf("admission.mutate %q accepted", v)
		}
	}
}
