package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/memlimit"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/rules/k8s"
	"github.com/kharden/kharden/internal/scan"
)

// scanMemoryLimit is the Go memory a scan holds itself to while its live heap is small
// (see memlimit): with the binary's own pages, a scan of tens of thousands of files or
// of a 100 MB file then peaks under 64 MiB instead of 67 to 70, for a few percent more
// CPU (docs/benchmarks.md). GOMEMLIMIT overrides it.
const scanMemoryLimit = 24 << 20

func newScan(s IO) *cobra.Command {
	var (
		o          scan.Options
		output     string
		configPath string
		noConfig   bool
		sel        selection
	)
	cmd := &cobra.Command{
		Use:   "scan [flags] PATH...",
		Short: "Scan Kubernetes manifests, Helm charts, Kustomize directories and Dockerfiles",
		Long: `Scan Kubernetes manifests and Dockerfiles for security problems.

PATH may be a file, a directory (searched recursively for .yaml, .yml and .json
manifests and for Dockerfiles: Dockerfile, Containerfile, NAME.Dockerfile,
Dockerfile.NAME), a Helm chart directory (rendered with --values and --set), a
Kustomize directory (built), or - for standard input (manifests).

A Dockerfile's build context, whose .dockerignore some rules read, is its own
directory; name another with --dockerfile FILE --build-context DIR.

Profiles:
  default                  kharden's full rule set (the default)
  pss-baseline[:v1.N]      only the Pod Security Standards baseline checks
  pss-restricted[:v1.N]    only the Pod Security Standards restricted checks
rules.enable in the config adds rules to any profile; a pss-* rule whose check the
profile does not evaluate (any, under default; a restricted one, under pss-baseline)
judges pods at its check's own level.

Settings come from .kharden.yaml, found upward from the first PATH up to its
repository's root (the directory holding .git), or from --config FILE. Every output
names the config applied; stderr notes a .kharden.yaml found inside a scanned
directory, since it was written by whoever wrote the tree. Scanning content you do
not own (a pull request from a fork, a vendored chart), pass --no-config or --config.
Findings are suppressed per object with an annotation naming the rule's slug or ID:
  ignore.kharden.io/host-ports: "node exporter needs it; expires=2027-03-31"
and in a Dockerfile with a comment directly above the instruction, or anywhere
for the whole file:
  # kharden:ignore=no-sudo,no-cd the vendor installer needs it; expires=2027-03-31
  # kharden:ignore-file=user-not-root the base image sets USER 65532

With --images, the image of every container (init, regular and ephemeral) of
every workload is read from its registry and judged by the image rules, as
kharden scan image does; the findings are placed at the container's image field
and suppressed by the object's annotations like the others. Each reference is
resolved once and each digest read once, a few at a time. This is the only way
kharden scan uses the network; --insecure-registry, --platform and --timeout
are as for kharden scan image. An image that cannot be read is an error at its
image field (exit 2), and the rest of the scan goes on. While layers are read,
a progress line is written to standard error when it is a terminal. Each
image's packages are also matched against the offline vulnerability database,
as kharden scan image does (--no-vulns, --db, --max-db-age, --ignore-unfixed,
--vex; docs/vulnerabilities.md), and each finding placed at the image field.
When the config has admission.imagePolicies, each image a policy covers (in
the object's namespace; every policy for an object without one) is verified as
the webhook verifies it: one that does not verify is a finding of IM-0014
image-signature-verified at its image field with the policy and the reason, and
a verification that cannot be made is an error there (exit 2).

With --seccomp-dir DIR, every Localhost seccomp profile a workload names (the
pod's and each container's, init and ephemeral included) is looked for in DIR:
the nodes' seccomp directory as the kubelet sees it (/var/lib/kubelet/seccomp
by default, which localhostProfile is relative to), or the tree it is installed
from, such as a directory of the profiles a repository ships. A profile that is
missing, a directory or not a valid OCI seccomp profile is a finding of KM-0058
seccomp-localhost-profile at its localhostProfile field; without --seccomp-dir
that rule does not run. The paths come from the manifests: nothing outside DIR
is read (a symbolic link leading out of it is not followed, and the profile
behind it is reported as not checked), nor more than 1 MiB of a profile.

The manifests choose the registries, so they are someone else's choice on a pull
request: kharden connects only to public addresses (no loopback, private,
link-local or cloud metadata address, whatever a name resolves to or a registry
redirects to) except for the registries you name with --allow-registry, and
with --allow-registry only the named registries are read ("*" adds any at a
public address). A config file cannot widen this.

A PATH under which nothing is found to scan (no manifest, Dockerfile, chart or
kustomization: a mistyped directory) is an error, so that a CI job does not pass
having checked nothing; --allow-empty makes it a note.

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it,
2 usage, input or operational errors.`,
		Example: `  kharden scan examples/
  kharden scan --images deploy/
  kharden scan --seccomp-dir deploy/seccomp deploy/
  kharden scan --images --allow-registry registry.corp.example:5000,ghcr.io deploy/
  kharden scan --images --ignore-unfixed --vex app.openvex.json -o sarif deploy/ > kharden.sarif
  kharden scan --profile pss-restricted:v1.30 -o sarif deploy/ > kharden.sarif
  helm template web ./chart | kharden scan -
  kharden scan charts/web --values prod.yaml --set image.tag=1.2.3
  kharden scan --dockerfile build/Dockerfile --build-context .`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && len(o.Dockerfiles) == 0 {
				return &exitError{ExitError, fmt.Errorf("give at least one PATH or --dockerfile FILE")}
			}
			o.Paths, o.Stdin, o.Version = args, s.In, Version
			memlimit.Hold(scanMemoryLimit)
			first := append(append([]string(nil), args...), o.Dockerfiles...)[0]
			if !contains(report.Formats, output) {
				return &exitError{ExitError, fmt.Errorf("unknown output format %q (want one of %v)", output, report.Formats)}
			}
			if o.FailOn != "" {
				if _, err := rule.ParseSeverity(o.FailOn); err != nil {
					return &exitError{ExitError, fmt.Errorf("--fail-on: %w", err)}
				}
			}
			cfg, err := loadConfig(configPath, noConfig, first)
			if err != nil {
				return &exitError{ExitError, err}
			}
			if err := sel.apply(cfg); err != nil {
				return &exitError{ExitError, err}
			}
			warnNoSeccompDir(s.Err, cfg, o.SeccompDir)
			if cmd.Flags().Changed("context") {
				fmt.Fprintln(s.Err, "kharden: warning: --context is now --build-context (--context names a kubeconfig context in kharden audit)")
			}
			o.Config = cfg
			if !o.Images {
				for _, f := range append([]string{"insecure-registry", "platform", "timeout", "allow-registry"}, vulnFlagNames...) {
					if cmd.Flags().Changed(f) {
						return &exitError{ExitError, fmt.Errorf("--%s applies to --images, which is not given", f)}
					}
				}
			}
			// A progress line while --images reads layers, cleared before each part
			// of the report is written.
			pl := progressTo(s.Err)
			if o.Images {
				o.Image.Progress = pl.callback()
			}
			sc, err := scan.New(o)
			if err != nil {
				return &exitError{ExitError, err}
			}
			if helmSet := helmFlagsGiven(cmd); helmSet != "" && !scan.HasChart(o.Paths) {
				fmt.Fprintf(s.Err, "kharden: warning: %s given, but no Helm chart is among the paths: it applies to charts only, and changes nothing here\n", helmSet)
			}
			src := configSource(configPath, noConfig, cfg)
			sc.Head().Config = src
			if dir := scannedDirHolding(src, scannedDirs(args, o.Dockerfiles, o.Context)); dir != "" {
				fmt.Fprintf(s.Err, "kharden: applying %s, found inside the scanned path %s: settings chosen by whoever wrote it (--no-config ignores it; --config %s applies it without this note)\n",
					src.File, dir, src.File)
			}
			// Each input is rendered as soon as it is scanned, so memory stays bounded by
			// the largest input rather than growing with the number of findings.
			st, err := report.NewStream(s.Out, output, report.Options{Color: output == "text" && isTerminal(s.Out)}, sc.Head())
			if err != nil {
				return &exitError{ExitError, err}
			}
			add := func(r *report.Report) error {
				pl.done()
				return st.Add(sel.filter(r))
			}
			err = sc.Each(cmd.Context(), add)
			pl.done()
			if err != nil {
				if errors.Is(err, scan.ErrInterrupted) {
					if _, cerr := st.Close(); cerr != nil {
						return &exitError{ExitError, cerr}
					}
					return stopped(cmd.Context(), "the report covers the inputs scanned before it")
				}
				return &exitError{ExitError, err}
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
	f.StringVarP(&output, "format", "o", "text", "output format: text, json, sarif, junit or html (one self-contained page)")
	f.StringVar(&o.Profile, "profile", "", "rule set: default, pss-baseline[:v1.N] or pss-restricted[:v1.N] (default \"default\")")
	f.StringVar(&o.FailOn, "fail-on", "", "lowest severity that fails the run: info, low, medium, high or critical (default \"high\")")
	f.StringVar(&configPath, "config", "", "config file (default: .kharden.yaml found upward from the first PATH, up to its repository's root)")
	f.BoolVar(&noConfig, "no-config", false, "ignore config files: use the built-in defaults (for content you do not own)")
	f.StringArrayVarP(&o.Helm.ValuesFiles, "values", "f", nil, "Helm values file for charts (repeatable)")
	f.StringArrayVar(&o.Helm.Set, "set", nil, "Helm value for charts, key=value (repeatable)")
	f.StringVarP(&o.Helm.Namespace, "namespace", "n", "", "release namespace for charts, as helm template --namespace (default \"default\")")
	f.StringVar(&o.Helm.ReleaseName, "release-name", "", "release name for charts (default \"release-name\")")
	f.BoolVar(&o.Kustomize.AllowRemote, "allow-remote-resources", false, "let kustomizations fetch the http(s) files they name (10 s and 8 MiB each; git repositories never)")
	f.IntVarP(&o.Jobs, "jobs", "j", 0, "inputs scanned in parallel (default: one per CPU); output order does not depend on it")
	f.StringArrayVar(&o.Dockerfiles, "dockerfile", nil, "Dockerfile to scan, whose build context is its directory or --build-context (repeatable; - reads standard input, with the current directory as context unless --build-context)")
	f.StringVar(&o.Context, "build-context", "", "build context directory of the --dockerfile files (default: each file's directory)")
	// --context was this flag's name; audit cluster's --context names a kubeconfig
	// context, so this one is --build-context, and the old name still works.
	f.StringVar(&o.Context, "context", "", "")
	f.MarkHidden("context")
	f.BoolVar(&o.Images, "images", false, "also read the image of every container from its registry and run the image rules on it (uses the network)")
	f.BoolVar(&o.Image.Insecure, "insecure-registry", false, "with --images: allow plain HTTP and unverified TLS to registries")
	f.StringVar(&o.Image.Platform, "platform", "", "with --images: platform to pick from a multi-platform image: os/arch[/variant] (default \"linux/amd64\")")
	f.StringSliceVar(&o.Registries, "allow-registry", nil, "with --images: registry the images may come from, host[:port] (repeatable, comma-separated; \"*\": any at a public address); only the named may be at a private or loopback address (default \"*\")")
	f.DurationVar(&o.Image.Timeout, "timeout", 2*time.Minute, "with --images: longest wait for a registry: to resolve an image, and between two bytes of a layer")
	vulnFlags(f, &o.Vulns, "with --images: ")
	f.BoolVar(&o.AllowEmpty, "allow-empty", false, "a PATH with nothing to scan under it (no manifest, Dockerfile, chart or kustomization) is a note, not an error (exit 2)")
	f.StringVar(&o.SeccompDir, "seccomp-dir", "", "directory holding the nodes' seccomp profiles (as under /var/lib/kubelet/seccomp): check that every Localhost profile a workload names is there and valid")
	return cmd
}

// loadConfig reads the config named with --config, or else the one found upward from
// first, or none (--no-config, or none found). A found one is named relative to the
// working directory when it is below it.
func loadConfig(path string, none bool, first string) (*config.Config, error) {
	if none {
		return &config.Config{}, nil
	}
	if path != "" {
		return config.Load(path)
	}
	if first == "-" {
		first = "."
	}
	found := config.Find(first)
	if found == "" {
		return &config.Config{}, nil
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, found); err == nil && filepath.IsLocal(rel) {
			found = rel
		}
	}
	return config.LoadFound(found)
}

// configSource is what the report says about the config loadConfig returned for the
// same flags.
func configSource(path string, none bool, cfg *config.Config) report.Config {
	switch {
	case none:
		return report.Config{Source: report.ConfigDisabled}
	case path != "":
		return report.Config{File: cfg.Path, Source: report.ConfigFlag}
	case cfg.Path != "":
		return report.Config{File: cfg.Path, Source: report.ConfigFound}
	}
	return report.Config{Source: report.ConfigNone}
}

// scannedDirs are the directories a scan reads: the PATHs, and the build context of
// the --dockerfile files (--build-context, or else each file's directory). scannedDirHolding
// keeps those that are directories.
func scannedDirs(paths, dockerfiles []string, context string) []string {
	dirs := append([]string(nil), paths...)
	if context != "" {
		return append(dirs, context)
	}
	for _, f := range dockerfiles {
		dirs = append(dirs, filepath.Dir(f))
	}
	return dirs
}

// scannedDirHolding returns the directory among paths that holds the config file src
// found, or "" when src was not found inside one: then it sits above what is scanned,
// in the user's own tree.
func scannedDirHolding(src report.Config, paths []string) string {
	if src.Source != report.ConfigFound {
		return ""
	}
	file, err := filepath.Abs(src.File)
	if err != nil {
		return ""
	}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			continue
		}
		if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
			continue
		}
		if rel, err := filepath.Rel(abs, file); err == nil && filepath.IsLocal(rel) {
			return p
		}
	}
	return ""
}

// exitFor turns the totals into the exit code: input errors win over findings, since a
// scan that could not read everything cannot vouch for anything.
// helmFlagsGiven names the chart flags given (--set, --values...), or "".
func helmFlagsGiven(cmd *cobra.Command) string {
	var given []string
	for _, f := range []string{"values", "set", "namespace", "release-name"} {
		if cmd.Flags().Changed(f) {
			given = append(given, "--"+f)
		}
	}
	return strings.Join(given, ", ")
}

// warnNoSeccompDir says that seccomp-localhost-profile, enabled by name (--enable or
// rules.enable), does not run without --seccomp-dir: there is nothing for it to look in.
func warnNoSeccompDir(w io.Writer, cfg *config.Config, dir string) {
	if dir != "" {
		return
	}
	for _, n := range cfg.Rules.Enable {
		if m := scan.LookupAny(n); m != nil && m.ID == k8s.SeccompLocalhostProfile.ID {
			fmt.Fprintf(w, "kharden: warning: %s %s is enabled, but it runs only with --seccomp-dir DIR, which is not given\n", m.ID, m.Slug)
			return
		}
	}
}

func exitFor(t report.Totals) error {
	if code := t.ExitCode(); code != ExitOK {
		return &exitError{code: code}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
