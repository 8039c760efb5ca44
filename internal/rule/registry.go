package rule

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/kharden/kharden/internal/practice"
)

var (
	idPattern   = regexp.MustCompile(`^(KM|DF|IM|KN|KC|SP)-\d{4}$`)
	slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	// versionPattern is a release of kharden, as Since and Changes name it.
	versionPattern = regexp.MustCompile(`^\d+\.\d+\.\d+$`)
)

// Validate checks a set of rule metadata: well-formed and unique IDs and slugs, known
// practices, and the fields docs and reports rely on. It reports every problem at once.
func Validate(metas []*Meta) error {
	var errs []error
	ids := map[string]bool{}
	slugs := map[string]bool{}
	for _, m := range metas {
		bad := func(format string, a ...any) {
			errs = append(errs, fmt.Errorf("rule %s: %s", m.ID, fmt.Sprintf(format, a...)))
		}
		if !idPattern.MatchString(m.ID) {
			bad("ID must be a domain prefix and four digits")
		}
		if ids[m.ID] {
			bad("duplicate ID")
		}
		ids[m.ID] = true
		if !slugPattern.MatchString(m.Slug) {
			bad("slug %q must be lower-case words joined by dashes", m.Slug)
		}
		if slugs[m.Slug] {
			bad("duplicate slug %q", m.Slug)
		}
		slugs[m.Slug] = true
		if m.Title == "" || strings.HasSuffix(m.Title, ".") {
			bad("title must be set and have no full stop")
		}
		if m.Severity < Info || m.Severity > Critical {
			bad("invalid severity")
		}
		if len(m.Practices) == 0 {
			bad("no practice")
		}
		for _, p := range m.Practices {
			if _, ok := practice.Lookup(p); !ok {
				bad("unknown practice %q", p)
			}
		}
		if m.Rationale == "" || m.Remediation == "" {
			bad("rationale and remediation are required")
		}
		if m.Since == "" {
			bad("since is required")
		}
		for _, c := range m.Changes {
			if v, text, ok := strings.Cut(c, ": "); !ok || !versionPattern.MatchString(v) || text == "" {
				bad("change %q must be \"VERSION: what changed\"", c)
			}
		}
		if m.Deprecated != (m.ReplacedBy != "") && m.ReplacedBy != "" {
			bad("replacedBy set on a rule that is not deprecated")
		}
	}
	if !sort.SliceIsSorted(metas, func(i, j int) bool { return metas[i].ID < metas[j].ID }) {
		errs = append(errs, errors.New("rules are not sorted by ID"))
	}
	return errors.Join(errs...)
}
