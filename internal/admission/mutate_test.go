package admission

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/engine"
	"github.com/kharden/kharden/internal/pss"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/rules/k8s"
	"github.com/kharden/kharden/internal/testkit"
	"github.com/kharden/kharden/internal/workload"
)

func workloadOf(o *object) *workload.Workload { return workload.From(o.typed) }

// targeted are the rules the hardening defaults are for, with the read-only root rule
// when that mode is on.
func targeted(mode MutateMode) []*k8s.Rule {
	rs := []*k8s.Rule{k8s.RunAsNonRoot, k8s.AllowPrivilegeEscalation, k8s.CapabilitiesDropAll, k8s.SeccompProfile,
		k8s.PSSRunAsNonRoot, k8s.PSSAllowPrivilegeEscalation, k8s.PSSCapabilitiesRestricted, k8s.PSSSeccompProfileRestricted}
	if mode == MutateReadOnlyRoot {
		rs = append(rs, k8s.ReadOnlyRootFilesystem)
	}
	return rs
}

// targetedFindings runs the targeted rules (the pss-* ones at restricted:latest) on an
// object given as JSON.
func targetedFindings(t *testing.T, mode MutateMode, raw []byte) []rule.Result {
	t.Helper()
	lv, _ := pss.Parse("restricted")
	e := engine.New(engine.Options{Rules: targeted(mode), Settings: k8s.Settings{PSS: lv}})
	req, err := requestFor(raw)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := decodeObject(req.Object.Raw, req.Kind, req.Namespace, req.Name)
	if err != nil {
		t.Fatal(err)
	}
	rep := &report.Report{}
	e.ScanObject("mutated", obj.id, obj.typed, rep)
	if len(rep.Errors) > 0 {
		t.Fatalf("scan errors: %v", rep.Errors)
	}
	return rep.Results
}

// applyPatch applies a JSONPatch that may only add object members whose parent exists,
// which is all mutation writes; anything else fails the test.
func applyPatch(t *testing.T, raw, patch []byte) []byte {
	t.Helper()
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var ops []PatchOp
	if err := json.Unmarshal(patch, &ops); err != nil {
		t.Fatalf("patch is not a JSONPatch: %v\n%s", err, patch)
	}
	for _, op := range ops {
		if op.Op != "add" {
			t.Fatalf("op %q: mutation only adds", op.Op)
		}
		parts := strings.Split(strings.TrimPrefix(op.Path, "/"), "/")
		cur := doc
		for _, p := range parts[:len(parts)-1] {
			switch c := cur.(type) {
			case map[string]any:
				cur = c[p]
			case []any:
				i, err := strconv.Atoi(p)
				if err != nil || i < 0 || i >= len(c) {
					t.Fatalf("path %s: bad index %q", op.Path, p)
				}
				cur = c[i]
			default:
				t.Fatalf("path %s: parent %q does not exist", op.Path, p)
			}
		}
		parent, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("path %s: parent is not an object", op.Path)
		}
		last := parts[len(parts)-1]
		if v, exists := parent[last]; exists && v != nil {
			t.Fatalf("path %s: overrides the explicit value %v", op.Path, v)
		}
		parent[last] = op.Value
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mutated(t *testing.T, r *Reviewer, req *admissionv1.AdmissionRequest) ([]byte, Decision) {
	t.Helper()
	d := r.Mutate(context.Background(), req)
	if !d.Response.Allowed {
		t.Fatalf("mutation denied: %+v", d.Response)
	}
	if d.Response.Patch == nil {
		return req.Object.Raw, d
	}
	if d.Response.PatchType == nil || *d.Response.PatchType != admissionv1.PatchTypeJSONPatch {
		t.Fatalf("patch type %v", d.Response.PatchType)
	}
	return applyPatch(t, req.Object.Raw, d.Response.Patch), d
}

const barePod = `apiVersion: v1
kind: Pod
metadata:
  name: bare
  namespace: shop
spec:
  initContainers:
  - name: init
    image: busybox
  containers:
  - name: web
    image: nginx
  - name: sidecar
    image: envoy
    securityContext:
      runAsUser: 1000
`

// TestMutatedObjectPassesTargetedRules: a pod that sets nothing, as a Pod and as every
// controller kind, passes every rule the defaults target once mutated, in both modes, and
// then passes the restricted level.
func TestMutatedObjectPassesTargetedRules(t *testing.T) {
	for _, mode := range []MutateMode{MutateDefaults, MutateReadOnlyRoot} {
		r := reviewer(t, &config.Config{}, StaticNamespaces{"shop": {LabelMutate: mode.String(), LabelEnforce: "pss-restricted"}})
		variants := map[string][]byte{"Pod": []byte(barePod)}
		for kind := range testkit.Controllers {
			out, _, ok := testkit.WrapPod([]byte(barePod), kind)
			if !ok {
				t.Fatalf("cannot wrap as %s", kind)
			}
			variants[kind] = out
		}
		for kind, src := range variants {
			req, err := requestFor(src)
			if err != nil {
				t.Fatal(err)
			}
			if before := targetedFindings(t, mode, req.Object.Raw); len(before) == 0 {
				t.Fatalf("%s: the bare pod has no finding to fix", kind)
			}
			out, d := mutated(t, r, req)
			if d.Outcome != Patched {
				t.Errorf("%s: outcome %s", kind, d.Outcome)
			}
			for _, res := range targetedFindings(t, mode, out) {
				t.Errorf("%s (mutate %s): mutated object still fails %s at %s: %s", kind, mode, res.Meta.ID, res.Location.FieldPath, res.Message)
			}
			again := request(t, admissionv1.Create, string(out))
			if v := r.Validate(context.Background(), again); !v.Response.Allowed {
				t.Errorf("%s: mutated object denied at pss-restricted: %s", kind, v.Response.Result.Message)
			}
			// Mutating again changes nothing.
			if d := r.Mutate(context.Background(), again); d.Response.Patch != nil {
				t.Errorf("%s: second mutation patches %s", kind, d.Response.Patch)
			}
		}
	}
}

// TestMutationNeverOverridesAndNeverWorsens: over every Pod rule fixture as a Pod and as
// every controller kind, the patch only adds members that were absent (applyPatch fails
// otherwise), mutation makes no targeted rule fail that passed before, and a container that sets
// nothing itself (no securityContext, in a pod without one) passes them all.
func TestMutationNeverOverridesAndNeverWorsens(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "rules", "k8s", "testdata", "*", "*", "*.yaml"))
	r := reviewer(t, &config.Config{Admission: config.Admission{Mutate: "read-only-root"}}, nil)
	n := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		variants := map[string][]byte{}
		for _, kind := range append([]string{""}, sortedControllers()...) {
			if kind == "" {
				if wrappedOK(string(src)) && !docSep.Match(src[1:]) {
					variants["Pod"] = src
				}
				continue
			}
			if out, _, ok := testkit.WrapPod(src, kind); ok {
				variants[kind] = out
			}
		}
		for kind, v := range variants {
			name := fmt.Sprintf("%s as %s", f, kind)
			req, err := requestFor(v)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			before := map[string]bool{}
			for _, res := range targetedFindings(t, MutateReadOnlyRoot, req.Object.Raw) {
				before[res.Meta.ID] = true
			}
			out, _ := mutated(t, r, req)
			after := targetedFindings(t, MutateReadOnlyRoot, out)
			bare := bareContainers(t, req)
			for _, res := range after {
				key := res.Meta.ID + " " + res.Location.FieldPath
				if !before[res.Meta.ID] {
					t.Errorf("%s: mutation introduced %s: %s", name, key, res.Message)
				}
				for _, c := range bare {
					if strings.HasPrefix(res.Location.FieldPath, c+".") {
						t.Errorf("%s: container %s sets nothing, yet still fails %s: %s", name, c, key, res.Message)
					}
				}
			}
			n++
		}
	}
	if n < 100 {
		t.Errorf("only %d fixtures mutated", n)
	}
}

