package scan

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/source/vex"
	"github.com/kharden/kharden/internal/vuln"
)

// vulnIgnore is one of the config's vulnerabilities.ignore entries, checked.
type vulnIgnore struct {
	key      string // vulnerabilities.ignore[i], as the user reads it
	line     int
	id       string
	packages []string
	reason   string
	expires  time.Time
	expired  bool
	used     atomic.Bool
}

// newVulnIgnores checks the config's vulnerabilities.ignore entries, reporting every
// problem at its line: an ID, a reason, package names, an expiry that is a date. now
// decides which have expired: an entry holds through its last day.
func newVulnIgnores(cfg *config.Config, now time.Time) ([]*vulnIgnore, error) {
	var out []*vulnIgnore
	var errs []error
	for i, c := range cfg.Vulnerabilities.Ignore {
		x := &vulnIgnore{key: fmt.Sprintf("vulnerabilities.ignore[%d]", i), id: strings.TrimSpace(c.ID), reason: strings.TrimSpace(c.Reason),
			line: cfg.Line(config.VulnIgnoreKey(i))}
		bad := func(format string, a ...any) {
			errs = append(errs, cfg.Errorf(config.VulnIgnoreKey(i), "%s: %s", x.key, fmt.Sprintf(format, a...)))
		}
		if x.id == "" || strings.ContainsAny(x.id, " \t*") {
			bad("id: name one advisory by its ID or an alias (CVE-2024-1234, GHSA-..., DSA-5678-1)")
		}
		for _, p := range c.Packages {
			if p = strings.TrimSpace(p); p == "" || strings.ContainsAny(p, " \t") {
				bad("packages: %q is not a package name or purl", p)
				continue
			}
			x.packages = append(x.packages, p)
		}
		if x.reason == "" {
			bad("reason is required")
		}
		if e := strings.TrimSpace(c.Expires); e != "" {
			t, err := time.Parse(time.DateOnly, e)
			if err != nil {
				bad("expires %q is not a date (YYYY-MM-DD)", e)
			}
			x.expires = t
			x.expired = !now.Before(t.AddDate(0, 0, 1))
		}
		out = append(out, x)
	}
	return out, errors.Join(errs...)
}

// covers tells whether the entry is about a finding known by ids (its ID and aliases)
// of the package f names: any package when the entry names none, else one named by
// its name, its source package's or a purl.
func (x *vulnIgnore) covers(ids []string, f *vuln.Finding) bool {
	found := false
	for _, id := range ids {
		if strings.EqualFold(id, x.id) {
			found = true
			break
		}
	}
	if !found {
		return false
	}
	if len(x.packages) == 0 {
		return true
	}
	p := &f.Package
	for _, n := range x.packages {
		if n == p.Name || n == f.Name || (p.Source != "" && n == p.Source) {
			return true
		}
		if strings.HasPrefix(n, "pkg:") && p.PURL != "" && vex.MatchPURL(n, p.PURL) {
			return true
		}
	}
	return false
}
