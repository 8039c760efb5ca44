package admission

import (
	"context"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/rules/k8s"
)

// request builds the admission request the API server sends for creating the object
// written in YAML.
func request(t testing.TB, op admissionv1.Operation, src string) *admissionv1.AdmissionRequest {
	t.Helper()
	raw, err := yaml.YAMLToJSON([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var head struct {
		metav1.TypeMeta
		Metadata metav1.ObjectMeta `json:"metadata"`
	}
	if err := yaml.Unmarshal(raw, &head); err != nil {
		t.Fatal(err)
	}
	gv, err := parseGV(head.APIVersion)
	if err != nil {
		t.Fatal(err)
	}
	return &admissionv1.AdmissionRequest{
		UID:       types.UID("uid-" + head.Metadata.Name),
		Kind:      metav1.GroupVersionKind{Group: gv[0], Version: gv[1], Kind: head.Kind},
		Resource:  metav1.GroupVersionResource{Group: gv[0], Version: gv[1], Resource: strings.ToLower(head.Kind) + "s"},
		Namespace: head.Metadata.Namespace,
		Name:      head.Metadata.Name,
		Operation: op,
		Object:    runtime.RawExtension{Raw: raw},
	}
}

func parseGV(apiVersion string) ([2]string, error) {
	if g, v, ok := strings.Cut(apiVersion, "/"); ok {
		return [2]string{g, v}, nil
	}
	return [2]string{"", apiVersion}, nil
}

func reviewer(t testing.TB, cfg *config.Config, ns StaticNamespaces) *Reviewer {
	t.Helper()
	r, err := New(Options{Config: cfg, Namespaces: ns})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const privilegedPod = `
apiVersion: v1
kind: Pod
metadata:
  name: bad
  namespace: shop
spec:
  containers:
  - name: web
    image: registry.example.com/web@sha256:0000000000000000000000000000000000000000000000000000000000000000
    securityContext:
      privileged: true
`

// hardenedPod passes every default rule and the restricted level.
const hardenedPod = `
apiVersion: v1
kind: Pod
metadata:
  name: good
  namespace: shop
spec:
  automountServiceAccountToken: false
  serviceAccountName: web
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
    runAsGroup: 10001
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: web
    image: registry.example.com/web@sha256:0000000000000000000000000000000000000000000000000000000000000000
    imagePullPolicy: Always
    resources:
      requests: {cpu: 100m, memory: 64Mi}
      limits: {cpu: 500m, memory: 128Mi}
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL]}
`

const violatingDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
    spec:
      hostNetwork: true
      containers:
      - name: web
        image: nginx:latest
`

func TestHardenedPodPassesEveryLevel(t *testing.T) {
	for _, level := range []string{"info", "pss-restricted", "pss-baseline:v1.30"} {
		r := reviewer(t, &config.Config{}, StaticNamespaces{"shop": {LabelEnforce: strings.Split(level, ":")[0]}})
		d := r.Validate(context.Background(), request(t, admissionv1.Create, hardenedPod))
		if !d.Response.Allowed || len(d.Response.Warnings) > 0 || len(d.Hits) > 0 {
			t.Errorf("%s: hardened pod: allowed %v, warnings %q, hits %v, result %+v", level, d.Response.Allowed,
				d.Response.Warnings, d.Hits, d.Response.Result)
		}
	}
}

func TestEnforceDeniesWithRuleIDsTitlesAndFields(t *testing.T) {
	r := reviewer(t, &config.Config{}, StaticNamespaces{"shop": {LabelEnforce: "high"}})
	req := request(t, admissionv1.Create, privilegedPod)
	d := r.Validate(context.Background(), req)
	resp := d.Response
	if resp.Allowed || d.Outcome != Denied {
		t.Fatalf("privileged pod admitted: %+v", d)
	}
	if resp.UID != req.UID {
		t.Errorf("UID %q, want %q", resp.UID, req.UID)
	}
	msg := resp.Result.Message
	t.Log(msg)
	for _, want := range []string{
		"Pod shop/bad violates enforce level high",
		"KM-0004",
		"spec.containers[0].securityContext.privileged",
		`container "web"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("denial message lacks %q:\n%s", want, msg)
		}
	}
	if !strings.Contains(msg, k8s.Privileged.Title) {
		t.Errorf("denial message lacks the rule's title %q:\n%s", k8s.Privileged.Title, msg)
	}
	if resp.Result.Code != 403 {
		t.Errorf("code %d, want 403", resp.Result.Code)
	}
	// Findings below the threshold do not appear.
	if strings.Contains(msg, "KM-0020") {
		t.Errorf("low finding listed at level high:\n%s", msg)
	}
}

