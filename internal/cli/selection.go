package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/scan"
)

// selection is the rule selection of the command line, as peers have it: --enable and
// --disable (slugs or IDs) over the config's, and --severity, which keeps only the
// results of the severities named, in the report and in the exit code.
type selection struct {
	enable, disable, severity []string
	keep                      map[rule.Severity]bool
}

func (s *selection) register(f *pflag.FlagSet) {
	f.StringSliceVar(&s.enable, "enable", nil, "turn rules on, over the config (slugs or IDs; repeatable, comma-separated)")
	f.StringSliceVar(&s.disable, "disable", nil, "turn rules off, over the config (slugs or IDs; repeatable, comma-separated)")
	f.StringSliceVar(&s.severity, "severity", nil, "report only results of these severities (critical, high, medium, low, info; comma-separated); the others do not count towards the exit code either")
}

// apply checks the names and writes them into cfg's rules, where the command line wins
// over the file: a rule the config disables and --enable names is enabled.
func (s *selection) apply(cfg *config.Config) error {
	id := func(flag, n string) (string, error) {
		m := scan.LookupAny(strings.TrimSpace(n))
		if m == nil {
			return "", fmt.Errorf("--%s %s: no such rule (see kharden rules)", flag, n)
		}
		return m.ID, nil
	}
	sameRule := func(ids []string) func(string) bool {
		return func(n string) bool {
			m := scan.LookupAny(n)
			return m != nil && slices.Contains(ids, m.ID)
		}
	}
	var on, off []string
	for _, n := range s.enable {
		i, err := id("enable", n)
		if err != nil {
			return err
		}
		on = append(on, i)
	}
	for _, n := range s.disable {
		i, err := id("disable", n)
		if err != nil {
			return err
		}
		if slices.Contains(on, i) {
			return fmt.Errorf("--enable and --disable both name %s", n)
		}
		off = append(off, i)
	}
	cfg.Rules.Disable = slices.DeleteFunc(slices.Clone(cfg.Rules.Disable), sameRule(on))
	cfg.Rules.Enable = slices.DeleteFunc(slices.Clone(cfg.Rules.Enable), sameRule(off))
	cfg.Rules.Enable = append(cfg.Rules.Enable, on...)
	cfg.Rules.Disable = append(cfg.Rules.Disable, off...)
	for _, v := range s.severity {
		sev, err := rule.ParseSeverity(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("--severity: %w", err)
		}
		if s.keep == nil {
			s.keep = map[rule.Severity]bool{}
		}
		s.keep[sev] = true
	}
	return nil
}

// filter drops from part the results of severities --severity does not name.
func (s *selection) filter(part *report.Report) *report.Report {
	if s.keep == nil {
		return part
	}
	keep := func(rs []rule.Result) []rule.Result {
		return slices.DeleteFunc(rs, func(r rule.Result) bool { return !s.keep[r.Severity] })
	}
	part.Results = keep(part.Results)
	part.Suppressed = keep(part.Suppressed)
	return part
}
