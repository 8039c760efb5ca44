package admission

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/kharden/kharden/internal/workload"
)

// PatchOp is one operation of a JSONPatch (RFC 6902). Mutation only adds.
type PatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// Mutate fills in the hardening defaults a namespace opts into (kharden.io/mutate) where
// the object leaves them unset: runAsNonRoot: true, seccompProfile RuntimeDefault (on the
// pod), allowPrivilegeEscalation: false, capabilities.drop [ALL], and with
// "read-only-root" readOnlyRootFilesystem: true. A value the object sets, even a weak one,
// is never changed; validation judges it. Images that the config's image policies verify
// are pinned to the verified digest (a replace of the image). Pods are mutated when
// created, controllers when created or updated, both through their pod spec.
func (r *Reviewer) Mutate(ctx context.Context, req *admissionv1.AdmissionRequest) Decision {
	resp := &admissionv1.AdmissionResponse{UID: req.UID, Allowed: true}
	d := Decision{Response: resp, Outcome: Allowed}
	if req.SubResource != "" || (req.Operation != admissionv1.Create && req.Operation != admissionv1.Update) {
		return d
	}
	pol, err := r.Policy(ctx, req.Namespace)
	if err != nil {
		// Mutation never blocks: validation decides, and fails closed on its own.
		resp.Warnings = append(resp.Warnings, truncate(fmt.Sprintf("kharden: not mutated: cannot tell the policy of namespace %q: %v", req.Namespace, err), maxWarning))
		d.Outcome = Warned
		return d
	}
	for _, p := range pol.Problems {
		if p.Mode == "" {
			resp.Warnings = append(resp.Warnings, "kharden: not mutated: "+p.String())
			d.Outcome = Warned
		}
	}
	if pol.Mutate == MutateOff {
		return d
	}
	obj, err := requestObject(req)
	if err != nil {
		resp.Warnings = append(resp.Warnings, truncate("kharden: not mutated: "+err.Error(), maxWarning))
		d.Outcome = Warned
		return d
	}
	w := workload.From(obj.typed)
	if w == nil {
		return d
	}
	if why := r.overCaps(obj, req.Object.Raw); why != "" { // a patch per container: past the caps, none
		resp.Warnings = append(resp.Warnings, truncate("kharden: not mutated: "+why, maxWarning))
		d.Outcome = Warned
		return d
	}
	if _, isPod := obj.typed.(*corev1.Pod); isPod && req.Operation != admissionv1.Create {
		return d // a pod's security settings cannot change after it is created
	}
	ops := HardeningPatch(w, pol.Mutate)
	// Images the image policies verify are pinned to the digest verified, so that it is
	// what runs even if the tag moves; those that do not verify are left for validation
	// to deny.
	ops = append(ops, imagePatch(r.imageChecks(ctx, req.Namespace, pol, obj))...)
	if len(ops) == 0 {
		return d
	}
	patch, err := json.Marshal(ops)
	if err != nil { // cannot happen: the values are plain
		resp.Warnings = append(resp.Warnings, "kharden: not mutated: "+err.Error())
		d.Outcome = Warned
		return d
	}
	pt := admissionv1.PatchTypeJSONPatch
	resp.Patch, resp.PatchType = patch, &pt
	d.Outcome = Patched
	return d
}

// HardeningPatch returns the JSONPatch that fills in a workload's unset hardening defaults, with
// paths into the object the workload comes from. It is empty when nothing is unset, for
// Windows pods (where these Linux settings are invalid) and when mode is MutateOff.
func HardeningPatch(w *workload.Workload, mode MutateMode) []PatchOp {
	if mode == MutateOff || w == nil || w.Spec == nil || windows(w.Spec) {
		return nil
	}
	spec := pointer(w.SpecPath)
	var ops []PatchOp
	lists := []struct {
		name string
		cs   []corev1.Container
	}{{"initContainers", w.Spec.InitContainers}, {"containers", w.Spec.Containers}}
	for _, l := range lists {
		for i := range l.cs {
			ops = append(ops, containerDefaults(w.Spec, &l.cs[i], spec+"/"+l.name+"/"+strconv.Itoa(i), mode)...)
		}
	}
	for i := range w.Spec.EphemeralContainers {
		c := corev1.Container{Name: w.Spec.EphemeralContainers[i].Name,
			SecurityContext: w.Spec.EphemeralContainers[i].SecurityContext}
		ops = append(ops, containerDefaults(w.Spec, &c, spec+"/ephemeralContainers/"+strconv.Itoa(i), mode)...)
	}
	if len(w.Spec.Containers)+len(w.Spec.InitContainers) == 0 {
		return ops
	}
	// The seccomp profile goes on the pod, where every container inherits it and a
	// container's own profile still wins. Legacy seccomp annotations are ignored since
	// Kubernetes 1.27, so the field is added beside one that asks for the runtime's
	// default; the API server rejects a field that disagrees with an annotation, so one
	// that asks for anything else is left as it is (and validation reports it).
	if seccompAnnotatedOtherThanDefault(w.PodMeta.Annotations) {
		return ops
	}
	runtimeDefault := map[string]any{"type": string(corev1.SeccompProfileTypeRuntimeDefault)}
	switch psc := w.Spec.SecurityContext; {
	case psc == nil:
		ops = append(ops, PatchOp{Op: "add", Path: spec + "/securityContext", Value: map[string]any{"seccompProfile": runtimeDefault}})
	case psc.SeccompProfile == nil:
		ops = append(ops, PatchOp{Op: "add", Path: spec + "/securityContext/seccompProfile", Value: runtimeDefault})
	}
	return ops
}

