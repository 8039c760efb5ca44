package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/internal/scan"
)

// newParseFloor is a hidden command for the benchmark: the parse-only floor run inside
// the same binary as the scan, so both pay the same start-up and binary size.
func newParseFloor(s IO) *cobra.Command {
	return &cobra.Command{
		Use:    "parse-floor PATH...",
		Short:  "Read and decode manifests without checking them (benchmark floor)",
		Hidden: true,
		Args:   cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			files, docs := scan.ParseOnly(args)
			fmt.Fprintf(s.Out, "%d files, %d documents\n", files, docs)
			return nil
		},
	}
}
