package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/scan"
	"github.com/kharden/kharden/internal/source/image"
)

// scanCommands is `kharden scan` with its subcommands.
func scanCommands(s IO) *cobra.Command {
	c := newScan(s)
	c.AddCommand(newScanImage(s))
	return c
}

func newScanImage(s IO) *cobra.Command {
	var (
		o          scan.ImageOptions
		output     string
		configPath string
		noConfig   bool
		noPackages bool
	)
	cmd := &cobra.Command{
		Use:   "image [flags] REF...",
		Short: "Scan container images: what they hold, and the image rules",
		Long: `Scan container images: read each one's configuration and layers, list what it
holds (the OS release and its packages: dpkg, apk and Go binaries' modules) and
run the image rules (IM-xxxx) over it.

REF is one of
  registry/repo:tag, registry/repo@sha256:...   pulled from a registry with the
        credentials of ~/.docker/config.json and its credential helpers
  oci:DIR               an OCI image layout directory
  oci-archive:FILE      an OCI image layout in a tar file
  docker-archive:FILE   a docker save tarball
  rootfs:DIR            an unpacked root filesystem (no configuration)
Only a registry reference uses the network. For a multi-platform image,
--platform picks one (default linux/amd64).

Layers are read once each, as streams: never unpacked, never held whole in
memory. Every layer is checked against its digest; an image that fails a check
or cannot be read is an error, and the other images are still scanned.

The text output lists each image's packages, then the findings. The json, sarif
and junit outputs hold the findings, as for kharden scan.

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it,
2 usage, input or operational errors (an image that could not be read, a
corrupt package database).`,
		Example: `  kharden scan image registry.example.com/team/app:1.4.2
  kharden scan image --platform linux/arm64 -o sarif registry.example.com/team/app:1.4.2
  docker save app:dev -o app.tar && kharden scan image docker-archive:app.tar
  kharden scan image oci:build/image --fail-on medium`,
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
			sc, err := scan.NewImage(o)
			if err != nil {
				return &exitError{ExitError, err}
			}
			sc.Head().Config = configSource(configPath, noConfig, cfg)
			// Every image is read before the report starts, so that the inventory
			// comes first; only its package list is kept.
			parts := make([]*report.Report, 0, len(args))
			for _, ref := range args {
				if err := cmd.Context().Err(); err != nil {
					return stopped(cmd.Context(), "no report was written")
				}
				im, part := sc.Scan(cmd.Context(), ref)
				if output == "text" && !noPackages {
					writeInventory(s.Out, ref, im)
				}
				parts = append(parts, part)
			}
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
	f.StringVarP(&output, "output", "o", "text", "output format: text, json, sarif or junit")
	f.StringVar(&o.Image.Platform, "platform", "", "platform to pick from a multi-platform image: os/arch[/variant] (default \"linux/amd64\")")
	f.BoolVar(&o.Image.Insecure, "insecure-registry", false, "allow plain HTTP and unverified TLS to the registry")
	f.DurationVar(&o.Image.Timeout, "timeout", 2*time.Minute, "longest wait for a registry: to resolve an image, and between two bytes of a layer")
	f.StringVar(&o.FailOn, "fail-on", "", "lowest severity that fails the run: info, low, medium, high or critical (default \"high\")")
	f.StringVar(&configPath, "config", "", "config file (default: .kharden.yaml found upward from the current directory)")
	f.BoolVar(&noConfig, "no-config", false, "ignore config files")
	f.BoolVar(&noPackages, "no-packages", false, "text output: leave out the package lists")
	return cmd
}

// writeInventory prints what an image holds: its name, platform and OS, then its
// packages with the file and layer each came from.
func writeInventory(w io.Writer, ref string, im *image.Image) {
	if im == nil {
		return
	}
	esc := report.Escape
	fmt.Fprintf(w, "%s\n", esc(ref))
	if im.Name != ref {
		fmt.Fprintf(w, "  name:      %s\n", esc(im.Name))
	}
	if im.Platform != "" {
		fmt.Fprintf(w, "  platform:  %s\n", esc(im.Platform))
	}
	osName := "unknown (no /etc/os-release)"
	if im.OS != nil {
		osName = im.OS.PrettyName
		if osName == "" {
			osName = strings.TrimSpace(im.OS.ID + " " + im.OS.VersionID)
		}
	}
	fmt.Fprintf(w, "  os:        %s\n", esc(osName))
	fmt.Fprintf(w, "  layers:    %d, %d files\n", len(im.Layers), im.FS.Len())
	fmt.Fprintf(w, "  packages:  %d\n", len(im.Packages))
	if len(im.Packages) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "    TYPE\tNAME\tVERSION\tLAYER\tFILE")
		for _, p := range im.Packages {
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%d\t%s\n", esc(p.Type), esc(p.Name), esc(p.Version), p.Layer+1, esc(p.File))
		}
		_ = tw.Flush()
	}
	fmt.Fprintln(w)
}
