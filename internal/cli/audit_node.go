package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/internal/audit"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

func newAuditNode(s IO) *cobra.Command {
	var (
		o          audit.NodeOptions
		root       string
		output     string
		configPath string
		noConfig   bool
		repeat     time.Duration
		sel        selection
	)
	cmd := &cobra.Command{
		Use:   "node [flags]",
		Short: "Audit a node: the CIS Kubernetes Benchmark and OS hardening",
		Long: `Audit the node kharden runs on, or a node's root filesystem mounted elsewhere
(--root /host, as the DaemonSet in deploy/node-audit does; its processes are read
from /host/proc, so the pod needs hostPID).

Facts are collected once: the kube-apiserver, kube-controller-manager,
kube-scheduler, etcd, kubelet and kube-proxy found as processes (else as static pod
manifests, else as systemd units) with their flags and the files those name (the
kubelet's config file merged as the kubelet merges it); the owner and mode of the
files the CIS Benchmark names; the kernel, sysctls, modprobe.d, sshd, sudoers, PAM,
SELinux and AppArmor. Then the rules run over them: the control-plane rules of
kharden audit cluster (KC-xxxx, the same checks over processes instead of pods),
and the node rules (KN-xxxx).

A check that cannot be evaluated is an error (a file that cannot be read: run as
root, or with the DaemonSet's capabilities), and one about something the node does
not have (no etcd on a worker) is skipped: neither is ever a failure.

Vulnerabilities (practice A3): the packages of the node's package databases
(dpkg, apk, rpm, under --root) and the Go modules of its Kubernetes and container
runtime programs (kubelet, kube-proxy, containerd, runc, crictl, etcd, the CNI
plugins in /opt/cni/bin... in the usual bin directories, and those the running
processes name) are matched against the offline vulnerability database, as
kharden scan image matches an image's: each finding is at the package's file
(/var/lib/dpkg/status, /usr/bin/kubelet). The database (--db, else $KHARDEN_DB,
else the user cache directory's) is opened at each audit, so that --repeat reads
the one updated meanwhile; without one, a note says so. --no-vulns turns this
off; --benchmark does not match. See docs/vulnerabilities.md.

--benchmark cis-1.12 runs only the rules that check benchmark items and, with the
text output, prints a report numbered like the benchmark: PASS, FAIL, WARN (a
person must judge: Manual items, with guidance), ERROR and SKIP for each item of
sections 1 to 4. The JSON, SARIF and JUnit outputs carry each result's item as
"control".

Only regular files are read: a FIFO, device or socket where a file is expected
is an error for the checks that needed it.

Exit codes: 0 nothing at or above --fail-on, 1 failures at or above it, 2 usage
errors or checks that could not be evaluated, 130 or 143 stopped by SIGINT or
SIGTERM (with --repeat, a signal between two audits exits 0).`,
		Example: `  sudo kharden audit node
  sudo kharden audit node --benchmark cis-1.12
  kharden audit node --root /host -o json --repeat 24h
  kharden audit node --root /host --db /var/lib/kharden/db --ignore-unfixed`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Version = Version
			if !contains(report.Formats, output) {
				return &exitError{ExitError, fmt.Errorf("unknown output format %q (want one of %v)", output, report.Formats)}
			}
			if repeat < 0 {
				return &exitError{ExitError, fmt.Errorf("--repeat: must not be negative")}
			}
			cfg, err := loadConfig(configPath, noConfig, ".")
			if err != nil {
				return &exitError{ExitError, err}
			}
			if err := sel.apply(cfg); err != nil {
				return &exitError{ExitError, err}
			}
			o.Config = cfg
			a, err := audit.NewNode(o)
			if err != nil {
				return &exitError{ExitError, err}
			}
			a.Head().Config = configSource(configPath, noConfig, cfg) // every report names it
			h, err := node.Open(root)
			if err != nil {
				return &exitError{ExitError, fmt.Errorf("--root: %w", err)}
			}
			// SIGINT and SIGTERM end ctx (see Main): a run under way finishes and prints
			// its report if it can within a second, and --repeat stops waiting.
			ctx := cmd.Context()
			for {
				err := auditNodeOnce(s, a, h, root, output, &sel)
				if repeat == 0 {
					return err
				}
				// Each run's report is complete; an error of one run is told and the
				// next run tries again, so that a DaemonSet does not crash-loop.
				if e, ok := err.(*exitError); ok && e.err != nil {
					fmt.Fprintf(s.Err, "kharden: %v\n", e.err)
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(repeat):
				}
			}
		},
	}
	f := cmd.Flags()
	f.StringVar(&root, "root", "/", "the node's root filesystem (its processes are read from ROOT/proc)")
	f.StringVar(&o.Benchmark, "benchmark", "", "run only the rules of a benchmark and number the text report like it: cis-1.12")
	sel.register(f)
	f.StringVarP(&output, "format", "o", "text", "output format: text, json, sarif, junit or html (one self-contained page)")
	f.StringVar(&o.FailOn, "fail-on", "", "lowest severity that fails the run: info, low, medium, high or critical (default \"high\")")
	f.StringVar(&configPath, "config", "", "config file (default: .kharden.yaml found upward from the current directory)")
	f.BoolVar(&noConfig, "no-config", false, "ignore config files")
	f.DurationVar(&repeat, "repeat", 0, "audit again after this long, for ever (0: audit once); for a DaemonSet")
	vulnFlags(f, &o.Vulns, "")
	return cmd
}

// auditNodeOnce collects the facts, evaluates the rules and writes one report.
func auditNodeOnce(s IO, a *audit.NodeAuditor, h *node.Host, root, output string, sel *selection) error {
	facts := node.Collect(h)
	results := a.Evaluate(facts)
	rep := sel.filter(audit.WithVulnerabilities(a.Report(facts, results), a.Vulnerabilities(h)))
	// The HTML page lists findings like the other commands' pages: a benchmark view of
	// it is kharden report --framework cis-1.12 over the JSON results.
	if b := a.Benchmark(); b != nil && output != "html" {
		var err error
		if output == "text" {
			heading := fmt.Sprintf("%s, sections 1-4 — kharden %s, node root %s\nconfig: %s", b.Title, Version, root, a.Head().Config)
			_, err = audit.WriteBenchmark(s.Out, b, heading, results)
		} else {
			// Every item, numbered as the benchmark numbers it, in the format asked for.
			doc := audit.NewBenchmarkDoc(b, Version, root, a.Head().Config.String(), results)
			switch output {
			case "json":
				err = doc.WriteJSON(s.Out)
			case "junit":
				err = doc.WriteJUnit(s.Out)
			case "sarif":
				err = doc.WriteSARIF(s.Out)
			}
		}
		if err != nil {
			return &exitError{ExitError, err}
		}
		return exitFor(totalsOf(rep))
	}
	// The report is its own head: its rules are those that ran and the advisories found.
	st, err := report.NewStream(s.Out, output, report.Options{Color: output == "text" && isTerminal(s.Out)}, rep)
	if err != nil {
		return &exitError{ExitError, err}
	}
	if err := st.Add(rep); err != nil {
		return &exitError{ExitError, err}
	}
	totals, err := st.Close()
	if err != nil {
		return &exitError{ExitError, err}
	}
	return exitFor(totals)
}

// totalsOf is what exitFor needs of a report that was not streamed.
func totalsOf(r *report.Report) report.Totals {
	t := report.Totals{Failed: r.Failed(), Errors: len(r.Errors)}
	for _, res := range r.Results {
		if res.Status == rule.Error {
			t.RuleErrors++
		}
	}
	return t
}