// bareContainers returns the field paths of the containers that set no securityContext
// in a Linux pod without one and without seccomp annotations: those the defaults must
// fix entirely.
func bareContainers(t *testing.T, req *admissionv1.AdmissionRequest) []string {
	obj, err := decodeObject(req.Object.Raw, req.Kind, req.Namespace, req.Name)
	if err != nil {
		t.Fatal(err)
	}
	w := workloadOf(obj)
	if w == nil || w.Spec.SecurityContext != nil || windows(w.Spec) || seccompAnnotatedOtherThanDefault(w.PodMeta.Annotations) {
		return nil
	}
	var out []string
	for _, c := range w.Containers() {
		if c.SecurityContext == nil && c.Type != "ephemeralContainers" {
			out = append(out, c.Path)
		}
	}
	return out
}

func TestMutationCases(t *testing.T) {
	r := reviewer(t, &config.Config{}, StaticNamespaces{"shop": {LabelMutate: "true"}, "ro": {LabelMutate: "read-only-root"}, "plain": {}})
	cases := []struct {
		name, ns, spec string
		want           []PatchOp
	}{
		{"explicit values are kept; only unset ones are added", "shop", `
  securityContext: {seccompProfile: {type: Unconfined}, runAsNonRoot: false}
  containers:
  - name: a
    image: x
    securityContext:
      allowPrivilegeEscalation: true
      capabilities: {add: [NET_ADMIN]}`,
			[]PatchOp{{"add", "/spec/containers/0/securityContext/capabilities/drop", []any{"ALL"}}}},
		{"privileged: no allowPrivilegeEscalation, which the API server would reject", "shop", `
  containers:
  - name: a
    image: x
    securityContext: {privileged: true}`,
			[]PatchOp{{"add", "/spec/containers/0/securityContext/runAsNonRoot", true},
				{"add", "/spec/containers/0/securityContext/capabilities", map[string]any{"drop": []any{"ALL"}}},
				{"add", "/spec/securityContext", map[string]any{"seccompProfile": map[string]any{"type": "RuntimeDefault"}}}}},
		{"CAP_SYS_ADMIN: no allowPrivilegeEscalation either", "shop", `
  securityContext: {}
  containers:
  - name: a
    image: x
    securityContext: {capabilities: {add: [SYS_ADMIN], drop: [NET_RAW]}, runAsUser: 0}`,
			[]PatchOp{{"add", "/spec/securityContext/seccompProfile", map[string]any{"type": "RuntimeDefault"}}}},
		{"runAsUser 0 on the pod: no runAsNonRoot", "shop", `
  securityContext: {runAsUser: 0, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: a
    image: x`,
			[]PatchOp{{"add", "/spec/containers/0/securityContext", map[string]any{"allowPrivilegeEscalation": false, "capabilities": map[string]any{"drop": []any{"ALL"}}}}}},
		{"read-only-root mode", "ro", `
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: a
    image: x
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}`,
			[]PatchOp{{"add", "/spec/containers/0/securityContext/readOnlyRootFilesystem", true}}},
		{"Windows pods are left alone", "shop", `
  os: {name: windows}
  containers:
  - name: a
    image: x`, nil},
		{"a seccomp annotation for the runtime's default gets the field, which Kubernetes reads", "shop", `
  securityContext: {runAsNonRoot: true}
  containers:
  - name: a
    image: x
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}`,
			[]PatchOp{{"add", "/spec/securityContext/seccompProfile", map[string]any{"type": "RuntimeDefault"}}}},
		{"a seccomp annotation for another profile is left to validation", "shop", `
  securityContext: {runAsNonRoot: true}
  containers:
  - name: a
    image: x
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}`, nil},
		{"namespaces that do not opt in are not mutated", "plain", `
  containers:
  - name: a
    image: x`, nil},
	}
	for _, c := range cases {
		annotations := ""
		if strings.HasPrefix(c.name, "a seccomp annotation for the runtime's default") {
			annotations = "\n  annotations: {seccomp.security.alpha.kubernetes.io/pod: runtime/default}"
		} else if strings.HasPrefix(c.name, "a seccomp annotation") {
			annotations = "\n  annotations: {container.seccomp.security.alpha.kubernetes.io/a: unconfined}"
		}
		src := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: " + c.ns + annotations + "\nspec:" + c.spec + "\n"
		d := r.Mutate(context.Background(), request(t, admissionv1.Create, src))
		var got []PatchOp
		if d.Response.Patch != nil {
			if err := json.Unmarshal(d.Response.Patch, &got); err != nil {
				t.Fatal(err)
			}
		}
		if !reflect.DeepEqual(got, c.want) {
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(c.want)
			t.Errorf("%s:\n got %s\nwant %s", c.name, g, w)
		}
	}
}

