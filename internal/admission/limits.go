package admission

import (
	"fmt"
	"net/http"
	"reflect"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kharden/kharden/internal/workload"
)

// Default caps on the work and the answer of one review (Options.MaxContainers and
// MaxFindings). Real pods have a few containers and a few dozen findings at most; a pod
// past these is built to exhaust the webhook (docs/webhook.md, "Limits").
const (
	DefaultMaxContainers = 100
	DefaultMaxElements   = 5000
	DefaultMaxFindings   = 1000
)

// elementsFrom is the size of an object past which its elements are counted: a smaller
// one cannot hold enough of them to matter.
const elementsFrom = 16 << 10

// The API server passes an admission webhook's warnings on within a budget of 4,096
// runes per request: past it, it cuts each warning to 256 runes and drops the rest
// (k8s.io/apiserver/pkg/endpoints/filters/warning.go). The webhook sends at most that
// many, the last one counting what it left out, so that what the user reads is whole.
const (
	maxWarningRunes = 4096
	// omittedRoom is room kept for the note counting the omitted warnings.
	omittedRoom = 64
)

// maxListedWarnings bounds the findings of a warn level turned into warnings: as many
// as the budget can hold.
const maxListedWarnings = maxWarningRunes / maxWarning

// maxListedInAnnotation bounds the findings listed in the audit-findings annotation,
// which keeps maxAnnotation bytes of them.
const maxListedInAnnotation = 256

// maxDenial bounds a denial message, whatever the findings' messages hold.
const maxDenial = 16 << 10

// containers counts the containers of a workload (init, regular and ephemeral); 0 for
// other objects.
func containers(typed any) int {
	w := workload.From(typed)
	if w == nil || w.Spec == nil {
		return 0
	}
	return len(w.Spec.InitContainers) + len(w.Spec.Containers) + len(w.Spec.EphemeralContainers)
}

// overCaps tells why an object is past the caps on the work of a review, or "". raw is
// its JSON.
func (r *Reviewer) overCaps(obj *object, raw []byte) string {
	if n := containers(obj.typed); n > r.maxContainers {
		return fmt.Sprintf("%s has %d containers, more than the %d the webhook judges in one review", obj.id, n, r.maxContainers)
	}
	if len(raw) > elementsFrom {
		if n := elements(reflect.ValueOf(obj.typed), r.maxElements); n > r.maxElements {
			return fmt.Sprintf("%s has more than %d list items and map entries, the most the webhook judges in one review", obj.id, r.maxElements)
		}
	}
	return ""
}

// elements counts the list items and map entries of a decoded object, each of which a
// rule may look at and report on (ports, volumes, environment variables, capabilities,
// ConfigMap keys, RBAC rules...). It stops once past limit. API types have no cycles.
func elements(v reflect.Value, limit int) int {
	n := 0
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		if n > limit {
			return
		}
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i))
			}
		case reflect.Slice, reflect.Array:
			if v.Type().Elem().Kind() == reflect.Uint8 { // bytes: one value
				return
			}
			if v.Kind() == reflect.Slice {
				n += v.Len()
			}
			for i := 0; i < v.Len() && n <= limit; i++ {
				walk(v.Index(i))
			}
		case reflect.Map:
			n += v.Len()
			for it := v.MapRange(); it.Next() && n <= limit; {
				walk(it.Value())
			}
		}
	}
	walk(v)
	return n
}

// unjudged answers a request the webhook will not judge in full (past a cap): an
// enforce level denies it, since admitting it would let it past unjudged; otherwise it
// is admitted with a warning, as a request that cannot be decoded is.
func unjudged(d Decision, pol Policy, why string) Decision {
	if !pol.Enforce.Off() {
		d.Outcome = Errored
		return deny(d, http.StatusForbidden, metav1.StatusReasonForbidden,
			fmt.Sprintf("kharden: not admitted under enforce level %s: %s. Split the workload, or have the webhook's limits raised (docs/webhook.md).", pol.Enforce, why))
	}
	d.Response.Warnings = append(d.Response.Warnings, truncate("kharden: not judged: "+why, maxWarning))
	d.Outcome = Warned
	return d
}

// firstResults is v with at most n results, for messages that list them.
func (v Verdict) firstResults(n int) Verdict {
	if len(v.Results) > n {
		v.Results = v.Results[:n:n]
	}
	return v
}

// capWarnings keeps the warnings, in order, that fit the API server's budget, and
// counts the rest in a last warning.
func capWarnings(ws []string) []string {
	total := 0
	for _, w := range ws {
		total += utf8.RuneCountInString(w)
	}
	if total <= maxWarningRunes {
		return ws
	}
	total = 0
	for i, w := range ws {
		n := utf8.RuneCountInString(w)
		if total+n > maxWarningRunes-omittedRoom {
			left := len(ws) - i
			return append(ws[:i:i], fmt.Sprintf("kharden: %d more %s not shown", left, plural(left, "warning", "warnings")))
		}
		total += n
	}
	return ws
}

// levelWarnings are the warnings of a warn level: one per finding, the first
// maxListedWarnings of them, and a count of the rest.
func levelWarnings(l Level, v Verdict) []string {
	ws := warnings(l, v.firstResults(maxListedWarnings))
	if n := len(v.Results) - maxListedWarnings; n > 0 {
		ws = append(ws, fmt.Sprintf("kharden (warn %s): and %d more %s", l, n, plural(n, "finding", "findings")))
	}
	return ws
}
