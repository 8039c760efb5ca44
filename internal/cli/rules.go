package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/scan"
)

func newRules(s IO) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List every rule with its ID, slug, severity and practices",
		Long: `List every rule. Rules marked "off" run only when enabled in .kharden.yaml
(rules.enable) or, for pss-* rules, when a Pod Security profile is selected.`,
		Example: "  kharden rules\n  kharden rules -o json | jq '.[].slug'",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			metas := scan.AllRules()
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
	return cmd
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
