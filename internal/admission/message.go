package admission

import (
	"fmt"
	"strings"

	"github.com/kharden/kharden/internal/rule"
)

// maxWarning is the length past which the API server may truncate a warning.
const maxWarning = 256

// maxAnnotation bounds one audit annotation's value.
const maxAnnotation = 4096

// exceptionHint ends a denial. Where the object's annotations exempt nothing, the way
// out is an exception, which the cluster's admins write in the webhook's config.
const (
	exceptionHint = "\nSee `kharden explain ID`. Fix the object, or ask the cluster admins for an exception in the webhook's config (" +
		ExceptionsKey + "): ignore.kharden.io annotations on the object exempt nothing at admission."
	trustedAnnotationHint = "\nSee `kharden explain ID`; suppress a finding with the annotation ignore.kharden.io/<rule slug>: \"<reason>\", " +
		"or ask the cluster admins for an exception in the webhook's config (" + ExceptionsKey + ")."
)

// denialMessage names the object, the level and, per finding, the rule ID, its title,
// the field and what is wrong there:
//
//	kharden: Deployment shop/web violates enforce level high (2 findings):
//	- KM-0004 Containers must not run privileged [critical] at spec.template.spec.containers[0].securityContext.privileged: container "web" is privileged
//	- ...
func (r *Reviewer) denialMessage(obj rule.Object, l Level, v Verdict) string {
	var b strings.Builder
	n := len(v.Results) + len(v.Problems)
	fmt.Fprintf(&b, "kharden: %s violates enforce level %s (%d %s):", obj, l, n, plural(n, "finding", "findings"))
	listed := 0
	for _, p := range v.Problems {
		if listed == r.maxListed {
			break
		}
		fmt.Fprintf(&b, "\n- %s", p.Message)
		listed++
	}
	for _, res := range v.Results {
		if listed == r.maxListed {
			break
		}
		fmt.Fprintf(&b, "\n- %s (%s) %s [%s]%s: %s", res.Meta.ID, res.Meta.Slug, res.Meta.Title, res.Severity, at(res), res.Message)
		listed++
	}
	if n > listed {
		fmt.Fprintf(&b, "\n- and %d more", n-listed)
	}
	if r.defaults.trustAnnotations {
		b.WriteString(trustedAnnotationHint)
	} else {
		b.WriteString(exceptionHint)
	}
	return b.String()
}

func at(res rule.Result) string {
	if res.Location.FieldPath == "" {
		return ""
	}
	return " at " + res.Location.FieldPath
}

// warnings are one admission warning per finding, short enough for the API server to
// pass on whole: "kharden (warn high): KM-0004 [critical] spec.containers[0]...: title".
func warnings(l Level, v Verdict) []string {
	var out []string
	for _, p := range v.Problems {
		out = append(out, truncate(fmt.Sprintf("kharden (warn %s): %s", l, p.Message), maxWarning))
	}
	for _, res := range v.Results {
		path := res.Location.FieldPath
		if path != "" {
			path += ": "
		}
		out = append(out, truncate(fmt.Sprintf("kharden (warn %s): %s [%s] %s%s", l, res.Meta.ID, res.Severity, path, res.Message), maxWarning))
	}
	return out
}

// Audit annotation keys; the API server prefixes them with the webhook's name.
const (
	AnnotationAuditLevel      = "audit-level"
	AnnotationAuditViolations = "audit-violations"
	AnnotationAuditFindings   = "audit-findings"
)

// auditAnnotations records the audit level's verdict: the level, the violated rule IDs
// and the findings (rule and field), bounded in size.
func auditAnnotations(into map[string]string, l Level, v Verdict) {
	if !v.Deny() {
		return
	}
	into[AnnotationAuditLevel] = l.String()
	into[AnnotationAuditViolations] = truncate(strings.Join(v.IDs(), ","), maxAnnotation)
	var parts []string
	for _, p := range v.Problems {
		parts = append(parts, p.Message)
	}
	for _, res := range v.Results {
		parts = append(parts, res.Meta.ID+" "+res.Location.FieldPath)
	}
	into[AnnotationAuditFindings] = truncate(strings.Join(parts, "; "), maxAnnotation)
}

// truncate cuts s to at most n bytes, on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("...")
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + "..."
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
