package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/kharden/kharden/internal/rule"
)

// Formats lists the output formats Write accepts, in the order the CLI shows them.
var Formats = []string{"text", "json", "sarif", "junit"}

// Options tune rendering. Only the text format reads them today.
type Options struct {
	// Color turns on ANSI colours for severities in text output. The CLI sets it when
	// standard output is a terminal and NO_COLOR is unset; renderers never guess.
	Color bool
}

// Homepage is where the SARIF driver's informationUri points.
const Homepage = "https://github.com/kharden/kharden"

// RuleDocURL is the page documenting a rule, used as SARIF helpUri. It follows the
// layout `go generate` writes: docs/rules/<ID>.md.
func RuleDocURL(m *rule.Meta) string {
	return Homepage + "/blob/main/docs/rules/" + m.ID + ".md"
}

// Write renders rep in the named format (one of Formats).
//
// Every format is deterministic: Write renders a sorted copy of rep (see Report.Sort),
// so the caller's report is left as it was and need not be sorted first.
func Write(w io.Writer, rep *Report, format string, opt Options) error {
	var render func(io.Writer, *Report, Options) error
	switch format {
	case "text":
		render = writeText
	case "json":
		render = writeJSON
	case "sarif":
		render = writeSARIF
	case "junit":
		render = writeJUnit
	default:
		return fmt.Errorf("unknown output format %q (want one of %s)", format, strings.Join(Formats, ", "))
	}
	if err := render(w, rep.sorted(), opt); err != nil {
		return fmt.Errorf("writing %s report: %w", format, err)
	}
	return nil
}

// toolName is the reported tool name, "kharden" unless the report says otherwise.
func (r *Report) toolName() string {
	if r.Tool != "" {
		return r.Tool
	}
	return "kharden"
}

// objectRef names an object as Kind/namespace/name, or Kind/name when it is cluster-scoped;
// "" when the result is not about an object.
func objectRef(o rule.Object) string {
	if o.Kind == "" && o.Name == "" {
		return ""
	}
	if o.Namespace != "" {
		return o.Kind + "/" + o.Namespace + "/" + o.Name
	}
	return o.Kind + "/" + o.Name
}

// meta returns the result's metadata, or a placeholder so a malformed result still renders.
func meta(res rule.Result) *rule.Meta {
	if res.Meta != nil {
		return res.Meta
	}
	return &rule.Meta{ID: "unknown", Slug: "unknown", Title: "Unknown rule", Severity: res.Severity}
}

// nonNil turns a nil slice into an empty one, so JSON shows [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
