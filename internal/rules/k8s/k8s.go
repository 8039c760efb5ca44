// Package k8s holds the manifest rules (IDs KM-xxxx): checks over Kubernetes objects,
// most of them over the pod spec of a workload. Each rule lives in its own file with its
// fixtures in testdata/<slug>/.
package k8s

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kharden/kharden/internal/pss"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/workload"
)

// Rule is a manifest rule: metadata and a pure check over one object.
type Rule struct {
	rule.Meta
	Check func(in *Input) []rule.Finding
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
}

// Settings are the user's choices that some rules read.
type Settings struct {
	// AllowedRegistries are image reference prefixes ("ghcr.io/acme/", "registry.example.com").
	// Empty means every registry is allowed.
	AllowedRegistries []string
	// PSS is the Pod Security level and version the pss-* rules evaluate.
	PSS pss.LevelVersion
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

// eachContainer runs f over every container of a workload input and collects findings.
func eachContainer(in *Input, f func(c workload.Container) []rule.Finding) []rule.Finding {
	if in.Workload == nil {
		return nil
	}
	var out []rule.Finding
	for _, c := range in.Workload.Containers() {
		out = append(out, f(c)...)
	}
	return out
}

func finding(path, format string, a ...any) rule.Finding {
	return rule.Finding{Path: path, Message: fmt.Sprintf(format, a...)}
}