func TestControllersJudgedByTemplate(t *testing.T) {
	r := reviewer(t, &config.Config{}, StaticNamespaces{"shop": {LabelEnforce: "pss-baseline"}})
	d := r.Validate(context.Background(), request(t, admissionv1.Create, violatingDeployment))
	if d.Response.Allowed {
		t.Fatal("deployment with hostNetwork admitted at pss-baseline")
	}
	if !strings.Contains(d.Response.Result.Message, "spec.template.spec.hostNetwork") {
		t.Errorf("message does not point into the template:\n%s", d.Response.Result.Message)
	}
	if strings.Join(d.Hits, ",") != "KM-0105" {
		t.Errorf("hits %v, want [KM-0105]", d.Hits)
	}
}

func TestWarnAndAudit(t *testing.T) {
	r := reviewer(t, &config.Config{}, StaticNamespaces{"shop": {LabelWarn: "pss-restricted", LabelAudit: "medium"}})
	d := r.Validate(context.Background(), request(t, admissionv1.Create, violatingDeployment))
	resp := d.Response
	if !resp.Allowed || d.Outcome != Warned {
		t.Fatalf("warn and audit must admit: %+v", d)
	}
	var hostNet bool
	for _, w := range resp.Warnings {
		if len(w) > maxWarning {
			t.Errorf("warning longer than %d: %q", maxWarning, w)
		}
		if strings.HasPrefix(w, "kharden (warn pss-restricted): KM-0105 [high] spec.template.spec.hostNetwork") {
			hostNet = true
		}
	}
	if !hostNet {
		t.Errorf("no hostNetwork warning in %q", resp.Warnings)
	}
	a := resp.AuditAnnotations
	if a[AnnotationAuditLevel] != "medium" || !strings.Contains(a[AnnotationAuditViolations], "KM-0008") ||
		!strings.Contains(a[AnnotationAuditFindings], "KM-0008 spec.template.spec.hostNetwork") {
		t.Errorf("audit annotations %v", a)
	}
}

func TestDefaultsFromConfigAndLabelsOverride(t *testing.T) {
	cfg := &config.Config{Admission: config.Admission{Enforce: "critical", Warn: "low"}}
	r := reviewer(t, cfg, StaticNamespaces{"shop": {LabelEnforce: "off"}})
	// No labels: the config's enforce level denies the privileged pod (critical).
	req := request(t, admissionv1.Create, privilegedPod)
	req.Namespace = "other"
	if d := r.Validate(context.Background(), req); d.Response.Allowed {
		t.Error("config default enforce=critical admitted a privileged pod")
	}
	// The namespace turns enforcement off but keeps the default warn level.
	d := r.Validate(context.Background(), request(t, admissionv1.Create, privilegedPod))
	if !d.Response.Allowed || len(d.Response.Warnings) == 0 {
		t.Errorf("enforce=off label: %+v", d.Response)
	}
}

