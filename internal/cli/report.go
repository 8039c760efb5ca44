package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/internal/compliance"
	"github.com/kharden/kharden/internal/scan"
)

func newReport(s IO) *cobra.Command {
	var framework, output string
	cmd := &cobra.Command{
		Use:   "report --framework NAME [FILE...]",
		Short: "Judge saved JSON results control by control against a framework (CIS, Pod Security, NSA/CISA)",
		Long: `report reads the JSON results of kharden scan, audit cluster and audit node (-o json),
from the files given or from standard input, and judges every control of a framework
with the findings behind each:

  cis-1.12        CIS Kubernetes Benchmark v1.12, sections 1 to 5
  pss-baseline    Pod Security Standards, baseline level
  pss-restricted  Pod Security Standards, restricted level (the baseline's checks too)
  nsa-cisa        NSA/CISA Kubernetes Hardening Guide

A control passes when a rule that checks it ran and nothing it found fails it. It
fails on a finding that was not suppressed; it is "not-run" when kharden's rules for it
did not run (a manifest scan says nothing about the kubelet: give audit node's results
too), and "not-covered" when no kharden rule checks it, which is not a pass. Results of
several runs combine: give them all.

Exit codes: 0 no control fails, 1 some control fails, 2 usage or input errors.`,
		Example: `  kharden scan -o json deploy/ > scan.json
  kharden report --framework pss-restricted scan.json
  kharden audit cluster -o json | kharden report --framework cis-1.12 -o html --output cis.html
  kharden report --framework cis-1.12 cluster.json node-1.json -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !contains(compliance.Formats, output) {
				return &exitError{ExitError, fmt.Errorf("unknown output format %q (want one of %s)", output, strings.Join(compliance.Formats, ", "))}
			}
			if framework == "" {
				return &exitError{ExitError, fmt.Errorf("--framework is required: one of %s", strings.Join(compliance.Names, ", "))}
			}
			f, err := compliance.Lookup(framework)
			if err != nil {
				return &exitError{ExitError, fmt.Errorf("--framework: %w", err)}
			}
			in := &compliance.Input{}
			if len(args) == 0 {
				args = []string{"-"}
			}
			for _, name := range args {
				if err := readResults(s, in, name); err != nil {
					return &exitError{ExitError, err}
				}
			}
			res, err := compliance.Evaluate(f, scan.AllRules(), in)
			if err != nil {
				return &exitError{ExitError, err}
			}
			if err := compliance.Write(s.Out, res, output); err != nil {
				return &exitError{ExitError, err}
			}
			if res.Failed() {
				return &exitError{code: ExitFindings}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&framework, "framework", "", "the framework to judge by: "+strings.Join(compliance.Names, ", "))
	cmd.Flags().StringVarP(&output, "format", "o", "text", "output format: text, json or html (one self-contained page)")
	cmd.RegisterFlagCompletionFunc("framework", fixed(compliance.Names...))
	return cmd
}

// readResults adds one saved report to in: a file, or standard input for "-".
func readResults(s IO, in *compliance.Input, name string) error {
	if name == "-" {
		return in.Read(s.In, "standard input")
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return in.Read(f, name)
}
