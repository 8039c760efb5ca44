package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/internal/docs"
	"github.com/kharden/kharden/internal/scan"
)

func newExplain(s IO) *cobra.Command {
	return &cobra.Command{
		Use:     "explain ID|SLUG",
		Short:   "Explain a rule: why it matters, how to fix it, what it maps to",
		Example: "  kharden explain KM-0004\n  kharden explain host-ports\n  kharden explain no-sudo",
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			m := scan.LookupAny(args[0])
			if m == nil {
				return &exitError{ExitError, fmt.Errorf("no rule with ID or slug %q (see `kharden rules`)", args[0])}
			}
			_, err := fmt.Fprint(s.Out, docs.Explain(m))
			return err
		},
	}
}
