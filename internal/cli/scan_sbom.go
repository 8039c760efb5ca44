package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/scan"
	srcsbom "github.com/kharden/kharden/internal/source/sbom"
)

func newScanSBOM(s IO) *cobra.Command {
	var (
		o          scan.SBOMOptions
		output     string
		configPath string
		noConfig   bool
	)
	cmd := &cobra.Command{
		Use:   "sbom [flags] FILE...",
		Short: "Match the packages of SBOMs (CycloneDX or SPDX JSON) against known vulnerabilities",
		Long: `Read software bills of materials written by any tool (kharden scan image -o
cyclonedx|spdx-json, Syft, Trivy...) and match the packages they name against
the offline vulnerability database, as kharden scan image matches an image's.

FILE is CycloneDX JSON (1.4 and later: components, nested ones included) or SPDX
2.2/2.3 JSON (packages). Each package is taken by its package URL (purl: the
CycloneDX component's purl, the SPDX package's PACKAGE-MANAGER purl reference);
the operating system release, which distribution packages are matched under
(Debian 12, Alpine 3.20), from the SBOM's operating-system component or package,
else from the purls' distro qualifier. Where the SBOM says where a package was
found (kharden's properties and sourceInfo, Syft's locations), the findings say
it too. An SBOM of several images (a CycloneDX container component, an SPDX
CONTAINER package, holding their packages) is matched image by image.

A file that is not JSON, is neither CycloneDX nor SPDX, names no purl, or is
larger than ` + fmt.Sprint(srcsbom.MaxSize>>20) + ` MiB is an error naming it (exit 2); the other files are still read.

The database, the flags --db, --max-db-age, --ignore-unfixed and --vex, and the
config's vulnerabilities section are those of kharden scan image; see
docs/vulnerabilities.md. Without a database the report says so in a note.

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it,
2 usage, input or operational errors.`,
		Example: `  kharden scan sbom sbom.cdx.json
  syft scan registry.example.com/team/app:1.4.2 -o spdx-json > app.spdx.json && kharden scan sbom app.spdx.json
  kharden scan sbom --ignore-unfixed --vex app.openvex.json -o sarif *.cdx.json > vulns.sarif`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Version = Version
			if !contains(report.Formats, output) {
				return &exitError{ExitError, fmt.Errorf("unknown output format %q (want one of %v)", output, report.Formats)}
			}
			cfg, err := loadConfig(configPath, noConfig, ".")
			if err != nil {
				return &exitError{ExitError, err}
			}
			o.Config = cfg
			sc, err := scan.NewSBOM(o)
			if err != nil {
				return &exitError{ExitError, err}
			}
			defer sc.Close()
			sc.Head().Config = configSource(configPath, noConfig, cfg)
			// Every SBOM is matched before the report starts, so that SARIF's rules[]
			// lists the advisories found.
			var parts []*report.Report
			if start := sc.Vulns().Start(); start != nil {
				parts = append(parts, start)
			}
			for _, f := range args {
				if err := cmd.Context().Err(); err != nil {
					return stopped(cmd.Context(), "no report was written")
				}
				parts = append(parts, sc.Scan(f))
			}
			if u := sc.Vulns().Unused(); u != nil {
				parts = append(parts, u)
			}
			sc.Head().Rules = sc.Vulns().Metas()
			st, err := report.NewStream(s.Out, output, report.Options{Color: output == "text" && isTerminal(s.Out)}, sc.Head())
			if err != nil {
				return &exitError{ExitError, err}
			}
			for _, p := range parts {
				if err := st.Add(p); err != nil {
					return &exitError{ExitError, err}
				}
			}
			totals, err := st.Close()
			if err != nil {
				return &exitError{ExitError, err}
			}
			return exitFor(totals)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&output, "format", "o", "text", "output format: text, json, sarif, junit or html (one self-contained page)")
	f.StringVar(&o.FailOn, "fail-on", "", "lowest severity that fails the run: info, low, medium, high or critical (default \"high\")")
	f.StringVar(&configPath, "config", "", "config file (default: .kharden.yaml found upward from the current directory)")
	f.BoolVar(&noConfig, "no-config", false, "ignore config files")
	vulnFlags(f, &o.Vulns, "")
	return cmd
}
