package cli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/sbom"
	"github.com/kharden/kharden/internal/scan"
	"github.com/kharden/kharden/internal/source/image"
)

// scanCommands is `kharden scan` with its subcommands.
func scanCommands(s IO) *cobra.Command {
	c := newScan(s)
	c.AddCommand(newScanImage(s), newScanSBOM(s))
	return c
}

func newScanImage(s IO) *cobra.Command {
	var (
		o          scan.ImageOptions
		output     string
		configPath string
		noConfig   bool
		noPackages bool
		sel        selection
	)
	cmd := &cobra.Command{
		Use:   "image [flags] REF...",
		Short: "Scan container images: what they hold, the image rules and known vulnerabilities",
		Long: `Scan container images: read each one's configuration and layers, list what it
holds (the OS release and its packages: dpkg, apk, rpm, Go binaries' modules,
Python, Node.js, Java and Rust packages), run the image rules (IM-xxxx) over it,
and match its packages against the offline vulnerability database.

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
and junit outputs hold the findings, as for kharden scan. The cyclonedx
(CycloneDX 1.6 JSON) and spdx-json (SPDX 2.3 JSON) outputs are a software bill
of materials of all the images: their OS and packages, with purls, licences and
the file and layer each came from, and no findings. Their timestamps are
SOURCE_DATE_EPOCH when it is set, so that the same images give the same bytes.

While layers are read, a progress line is written to standard error when it is
a terminal, and nothing otherwise.

Vulnerabilities: each package is matched against the OSV advisories of the
database kharden db update or kharden db import built (--db, else $KHARDEN_DB,
else the user cache directory's), with no network. Each finding is a result
whose rule is the advisory (its ID; SARIF lists one rule per advisory), at the
severity its CVSS vector or its ecosystem's rating gives, and counts towards
--fail-on like any other. Without a database the report says so in a note and
the rest of the scan goes on; a database older than --max-db-age gives a
warning note. --ignore-unfixed leaves out what no fixed version is known for;
vulnerabilities.ignore in .kharden.yaml and OpenVEX documents (--vex) set
findings aside with their reason. See docs/vulnerabilities.md.

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it,
2 usage, input or operational errors (an image that could not be read, a
corrupt package database). An SBOM output exits 0 or 2: it judges nothing.`,
		Example: `  kharden scan image registry.example.com/team/app:1.4.2
  kharden scan image --platform linux/arm64 -o sarif registry.example.com/team/app:1.4.2
  docker save app:dev -o app.tar && kharden scan image docker-archive:app.tar
  kharden scan image oci:build/image --fail-on medium
  kharden scan image --ignore-unfixed --vex vex/app.openvex.json -o sarif registry.example.com/team/app:1.4.2
  kharden scan image --no-vulns rootfs:/mnt/image
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) kharden scan image -o cyclonedx oci:build/image > sbom.cdx.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Version = Version
			bom := contains(sbom.Formats, output)
			if !contains(report.Formats, output) && !bom {
				return &exitError{ExitError, fmt.Errorf("unknown output format %q (want one of %v)", output, append(slices.Clone(report.Formats), sbom.Formats...))}
			}
			var made time.Time
			if bom {
				var err error
				if made, err = sbom.Time(os.Getenv); err != nil {
					return &exitError{ExitError, err}
				}
			}
			cfg, err := loadConfig(configPath, noConfig, ".")
			if err != nil {
				return &exitError{ExitError, err}
			}
			if err := sel.apply(cfg); err != nil {
				return &exitError{ExitError, err}
			}
			o.Config = cfg
			if bom {
				o.Vulns.Off = true // an SBOM judges nothing
			}
			sc, err := scan.NewImage(o)
			if err != nil {
				return &exitError{ExitError, err}
			}
			defer sc.Close()
			sc.Head().Config = configSource(configPath, noConfig, cfg)
			// Every image is read before the report starts, so that the inventory
			// comes first; only its package list is kept, or for an SBOM the image.
			parts := make([]*report.Report, 0, len(args)+2)
			if start := sc.Vulns().Start(); start != nil {
				parts = append(parts, start)
			}
			var ims []*image.Image
			pl := progressTo(s.Err)
			for _, ref := range args {
				if err := cmd.Context().Err(); err != nil {
					return stopped(cmd.Context(), "no report was written")
				}
				im, part := sc.ScanWith(cmd.Context(), ref, pl.callback())
				pl.done()
				if output == "text" && !noPackages {
					writeInventory(s.Out, ref, im)
				}
				if bom && im != nil {
					ims = append(ims, im)
				}
				parts = append(parts, part)
			}
			parts = append(parts, sc.Unused())
			if bom {
				return writeSBOM(s, output, ims, parts, made)
			}
			// Every advisory found is a rule of the report (SARIF's rules[]).
			sc.Head().Rules = append(sc.Head().Rules, sc.Vulns().Metas()...)
			st, err := report.NewStream(s.Out, output, report.Options{Color: output == "text" && isTerminal(s.Out)}, sc.Head())
			if err != nil {
				return &exitError{ExitError, err}
			}
			for _, p := range parts {
				if err := st.Add(sel.filter(p)); err != nil {
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
	sel.register(f)
	f.StringVarP(&output, "format", "o", "text", "output format: text, json, sarif, junit, html (one self-contained page), or an SBOM: cyclonedx or spdx-json")
	f.StringVar(&o.Image.Platform, "platform", "", "platform to pick from a multi-platform image: os/arch[/variant] (default \"linux/amd64\")")
	f.BoolVar(&o.Image.Insecure, "insecure-registry", false, "allow plain HTTP and unverified TLS to the registry")
	f.DurationVar(&o.Image.Timeout, "timeout", 2*time.Minute, "longest wait for a registry: to resolve an image, and between two bytes of a layer")
	f.StringVar(&o.FailOn, "fail-on", "", "lowest severity that fails the run: info, low, medium, high or critical (default \"high\")")
	f.StringVar(&configPath, "config", "", "config file (default: .kharden.yaml found upward from the current directory)")
	f.BoolVar(&noConfig, "no-config", false, "ignore config files")
	f.BoolVar(&noPackages, "no-packages", false, "text output: leave out the package lists")
	vulnFlags(f, &o.Vulns, "")
	return cmd
}

// writeSBOM writes the SBOM of the images that could be read, and the problems of
// the scan (images that could not be read, corrupt package databases) to standard
// error: exit 2 when there are any, else 0.
func writeSBOM(s IO, format string, ims []*image.Image, parts []*report.Report, made time.Time) error {
	if err := sbom.Write(s.Out, format, ims, sbom.Options{Tool: "kharden", Version: Version, Time: made}); err != nil {
		return &exitError{ExitError, err}
	}
	failed := false
	for _, p := range parts {
		for _, e := range p.Errors {
			fmt.Fprintf(s.Err, "kharden: %s: %s\n", report.Escape(e.File), report.Escape(e.Message))
			failed = true
		}
	}
	if failed {
		return &exitError{code: ExitError}
	}
	return nil
}

// progressTo is the progress line of the layers read, written to w when it is a
// terminal (rewritten in place, at most ten times a second, and cleared at the end of
// each image); nil, so that nothing is written, otherwise.
func progressTo(w io.Writer) *progressLine {
	if !isTerminal(w) {
		return nil
	}
	return &progressLine{w: w}
}

// progressLine writes one line of progress, rewritten in place.
type progressLine struct {
	// mu serialises the callbacks of images read at once (scan --images).
	mu    sync.Mutex
	w     io.Writer
	last  time.Time
	shown bool
}

func (p *progressLine) report(pr image.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if pr.Read > 0 && pr.Read < pr.Size && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	ref := pr.Ref
	if repo, digest, ok := strings.Cut(ref, "@sha256:"); ok && len(digest) > 12 {
		ref = repo + "@" + digest[:12] // what scan --images reads: the repository tells more
	}
	if len(ref) > 40 {
		ref = "..." + ref[len(ref)-37:]
	}
	size := ""
	if pr.Size > 0 {
		size = " of " + mib(pr.Size)
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s: layer %d of %d, %s%s", report.Escape(ref), pr.Layer+1, pr.Layers, mib(pr.Read), size)
	p.shown = true
}

// callback is the progress callback of a scan: nil when there is no terminal.
func (p *progressLine) callback() func(image.Progress) {
	if p == nil {
		return nil
	}
	return p.report
}

// done clears the line.
func (p *progressLine) done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
}

// mib is a size in KiB, MiB or GiB.
func mib(n int64) string {
	switch {
	case n < 1<<20:
		return fmt.Sprintf("%d KiB", (n+1023)/1024)
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
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
