package admission

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/rules/k8s"
	"github.com/kharden/kharden/internal/scan"
)

// hostPod is what a pod author would most like to get past the webhook: privileged, on
// the host's network and PID namespace, with the node's / mounted.
const hostPod = `
apiVersion: v1
kind: Pod
metadata:
  name: root
  namespace: shop
spec:
  hostNetwork: true
  hostPID: true
  containers:
  - name: sh
    image: registry.example.com/sh@sha256:0000000000000000000000000000000000000000000000000000000000000000
    securityContext:
      privileged: true
    volumeMounts:
    - {name: host, mountPath: /host}
  volumes:
  - name: host
    hostPath: {path: /}
`

// withAnnotations adds metadata annotations to a manifest whose metadata has
// "  namespace: shop".
func withAnnotations(src string, ann map[string]string) string {
	var b strings.Builder
	b.WriteString("  namespace: shop\n  annotations:\n")
	for _, k := range slices.Sorted(mapKeys(ann)) {
		b.WriteString("    " + k + ": " + quote(ann[k]) + "\n")
	}
	return strings.Replace(src, "  namespace: shop\n", b.String(), 1)
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

// slugAnnotations are ignore.kharden.io annotations, with a reason, for each rule ID.
func slugAnnotations(t *testing.T, ids []string) map[string]string {
	t.Helper()
	lookup := scan.Lookup(k8s.All())
	out := map[string]string{}
	for _, id := range ids {
		r := lookup(id)
		if r == nil {
			t.Fatalf("no rule %s", id)
		}
		out["ignore.kharden.io/"+r.Slug] = "the author says so"
	}
	return out
}

// TestAnnotationsDoNotExemptAtAdmission: a pod's own ignore.kharden.io annotations, one
// per finding, exempt nothing at admission, and the denial points at the config's
// exceptions rather than at the annotation. kharden scan still honours them.
func TestAnnotationsDoNotExemptAtAdmission(t *testing.T) {
	ctx := context.Background()
	for _, level := range []string{"high", "pss-baseline"} {
		r := reviewer(t, &config.Config{}, StaticNamespaces{"shop": {LabelEnforce: level}})
		bare := r.Validate(ctx, request(t, admissionv1.Create, hostPod))
		if bare.Response.Allowed || len(bare.Hits) < 3 {
			t.Fatalf("%s: the host pod: allowed %v, hits %v", level, bare.Response.Allowed, bare.Hits)
		}
		src := withAnnotations(hostPod, slugAnnotations(t, bare.Hits))
		d := r.Validate(ctx, request(t, admissionv1.Create, src))
		if d.Response.Allowed {
			t.Fatalf("%s: a pod exempting itself by annotations is admitted", level)
		}
		if !slices.Equal(d.Hits, bare.Hits) {
			t.Errorf("%s: hits %v with annotations, %v without", level, d.Hits, bare.Hits)
		}
		msg := d.Response.Result.Message
		if strings.Contains(msg, "suppress a finding with the annotation") || !strings.Contains(msg, "ask the cluster admins for an exception") ||
			!strings.Contains(msg, "admission.exceptions") {
			t.Errorf("%s: the denial does not send the author to the admins:\n%s", level, msg)
		}

		// kharden scan of the same manifest honours the annotations and reports them.
		dir := t.TempDir()
		file := filepath.Join(dir, "pod.yaml")
		if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		l, err := ParseLevel(level, "", "")
		if err != nil {
			t.Fatal(err)
		}
		rep, err := scan.Run(scan.Options{Paths: []string{dir}, Profile: l.Profile, FailOn: l.Threshold.String(), Config: &config.Config{}})
		if err != nil {
			t.Fatal(err)
		}
		var suppressed []string
		for _, res := range rep.Suppressed {
			suppressed = append(suppressed, res.Meta.ID)
		}
		slices.Sort(suppressed)
		suppressed = slices.Compact(suppressed)
		var failing []string
		for _, res := range rep.Results {
			if res.Severity >= l.Threshold {
				failing = append(failing, res.Meta.ID)
			}
		}
		if len(failing) > 0 || !slices.Equal(suppressed, bare.Hits) {
			t.Errorf("%s: scan: failing %v, suppressed %v, want %v", level, failing, suppressed, bare.Hits)
		}
	}

	// A malformed annotation is no input error at admission either: it is not read.
	r := reviewer(t, &config.Config{}, StaticNamespaces{"shop": {LabelEnforce: "high"}})
	src := withAnnotations(hardenedPod, map[string]string{"ignore.kharden.io/privileged": "", "ignore.kharden.io/no-such-rule": "x"})
	src = strings.Replace(src, "name: good", "name: good\n  namespace: shop", 1)
	if d := r.Validate(context.Background(), request(t, admissionv1.Create, src)); !d.Response.Allowed {
		t.Errorf("a hardened pod with unread annotations: %v", d.Response.Result)
	}
}

// TestTrustSuppressionAnnotations: the switch brings the old behaviour back, and the denial
// then names both ways.
func TestTrustSuppressionAnnotations(t *testing.T) {
	ctx := context.Background()
	r := reviewer(t, &config.Config{Admission: config.Admission{TrustSuppressionAnnotations: true}}, StaticNamespaces{"shop": {LabelEnforce: "high"}})
	bare := r.Validate(ctx, request(t, admissionv1.Create, hostPod))
	if bare.Response.Allowed || !strings.Contains(bare.Response.Result.Message, "ignore.kharden.io/<rule slug>") {
		t.Fatalf("host pod: %+v", bare.Response.Result)
	}
	src := withAnnotations(hostPod, slugAnnotations(t, bare.Hits))
	if d := r.Validate(ctx, request(t, admissionv1.Create, src)); !d.Response.Allowed {
		t.Errorf("annotations not trusted with trustSuppressionAnnotations: %v", d.Response.Result)
	}
}

func exceptionConfig(t *testing.T, src string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("kharden.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestConfigExceptions: an exception in the webhook's config admits exactly the objects
// (namespace, name glob, kind) and rules it names, until the end of its expiry day.
func TestConfigExceptions(t *testing.T) {
	cfg := exceptionConfig(t, `
admission:
  exceptions:
  - namespace: shop
    name: root*
    kinds: [Pod]
    rules: [privileged, host-network, host-pid, KM-0001, allow-privilege-escalation, host-path-volumes, runtime-socket-mount]
    reason: the node debugger, approved by the platform team (TICKET-12)
    expires: 2027-03-31
`)
	now := time.Date(2027, 3, 31, 23, 0, 0, 0, time.UTC)
	ns := StaticNamespaces{"shop": {LabelEnforce: "high"}, "other": {LabelEnforce: "high"}}
	r, err := New(Options{Config: cfg, Namespaces: ns, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	bare := reviewer(t, &config.Config{}, ns).Validate(ctx, request(t, admissionv1.Create, hostPod))
	d := r.Validate(ctx, request(t, admissionv1.Create, hostPod))
	if !d.Response.Allowed {
		t.Fatalf("excepted pod denied (without the exception: %v): %v", bare.Hits, d.Response.Result)
	}
	for _, c := range []struct{ name, from, to string }{
		{"another namespace", "namespace: shop", "namespace: other"},
		{"another name", "name: root", "name: web"},
		{"another kind", "kind: Pod\n", "kind: PodTemplate\n"},
		{"a rule the exception does not name", "hostPath: {path: /}", "hostPath: {path: /}\n  securityContext: {sysctls: [{name: kernel.msgmax, value: '1'}]}"},
	} {
		src := strings.Replace(hostPod, c.from, c.to, 1)
		if c.name == "another kind" {
			src = "apiVersion: v1\nkind: PodTemplate\nmetadata:\n  name: root\n  namespace: shop\ntemplate:\n" +
				indent(hostPod[strings.Index(hostPod, "spec:"):], "  ")
		}
		if d := r.Validate(ctx, request(t, admissionv1.Create, src)); d.Response.Allowed {
			t.Errorf("%s: admitted by an exception that does not cover it", c.name)
		}
	}
	// A controller's pod, named by generateName before admission, matches the glob.
	gen := strings.Replace(hostPod, "  name: root\n", "  generateName: root-\n", 1)
	req := request(t, admissionv1.Create, gen)
	if d := r.Validate(ctx, req); !d.Response.Allowed {
		t.Errorf("generated name: %v", d.Response.Result)
	}
	// The day after its expiry, the exception no longer holds, and the message says so.
	now = now.Add(2 * time.Hour)
	d = r.Validate(ctx, request(t, admissionv1.Create, hostPod))
	if d.Response.Allowed || !strings.Contains(d.Response.Result.Message, "exception admission.exceptions[0] expired on 2027-03-31") {
		t.Errorf("expired exception: %+v", d.Response.Result)
	}
}

func indent(s, by string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = by + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}

// TestExceptionsReplaceAnExpiredOne: of two exceptions for a rule, the one that lasts
// longer counts, wherever it is written.
func TestExceptionsReplaceAnExpiredOne(t *testing.T) {
	xs, err := newExceptions(exceptionConfig(t, `
admission:
  exceptions:
  - {namespace: shop, rules: [privileged], reason: old, expires: 2026-01-01}
  - {namespace: "*", name: root, rules: [privileged], reason: renewed, expires: 2027-01-01}
  - {namespace: shop, name: web, rules: [privileged], reason: other object}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := xs.For(objectID("Pod", "shop", "root"))
	if x := got["KM-0004"]; x.Reason != "renewed" || x.Key != "admission.exceptions[1]" || len(got) != 1 {
		t.Errorf("exceptions for shop/root: %+v", got)
	}
	if got := xs.For(objectID("Pod", "shop", "web")); got["KM-0004"].Reason != "other object" {
		t.Errorf("exceptions for shop/web: %+v", got)
	}
}

// TestBadExceptions: every problem of an exception fails the config at its line.
func TestBadExceptions(t *testing.T) {
	cfg := exceptionConfig(t, `admission:
  exceptions:
  - {name: web, rules: [privileged], reason: r}
  - {namespace: shop, rules: [no-such-rule], reason: r}
  - {namespace: shop, rules: [privileged]}
  - {namespace: shop, rules: [privileged], reason: r, expires: next year}
  - {namespace: "shop[", rules: [privileged], reason: r}
  - {namespace: shop, kinds: [daemonset], rules: [privileged], reason: r}
  - {namespace: shop, reason: r}
  - {namespace: shop, name: "web-*", kinds: [DaemonSet, Pod], rules: [privileged, KM-0008], reason: fine, expires: 2027-01-01}
`)
	_, err := New(Options{Config: cfg})
	if err == nil {
		t.Fatal("bad exceptions accepted")
	}
	for _, want := range []string{
		"kharden.yaml:3: admission.exceptions[0]: namespace is required",
		`kharden.yaml:4: admission.exceptions[1]: unknown rule "no-such-rule"`,
		"kharden.yaml:5: admission.exceptions[2]: reason is required",
		`kharden.yaml:6: admission.exceptions[3]: expires "next year" is not a date`,
		`kharden.yaml:7: admission.exceptions[4]: "shop[" is not a glob`,
		`kharden.yaml:8: admission.exceptions[5]: kind "daemonset"`,
		"kharden.yaml:9: admission.exceptions[6]: rules: name at least one rule",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "exceptions[7]") {
		t.Errorf("a good exception reported:\n%v", err)
	}
}

func objectID(kind, namespace, name string) rule.Object {
	return rule.Object{APIVersion: "v1", Kind: kind, Namespace: namespace, Name: name}
}

// A -version label newer than kharden knows is judged at the newest version, as the
// API server judges its own pod-security labels; it neither fails requests nor is
// refused.
func TestFutureVersionLabelJudgedAtLatest(t *testing.T) {
	l, err := ParseLevel("pss-restricted", "v1.99", "")
	if err != nil {
		t.Fatal(err)
	}
	if l.Profile != "pss-restricted:latest" || l.Text != "pss-restricted:v1.99" {
		t.Errorf("level %+v", l)
	}
	if _, _, err := scan.SelectRules(l.Profile, &config.Resolved{}); err != nil {
		t.Errorf("its profile: %v", err)
	}
	if l, _ := ParseLevel("pss-baseline", "v1.25", ""); l.Profile != "pss-baseline:v1.25" {
		t.Errorf("a known version: %+v", l)
	}
}
