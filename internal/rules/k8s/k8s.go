// Package k8s holds the manifest rules (IDs KM-xxxx): checks over Kubernetes objects,
// most of them over the pod spec of a workload. Each rule lives in its own file with its
// fixtures in testdata/<slug>/.
package k8s

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/internal/pss"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/seccomp"
	"github.com/kharden/kharden/internal/workload"
)

// Rule is a manifest rule: metadata and a pure check over one object.
type Rule struct {
	rule.Meta
	Check func(in *Input) []rule.Finding
	// Await is set on a rule whose verdict may hang on an object of another input (a
	// pod's ServiceAccount): ok when Check's findings on in wait for a ServiceAccount that
	// Input.ServiceAccounts lacks and that a later input may hold; settle gives the final
	// findings once it is known (see serviceaccounts.go).
	Await func(in *Input) (ref ServiceAccountRef, settle Settle, ok bool)
}

// Input is the object a rule checks. Field paths in findings are relative to the object
// (they start at "metadata", "spec", "rules"...).
type Input struct {
	Object rule.Object
	Meta   *metav1.ObjectMeta
	// Typed is the decoded API struct for kinds kharden knows (see package kube), or nil.
	Typed any
	// Workload is set when the object runs pods.
	Workload *workload.Workload
	Settings *Settings
	// ServiceAccounts are the ServiceAccounts known beside the object, or nil.
	ServiceAccounts *ServiceAccounts

	// pss caches the Pod Security evaluation of the workload; see pssEvaluation.
	pss *pssEval
}

// Settings are the user's choices that some rules read.
type Settings struct {
	// AllowedRegistries are image reference prefixes ("ghcr.io/acme/", "registry.example.com").
	// Empty means every registry is allowed.
	AllowedRegistries []string
	// PSS is the Pod Security level and version the pss-* rules evaluate.
	PSS pss.LevelVersion
	// SeccompDir is the tree of the nodes' seccomp directory (--seccomp-dir), where
	// seccomp-localhost-profile looks for the Localhost profiles workloads name; nil
	// means none was given, and that rule judges nothing.
	SeccompDir *seccomp.Dir
}

// NewInput builds the input for a typed object (or an untyped one when typed is nil).
func NewInput(obj rule.Object, meta *metav1.ObjectMeta, typed any, s *Settings) *Input {
	if meta == nil {
		meta = &metav1.ObjectMeta{}
	}
	if s == nil {
		s = &Settings{}
	}
	return &Input{Object: obj, Meta: meta, Typed: typed, Workload: workload.From(typed), Settings: s}
}

// pssEval is the Pod Security evaluation of one input, shared by the pss-* rules.
type pssEval struct {
	lv pss.LevelVersion
	// w is the workload with the API server's defaults the checks see (pss.WithDefaults),
	// which the locators search.
	w  *workload.Workload
	vs []pss.Violation
}

// pssEvaluation evaluates the workload's pod against Settings.PSS once per input; every
// pss-* rule then filters the violations by check. They are none when the input runs no
// pods or no level (or the privileged level) is selected. Controllers are judged by their
// pod template, as admission does. Not safe for concurrent use: the engine runs the rules
// of one input one after another.
func (in *Input) pssEvaluation() *pssEval {
	if in.pss != nil {
		return in.pss
	}
	in.pss = &pssEval{}
	if lv, ok := in.pssLevel(); ok {
		in.pss = evaluatePSS(in, lv)
	}
	return in.pss
}

// pssLevel returns the Pod Security level the pss-* rules enforce; ok is false when none
// is selected or the level is privileged. A level without a version means the latest.
func (in *Input) pssLevel() (lv pss.LevelVersion, ok bool) {
	lv = in.Settings.PSS
	if lv.Level == "" || lv.Level == api.LevelPrivileged {
		return lv, false
	}
	if lv.Version == (api.Version{}) {
		lv.Version = api.LatestVersion()
	}
	return lv, true
}

// eachContainer runs f over every container of a workload input and collects findings.
func eachContainer(in *Input, f func(c workload.Container) []rule.Finding) []rule.Finding {
	if in.Workload == nil {
		return nil
	}
	var out []rule.Finding
	for _, c := range in.Workload.Containers() {
		if fs := f(c); len(out) == 0 {
			out = fs[:len(fs):len(fs)] // most workloads have one container: no copy
		} else {
			out = append(out, fs...)
		}
	}
	return out
}

func finding(path, format string, a ...any) rule.Finding {
	return rule.Finding{Path: path, Message: fmt.Sprintf(format, a...)}
}
