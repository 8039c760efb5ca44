package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/scan"
)

func newRules(s IO) *cobra.Command {
	var output, kind, practice, severity string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List every rule with its ID, slug, severity and practices",
		Long: `List every rule. Rules marked "off" run only when enabled in .kharden.yaml
(rules.enable) or, for pss-* rules, when a Pod Security profile is selected.`,
		Example: "  kharden rules\n  kharden rules --kind image --severity high\n  kharden rules --practice B9\n  kharden rules -o json | jq '.[].slug'",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			metas, err := filterRules(scan.AllRules(), kind, practice, severity)
			if err != nil {
				return &exitError{ExitError, err}
			}
			switch output {
			case "json":
				enc := json.NewEncoder(s.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(metas)
			case "text":
				tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSLUG\tSEVERITY\tDEFAULT\tPRACTICES\tTITLE")
				for _, m := range metas {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Slug, m.Severity, onOff(m), strings.Join(m.Practices, ","), m.Title)
				}
				return tw.Flush()
			}
			return &exitError{ExitError, fmt.Errorf("unknown output format %q (want text or json)", output)}
		},
	}
	cmd.Flags().StringVarP(&output, "format", "o", "text", "output format: text or json")
	cmd.Flags().StringVar(&kind, "kind", "", "only the rules of one kind: "+strings.Join(ruleKindNames(), ", "))
	cmd.Flags().StringVar(&practice, "practice", "", "only the rules serving a practice (A1 ... D13, see docs/practices.md)")
	cmd.Flags().StringVar(&severity, "severity", "", "only the rules of a severity, or above with a trailing + (high+)")
	cmd.RegisterFlagCompletionFunc("kind", fixed(ruleKindNames()...))
	return cmd
}

// ruleKinds are the kinds of rules by ID prefix, as --kind names them.
var ruleKinds = map[string]string{"manifest": "KM", "dockerfile": "DF", "image": "IM", "node": "KN", "cluster": "KC", "seccomp": "SP"}

func ruleKindNames() []string {
	var out []string
	for k := range ruleKinds {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// filterRules keeps the rules of a kind, practice and severity ("" for any; a
// severity with a trailing + for it and above).
func filterRules(metas []*rule.Meta, kind, practice, severity string) ([]*rule.Meta, error) {
	prefix := ""
	if kind != "" {
		if prefix = ruleKinds[strings.ToLower(kind)]; prefix == "" {
			return nil, fmt.Errorf("--kind %q: want one of %s", kind, strings.Join(ruleKindNames(), ", "))
		}
	}
	var sev rule.Severity
	orAbove := strings.HasSuffix(severity, "+")
	if severity != "" {
		var err error
		if sev, err = rule.ParseSeverity(strings.TrimSuffix(severity, "+")); err != nil {
			return nil, fmt.Errorf("--severity: %w", err)
		}
	}
	practice = strings.ToUpper(practice)
	var out []*rule.Meta
	for _, m := range metas {
		switch {
		case prefix != "" && !strings.HasPrefix(m.ID, prefix+"-"):
		case practice != "" && !slices.Contains(m.Practices, practice):
		case severity != "" && !orAbove && m.Severity != sev:
		case severity != "" && orAbove && m.Severity < sev:
		default:
			out = append(out, m)
		}
	}
	return out, nil
}

func onOff(m *rule.Meta) string {
	if m.Deprecated {
		return "deprecated"
	}
	if m.Default {
		return "on"
	}
	return "off"
}
