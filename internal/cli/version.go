package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

func newVersion(s IO) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the kharden version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintln(s.Out, versionLine())
			return nil
		},
	}
}

// versionLine is what `kharden version` and `kharden --version` print.
func versionLine() string {
	return fmt.Sprintf("kharden %s (%s, %s/%s)", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
