package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/internal/docs"
	"github.com/kharden/kharden/internal/scan"
)

func newExplain(s IO) *cobra.Command {
	return &cobra.Command{
		ValidArgsFunction: func(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return ruleNames(cmd, args, prefix)
		},
		Use:     "explain ID|SLUG",
		Short:   "Explain a rule: why it matters, how to fix it, what it maps to",
		Example: "  kharden explain KM-0004\n  kharden explain host-ports\n  kharden explain no-sudo",
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			m := scan.LookupAny(args[0])
			if m == nil {
				hint := "see `kharden rules`"
				if near := nearestRules(args[0], 3); len(near) > 0 {
					hint = "did you mean " + strings.Join(near, ", ") + "? See `kharden rules`"
				}
				return &exitError{ExitError, fmt.Errorf("no rule with ID or slug %q (%s)", args[0], hint)}
			}
			_, err := fmt.Fprint(s.Out, docs.Explain(m))
			return err
		},
	}
}
