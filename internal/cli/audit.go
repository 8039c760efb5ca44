package cli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kharden/kharden/internal/audit"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

func newAudit(s IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Audit a live system",
		Long: "Audit a live system: `kharden audit cluster` reads a running Kubernetes cluster, " +
			"`kharden audit node` a node (the CIS Kubernetes Benchmark and OS hardening).",
	}
	cmd.AddCommand(newAuditCluster(s), newAuditNode(s))
	return cmd
}

func newAuditCluster(s IO) *cobra.Command {
	var (
		o          audit.Options
		cc         cluster.ConfigOptions
		output     string
		configPath string
		noConfig   bool
		sel        selection
	)
	cmd := &cobra.Command{
		Use:   "cluster [flags]",
		Short: "Audit a running Kubernetes cluster",
		Long: `Audit a running Kubernetes cluster: its workloads, RBAC, namespaces, network
policies, nodes, admission webhooks and control plane.

The cluster and credentials are chosen as kubectl chooses them (--kubeconfig,
$KUBECONFIG, ~/.kube/config, --context); inside a pod without a kubeconfig, the
pod's service account is used. The audit only reads: get and list on the
resources deploy/audit-rbac.yaml grants, never Secrets. A resource it may not
list is reported and the audit goes on; the rules that needed it report an error.

Every workload is checked with the manifest rules (the same IDs as kharden scan),
located by object and field path (k8s://NAMESPACE/KIND/NAME); pods, ReplicaSets
and Jobs run by a controller are reported once, through their controller. The
cluster rules (KC-xxxx) check the cluster as a whole.

With --seccomp-dir DIR, every Localhost seccomp profile a workload names is
looked for in DIR, the tree the nodes' seccomp directory is installed from, as
kharden scan --seccomp-dir does (KM-0058 seccomp-localhost-profile).

Settings come from .kharden.yaml, found upward from the current directory, or
--config; exemptNamespaces leave namespaces out. Findings are suppressed per object
with an annotation naming the rule's slug or ID, as for kharden scan:
  ignore.kharden.io/host-network: "node exporter needs it; expires=2027-03-31"

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it,
2 usage or operational errors (a cluster that cannot be reached, resources that
could not be read).`,
		Example: `  kharden audit cluster
  kharden audit cluster --context prod -n shop
  kharden audit cluster -o sarif > cluster.sarif`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Version = Version
			if !contains(report.Formats, output) {
				return &exitError{ExitError, fmt.Errorf("unknown output format %q (want one of %v)", output, report.Formats)}
			}
			if o.FailOn != "" {
				if _, err := rule.ParseSeverity(o.FailOn); err != nil {
					return &exitError{ExitError, fmt.Errorf("--fail-on: %w", err)}
				}
			}
			cfg, err := loadConfig(configPath, noConfig, ".")
			if err != nil {
				return &exitError{ExitError, err}
			}
			if err := sel.apply(cfg); err != nil {
				return &exitError{ExitError, err}
			}
			warnNoSeccompDir(s.Err, cfg, o.SeccompDir)
			o.Config = cfg
			progress := newProgress(s.Err)
			o.Progress = progress.update
			a, err := audit.New(o)
			if err != nil {
				return &exitError{ExitError, err}
			}
			a.Head().Config = configSource(configPath, noConfig, cfg) // every report names it
			rc, err := cluster.Config(cc)
			if err != nil {
				return &exitError{ExitError, err}
			}
			ctx := cmd.Context()
			snap, err := a.Read(ctx, rc)
			progress.done()
			if err != nil {
				if ctx.Err() != nil {
					return stopped(ctx, "nothing was audited")
				}
				return &exitError{ExitError, err}
			}
			st, err := report.NewStream(s.Out, output, report.Options{Color: output == "text" && isTerminal(s.Out)}, a.Head())
			if err != nil {
				return &exitError{ExitError, err}
			}
			var sum audit.Summary
			if err := a.Each(snap, func(part *report.Report) error {
				part = sel.filter(part)
				sum.Add(part)
				return st.Add(part)
			}); err != nil {
				return &exitError{ExitError, err}
			}
			totals, err := st.Close()
			if err != nil {
				return &exitError{ExitError, err}
			}
			if output == "text" {
				if _, err := fmt.Fprintln(s.Out); err != nil {
					return &exitError{ExitError, err}
				}
				if err := sum.Write(s.Out); err != nil {
					return &exitError{ExitError, err}
				}
			}
			return exitFor(totals)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cc.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the pod's service account)")
	f.StringVar(&cc.Context, "context", "", "kubeconfig context (default: the current context)")
	f.StringVarP(&o.Namespace, "namespace", "n", "", "audit one namespace (default: all namespaces)")
	sel.register(f)
	f.StringVarP(&output, "format", "o", "text", "output format: text, json, sarif, junit or html (one self-contained page)")
	f.StringVar(&o.Profile, "profile", "", "rule set: default, pss-baseline[:v1.N] or pss-restricted[:v1.N] (default \"default\")")
	f.StringVar(&o.FailOn, "fail-on", "", "lowest severity that fails the run: info, low, medium, high or critical (default \"high\")")
	f.StringVar(&configPath, "config", "", "config file (default: .kharden.yaml found upward from the current directory)")
	f.BoolVar(&noConfig, "no-config", false, "ignore config files")
	f.Int64Var(&o.PageSize, "page-size", 500, "objects per list request")
	f.DurationVar(&o.ConnectTimeout, "connect-timeout", 8*time.Second, "how long the first request may take before the API server counts as unreachable")
	f.StringVar(&o.SeccompDir, "seccomp-dir", "", "directory holding the nodes' seccomp profiles (as under /var/lib/kubelet/seccomp): check that every Localhost profile a workload names is there and valid")
	return cmd
}

// progress shows, on a terminal, how many objects of each resource have been listed,
// on one line overwritten in place; elsewhere it shows nothing.
type progress struct {
	w     io.Writer // nil: not a terminal
	mu    sync.Mutex
	names []string
	n     map[string]int
	total int
	last  time.Time
	shown bool
}

func newProgress(w io.Writer) *progress {
	p := &progress{n: map[string]int{}}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.w = w
	}
	return p
}

func (p *progress) update(resource string, n int) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	// The resource listed last comes first, so what is moving stays in view.
	if i := slices.Index(p.names, resource); i >= 0 {
		p.names = slices.Delete(p.names, i, i+1)
	}
	p.names = slices.Insert(p.names, 0, resource)
	p.total += n - p.n[resource]
	p.n[resource] = n
	if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond {
		p.last = now
		p.draw()
	}
}

// draw writes the line: "listed 10012 objects: 10000 deployments, 12 namespaces, ...", cut to the
// terminal's width so it never wraps.
func (p *progress) draw() {
	var b strings.Builder
	b.WriteString("listed " + strconv.Itoa(p.total) + " objects:")
	for i, name := range p.names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(" " + strconv.Itoa(p.n[name]) + " " + name)
	}
	line := b.String()
	if f, ok := p.w.(*os.File); ok {
		if width, _, err := term.GetSize(int(f.Fd())); err == nil && width > 1 && len(line) >= width {
			line = line[:width-1]
		}
	}
	fmt.Fprint(p.w, "\r\x1b[K"+line)
	p.shown = true
}

// done clears the line.
func (p *progress) done() {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
}