func TestBadEnforceLabelFailsClosed(t *testing.T) {
	r := reviewer(t, &config.Config{}, StaticNamespaces{"shop": {LabelEnforce: "strictest", LabelWarn: "pss-whatever"}})
	d := r.Validate(context.Background(), request(t, admissionv1.Create, hardenedPod))
	if d.Response.Allowed || d.Outcome != Errored || !strings.Contains(d.Response.Result.Message, "kharden.io/enforce") {
		t.Errorf("bad enforce label: %+v %+v", d, d.Response.Result)
	}
	r = reviewer(t, &config.Config{}, StaticNamespaces{"shop": {LabelWarn: "pss-whatever"}})
	d = r.Validate(context.Background(), request(t, admissionv1.Create, hardenedPod))
	if !d.Response.Allowed || len(d.Response.Warnings) != 1 || !strings.Contains(d.Response.Warnings[0], "kharden.io/warn") {
		t.Errorf("bad warn label: %+v", d.Response)
	}
}

func TestNotJudged(t *testing.T) {
	r := reviewer(t, &config.Config{}, StaticNamespaces{"shop": {LabelEnforce: "info"}})
	for name, mod := range map[string]func(*admissionv1.AdmissionRequest){
		"delete": func(r *admissionv1.AdmissionRequest) {
			r.Operation = admissionv1.Delete
			r.OldObject = r.Object
			r.Object.Raw = nil
		},
		"connect": func(r *admissionv1.AdmissionRequest) { r.Operation = admissionv1.Connect },
		"status":  func(r *admissionv1.AdmissionRequest) { r.SubResource = "status" },
	} {
		req := request(t, admissionv1.Create, privilegedPod)
		mod(req)
		if d := r.Validate(context.Background(), req); !d.Response.Allowed {
			t.Errorf("%s: denied: %v", name, d.Response.Result)
		}
	}
}

func TestUpdates(t *testing.T) {
	r := reviewer(t, &config.Config{}, StaticNamespaces{"shop": {LabelEnforce: "high"}})
	ctx := context.Background()
	// An update that leaves the template alone (a finalizer, a controller's annotation)
	// of an object admitted before the policy was tightened goes through.
	old := request(t, admissionv1.Create, violatingDeployment)
	upd := request(t, admissionv1.Update, strings.Replace(violatingDeployment, "  name: web\n", "  name: web\n  finalizers: [example.com/x]\n  annotations: {deployment.kubernetes.io/revision: \"2\"}\n", 1))
	upd.OldObject = old.Object
	if d := r.Validate(ctx, upd); !d.Response.Allowed {
		t.Errorf("metadata-only update denied: %v", d.Response.Result)
	}
	// A change to the template is judged.
	upd = request(t, admissionv1.Update, strings.Replace(violatingDeployment, "nginx:latest", "nginx:1.27", 1))
	upd.OldObject = old.Object
	if d := r.Validate(ctx, upd); d.Response.Allowed {
		t.Error("template update of a violating deployment admitted")
	}
}

func TestOtherKinds(t *testing.T) {
	r := reviewer(t, &config.Config{}, StaticNamespaces{"shop": {LabelEnforce: "info"}})
	ctx := context.Background()
	// A kind kharden does not type is judged on its metadata and, here, admitted.
	cr := request(t, admissionv1.Create, "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: shop}\nspec: {size: 3}\n")
	if d := r.Validate(ctx, cr); !d.Response.Allowed || len(d.Response.Warnings) > 0 {
		t.Errorf("custom resource: %+v", d.Response)
	}
	// RBAC is judged as the scan judges it.
	role := request(t, admissionv1.Create, "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: all, namespace: shop}\nrules:\n- apiGroups: ['*']\n  resources: ['*']\n  verbs: ['*']\n")
	if d := r.Validate(ctx, role); d.Response.Allowed {
		t.Error("wildcard role admitted at level info")
	}
}