// containerDefaults fills in one container's unset fields.
func containerDefaults(pod *corev1.PodSpec, c *corev1.Container, path string, mode MutateMode) []PatchOp {
	type field struct {
		name  string
		value any
	}
	var fields []field
	sc := c.SecurityContext
	if sc == nil {
		sc = &corev1.SecurityContext{}
	}
	psc := pod.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	// runAsNonRoot: unless the container or the pod sets it, or names UID 0, which it
	// would contradict.
	uid := sc.RunAsUser
	if uid == nil {
		uid = psc.RunAsUser
	}
	if sc.RunAsNonRoot == nil && psc.RunAsNonRoot == nil && (uid == nil || *uid != 0) {
		fields = append(fields, field{"runAsNonRoot", true})
	}
	// allowPrivilegeEscalation: false is invalid beside privileged or CAP_SYS_ADMIN.
	privileged := sc.Privileged != nil && *sc.Privileged
	if sc.AllowPrivilegeEscalation == nil && !privileged && !addsSysAdmin(sc.Capabilities) {
		fields = append(fields, field{"allowPrivilegeEscalation", false})
	}
	if mode == MutateReadOnlyRoot && sc.ReadOnlyRootFilesystem == nil {
		fields = append(fields, field{"readOnlyRootFilesystem", true})
	}
	dropAll := []string{"ALL"}
	capsPath := ""
	switch {
	case sc.Capabilities == nil:
		fields = append(fields, field{"capabilities", map[string]any{"drop": dropAll}})
	case sc.Capabilities.Drop == nil:
		capsPath = path + "/securityContext/capabilities/drop"
	}
	var ops []PatchOp
	if c.SecurityContext == nil {
		if len(fields) > 0 {
			v := map[string]any{}
			for _, f := range fields {
				v[f.name] = f.value
			}
			ops = append(ops, PatchOp{Op: "add", Path: path + "/securityContext", Value: v})
		}
	} else {
		for _, f := range fields {
			ops = append(ops, PatchOp{Op: "add", Path: path + "/securityContext/" + f.name, Value: f.value})
		}
	}
	if capsPath != "" {
		ops = append(ops, PatchOp{Op: "add", Path: capsPath, Value: dropAll})
	}
	return ops
}

func addsSysAdmin(caps *corev1.Capabilities) bool {
	if caps == nil {
		return false
	}
	for _, c := range caps.Add {
		if n := strings.ToUpper(strings.TrimSpace(string(c))); n == "SYS_ADMIN" || n == "CAP_SYS_ADMIN" {
			return true
		}
	}
	return false
}

// windows tells whether a pod runs Windows containers, where seccomp, capabilities,
// allowPrivilegeEscalation and readOnlyRootFilesystem are invalid.
func windows(spec *corev1.PodSpec) bool {
	if spec.OS != nil && spec.OS.Name == corev1.Windows {
		return true
	}
	if spec.SecurityContext != nil && spec.SecurityContext.WindowsOptions != nil {
		return true
	}
	for _, c := range append(append([]corev1.Container(nil), spec.InitContainers...), spec.Containers...) {
		if c.SecurityContext != nil && c.SecurityContext.WindowsOptions != nil {
			return true
		}
	}
	return false
}

// seccompAnnotatedOtherThanDefault tells whether a legacy seccomp annotation asks for
// something other than the runtime's default profile.
func seccompAnnotatedOtherThanDefault(annotations map[string]string) bool {
	for k, v := range annotations {
		if k == corev1.SeccompPodAnnotationKey || strings.HasPrefix(k, corev1.SeccompContainerAnnotationKeyPrefix) {
			if v != corev1.SeccompProfileRuntimeDefault && v != corev1.DeprecatedSeccompProfileDockerDefault {
				return true
			}
		}
	}
	return false
}

// pointer turns a dotted field path without indices ("spec.template.spec") into a JSON
// pointer ("/spec/template/spec").
func pointer(path string) string { return "/" + strings.ReplaceAll(path, ".", "/") }
