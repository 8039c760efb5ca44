package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/internal/scan"
)

// newParseFloor is a hidden command for the benchmark: the parse-only floor run inside
// the same binary as the scan, so both pay the same start-up and binary size. It reads
// with as many workers as the scan (-j, 0 for one per CPU), so that the two are compared
// on the same cores.
func newParseFloor(s IO) *cobra.Command {
	var jobs int
	cmd := &cobra.Command{
		Use:    "parse-floor PATH...",
		Short:  "Read and decode manifests without checking them (benchmark floor)",
		Hidden: true,
		Args:   cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			files, docs := scan.ParseOnly(args, jobs)
			fmt.Fprintf(s.Out, "%d files, %d documents\n", files, docs)
			return nil
		},
	}
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 0, "files read at once (0: one per CPU, as scan)")
	return cmd
}
