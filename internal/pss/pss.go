// Package pss evaluates the Pod Security Standards with Kubernetes' own
// pod-security-admission library, and says which check each violation comes from.
package pss

import (
	"fmt"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// LevelVersion is a Pod Security level at a policy version; the zero value means none.
type LevelVersion = api.LevelVersion

// Parse reads "baseline", "restricted", "privileged", optionally with ":v1.N" or ":latest".
func Parse(s string) (LevelVersion, error) {
	level, version, _ := strings.Cut(s, ":")
	l, err := api.ParseLevel(level)
	if err != nil {
		return LevelVersion{}, fmt.Errorf("pod security level %q: want baseline, restricted or privileged", level)
	}
	v := api.LatestVersion()
	if version != "" {
		if v, err = api.ParseVersion(version); err != nil {
			return LevelVersion{}, fmt.Errorf("pod security version %q: want v1.N or latest", version)
		}
	}
	return LevelVersion{Level: l, Version: v}, nil
}

// Latest is the newest Pod Security Standards version kharden knows: that of the
// Kubernetes release its pod-security-admission library comes from (v0.37.x is 1.37),
// or, when the build does not say, the newest version at which a check changed.
var Latest = sync.OnceValue(func() api.Version {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			var minor int
			if d.Path == "k8s.io/pod-security-admission" {
				if _, err := fmt.Sscanf(d.Version, "v0.%d.", &minor); err == nil && minor > 0 {
					return api.MajorMinorVersion(1, minor)
				}
			}
		}
	}
	newest := api.MajorMinorVersion(1, 0)
	for _, c := range policy.DefaultChecks() {
		for _, v := range c.Versions {
			if newest.Older(v.MinimumVersion) {
				newest = v.MinimumVersion
			}
		}
	}
	return newest
})

// Violation is one failed check.
type Violation struct {
	Check  string // the PSA check ID, such as "hostNamespaces"
	Reason string
	Detail string
}

// sep joins the check ID to the reason inside the library's CheckResult, which has no ID
// field; a NUL cannot occur in the library's reasons.
const sep = "\x00"

// Checks lists every PSA check ID with the level it is defined at.
var Checks = func() map[string]api.Level {
	m := map[string]api.Level{}
	for _, c := range policy.DefaultChecks() {
		m[string(c.ID)] = c.Level
	}
	return m
}()

var evaluator = func() policy.Evaluator {
	checks := policy.DefaultChecks()
	tagged := make([]policy.Check, len(checks))
	for i, c := range checks {
		c.Versions = append([]policy.VersionedCheck(nil), c.Versions...)
		for j := range c.Versions {
			fn, id := c.Versions[j].CheckPod, string(c.ID)
			c.Versions[j].CheckPod = func(m *metav1.ObjectMeta, s *corev1.PodSpec) policy.CheckResult {
				r := fn(m, s)
				if !r.Allowed {
					r.ForbiddenReason = id + sep + r.ForbiddenReason
				}
				return r
			}
		}
		tagged[i] = c
	}
	e, err := policy.NewEvaluator(tagged, nil)
	if err != nil {
		panic(fmt.Sprintf("pod-security-admission checks: %v", err))
	}
	return e
}()

// Evaluate returns the violations of a pod at a level and version.
func Evaluate(lv LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) []Violation {
	if meta == nil {
		meta = &metav1.ObjectMeta{} // the library reads annotations without a nil check
	}
	var out []Violation
	for _, r := range evaluator.EvaluatePod(lv, meta, spec) {
		if r.Allowed {
			continue
		}
		id, reason, _ := strings.Cut(r.ForbiddenReason, sep)
		out = append(out, Violation{Check: id, Reason: reason, Detail: r.ForbiddenDetail})
	}
	return out
}

// checksByID holds the library's checks by ID, for evaluating one check alone.
var checksByID = func() map[string]policy.Check {
	m := map[string]policy.Check{}
	for _, c := range policy.DefaultChecks() {
		m[string(c.ID)] = c
	}
	return m
}()

// EvaluateCheck evaluates one check alone on a pod at a policy version, ignoring levels and
// overrides: it answers "does this pod fail this check?", which locators use to learn which
// container or field of a pod a violation comes from. ok is false when the pod passes, the
// check is unknown or the check does not exist yet at that version.
func EvaluateCheck(lv LevelVersion, check string, meta *metav1.ObjectMeta, spec *corev1.PodSpec) (v Violation, ok bool) {
	c, found := checksByID[check]
	if !found {
		return Violation{}, false
	}
	var fn policy.CheckPodFn
	for _, vc := range c.Versions { // sorted by MinimumVersion, as NewEvaluator requires
		if lv.Version.Older(vc.MinimumVersion) {
			break
		}
		fn = vc.CheckPod
	}
	if fn == nil {
		return Violation{}, false
	}
	if meta == nil {
		meta = &metav1.ObjectMeta{}
	}
	r := fn(meta, spec)
	if r.Allowed {
		return Violation{}, false
	}
	return Violation{Check: check, Reason: r.ForbiddenReason, Detail: r.ForbiddenDetail}, true
}

// WithDefaults returns the pod spec as the API server would store it, as far as the checks
// can tell: admission judges pods after defaulting, and a volume without a source is
// defaulted to an emptyDir. spec itself is not modified.
func WithDefaults(spec *corev1.PodSpec) *corev1.PodSpec {
	var out *corev1.PodSpec
	for i := range spec.Volumes {
		if hasSource(&spec.Volumes[i].VolumeSource) {
			continue
		}
		if out == nil {
			c := *spec
			c.Volumes = append([]corev1.Volume(nil), spec.Volumes...)
			out = &c
		}
		out.Volumes[i].EmptyDir = &corev1.EmptyDirVolumeSource{}
	}
	if out == nil {
		return spec
	}
	return out
}

// hasSource tells whether any field of a volume source is set; they are all pointers.
func hasSource(vs *corev1.VolumeSource) bool {
	v := reflect.ValueOf(vs).Elem()
	for i := 0; i < v.NumField(); i++ {
		if !v.Field(i).IsNil() {
			return true
		}
	}
	return false
}