func TestMutationOperations(t *testing.T) {
	r := reviewer(t, &config.Config{Admission: config.Admission{Mutate: "true"}}, StaticNamespaces{"off": {LabelMutate: "false"}, "bad": {LabelMutate: "yes please"}})
	ctx := context.Background()
	pod := request(t, admissionv1.Create, barePod)
	if d := r.Mutate(ctx, pod); d.Response.Patch == nil {
		t.Error("config default mutate=true: pod not mutated")
	}
	upd := request(t, admissionv1.Update, barePod)
	if d := r.Mutate(ctx, upd); d.Response.Patch != nil {
		t.Error("pod update mutated: a pod's security settings are immutable")
	}
	dep, _, _ := testkit.WrapPod([]byte(barePod), "Deployment")
	updDep := request(t, admissionv1.Update, string(dep))
	if d := r.Mutate(ctx, updDep); d.Response.Patch == nil || !strings.Contains(string(d.Response.Patch), "/spec/template/spec/containers/0/securityContext") {
		t.Errorf("deployment update not mutated in its template: %s", d.Response.Patch)
	}
	cj, _, _ := testkit.WrapPod([]byte(barePod), "CronJob")
	if d := r.Mutate(ctx, request(t, admissionv1.Create, string(cj))); !strings.Contains(string(d.Response.Patch), "/spec/jobTemplate/spec/template/spec/initContainers/0/securityContext") {
		t.Errorf("cronjob patch paths: %s", d.Response.Patch)
	}
	off := request(t, admissionv1.Create, strings.Replace(barePod, "namespace: shop", "namespace: off", 1))
	if d := r.Mutate(ctx, off); d.Response.Patch != nil {
		t.Error("label mutate=false did not turn the default off")
	}
	bad := request(t, admissionv1.Create, strings.Replace(barePod, "namespace: shop", "namespace: bad", 1))
	if d := r.Mutate(ctx, bad); !d.Response.Allowed || len(d.Response.Warnings) == 0 {
		t.Errorf("bad mutate label: %+v", d.Response)
	}
	del := request(t, admissionv1.Delete, barePod)
	if d := r.Mutate(ctx, del); d.Response.Patch != nil || !d.Response.Allowed {
		t.Error("delete mutated")
	}
	cm := request(t, admissionv1.Create, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop}\ndata: {a: b}\n")
	if d := r.Mutate(ctx, cm); d.Response.Patch != nil || !d.Response.Allowed {
		t.Error("configmap mutated")
	}
}