// TestSuppressionsApply: with admission.trustSuppressionAnnotations (off by default,
// exception_test.go), annotations suppress at admission as in a scan.
func TestSuppressionsApply(t *testing.T) {
	r := reviewer(t, &config.Config{Admission: config.Admission{TrustSuppressionAnnotations: true}}, StaticNamespaces{"shop": {LabelEnforce: "pss-baseline"}})
	ctx := context.Background()
	src := strings.Replace(violatingDeployment, "  namespace: shop\n",
		"  namespace: shop\n  annotations: {ignore.kharden.io/pss-host-namespaces: \"CNI agent needs the host network\"}\n", 1)
	if d := r.Validate(ctx, request(t, admissionv1.Create, src)); !d.Response.Allowed {
		t.Errorf("suppressed finding denied: %v", d.Response.Result)
	}
	// A suppression without a reason is an input error, which fails the request as it
	// fails a scan.
	src = strings.Replace(violatingDeployment, "  namespace: shop\n",
		"  namespace: shop\n  annotations: {ignore.kharden.io/pss-host-namespaces: \"\"}\n", 1)
	d := r.Validate(ctx, request(t, admissionv1.Create, src))
	if d.Response.Allowed || !strings.Contains(d.Response.Result.Message, "a reason is required") {
		t.Errorf("suppression without a reason: %+v", d.Response.Result)
	}
}

func TestSuppressionExpiresInALongRunningReviewer(t *testing.T) {
	now := time.Date(2027, 3, 31, 12, 0, 0, 0, time.UTC)
	r, err := New(Options{Config: &config.Config{Admission: config.Admission{TrustSuppressionAnnotations: true}},
		Namespaces: StaticNamespaces{"shop": {LabelEnforce: "pss-baseline"}}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(violatingDeployment, "  namespace: shop\n",
		"  namespace: shop\n  annotations: {ignore.kharden.io/pss-host-namespaces: \"until the migration; expires=2027-03-31\"}\n", 1)
	ctx := context.Background()
	if d := r.Validate(ctx, request(t, admissionv1.Create, src)); !d.Response.Allowed {
		t.Fatalf("suppression on its last day: %v", d.Response.Result)
	}
	now = now.Add(24 * time.Hour)
	if d := r.Validate(ctx, request(t, admissionv1.Create, src)); d.Response.Allowed {
		t.Error("suppression still applies the day after it expired")
	}
}

func TestUndecodableObject(t *testing.T) {
	r := reviewer(t, &config.Config{}, StaticNamespaces{"shop": {LabelEnforce: "high"}})
	req := request(t, admissionv1.Create, privilegedPod)
	req.Object.Raw = []byte(`{"apiVersion":"v1","kind":"Pod","spec":{"containers":"not a list"}}`)
	d := r.Validate(context.Background(), req)
	if d.Response.Allowed || d.Response.Result.Code != 400 || d.Outcome != Errored {
		t.Errorf("undecodable pod: %+v", d.Response)
	}
	r = reviewer(t, &config.Config{}, StaticNamespaces{"shop": {LabelWarn: "high"}})
	d = r.Validate(context.Background(), req)
	if !d.Response.Allowed || len(d.Response.Warnings) != 1 {
		t.Errorf("undecodable pod in warn mode: %+v", d.Response)
	}
}

func TestNamespaceLookupErrorFailsClosed(t *testing.T) {
	r, err := New(Options{Namespaces: failingNamespaces{}})
	if err != nil {
		t.Fatal(err)
	}
	d := r.Validate(context.Background(), request(t, admissionv1.Create, hardenedPod))
	if d.Response.Allowed || d.Response.Result.Code != 500 {
		t.Errorf("namespace lookup error: %+v", d.Response)
	}
	if d := r.Mutate(context.Background(), request(t, admissionv1.Create, hardenedPod)); !d.Response.Allowed {
		t.Errorf("mutation must not block: %+v", d.Response)
	}
}

type failingNamespaces struct{}

func (failingNamespaces) Labels(context.Context, string) (map[string]string, bool, error) {
	return nil, false, context.DeadlineExceeded
}

func TestBadConfig(t *testing.T) {
	for _, cfg := range []*config.Config{
		{Admission: config.Admission{Enforce: "strict"}},
		{Admission: config.Admission{Warn: "pss-restricted:v9"}},
		{Admission: config.Admission{Mutate: "maybe"}},
		{Profile: "nonsense"},
		{Rules: config.Rules{Enable: []string{"no-such-rule"}}},
	} {
		if _, err := New(Options{Config: cfg}); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
}
