package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"

	"github.com/kharden/kharden/internal/audit"
	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/controller"
	"github.com/kharden/kharden/internal/scan"
	"github.com/kharden/kharden/internal/source/cluster"
	"github.com/kharden/kharden/internal/source/image"
	"github.com/kharden/kharden/internal/source/vulndb"
)

// controllerOptions are kharden controller's flags.
type controllerOptions struct {
	cc                   cluster.ConfigOptions
	configPath           string
	noConfig             bool
	profile, seccompDir  string
	reportAPI            string
	debounce, resync     time.Duration
	maxReportBytes       int
	metricsAddr          string
	leaderElect          bool
	leaseNamespace       string
	leaseName            string
	leaseDuration, renew time.Duration
	retry                time.Duration
	// --images and what goes with it.
	images       bool
	registries   []string
	insecure     bool
	imageTimeout time.Duration
	imageCheck   time.Duration
	imagePulls   int
	vulns        scan.VulnOptions
	dbUpdate     time.Duration
	dbBaseURL    string
}

// imageFlagNames are the flags that apply to --images only.
var imageFlagNames = append([]string{"allow-registry", "insecure-registry", "image-timeout", "image-check-interval", "image-pulls",
	"db-update-interval", "db-base-url"}, vulnFlagNames...)

func newController(s IO) *cobra.Command {
	var o controllerOptions
	cmd := &cobra.Command{
		Use:   "controller [flags]",
		Short: "Keep the cluster audit current, as PolicyReport objects and metrics",
		Long: `Run in the cluster and keep kharden audit cluster's results current: every
resource the audit reads is watched, and each change re-audits the objects it
touched (a RoleBinding, ServiceAccount or namespace change the objects it
affects), with the same rules, config and verdicts as kharden audit cluster.

The results are written as PolicyReport objects (wgpolicyk8s.io/v1alpha2, or
openreports.io/v1alpha1 with --report-api), one per object with results, in its
namespace, named kharden-KIND-NAME with the object as its scope, and a
ClusterPolicyReport kharden-cluster for cluster-scoped objects, the cluster as a
whole and the resources that could not be read. They are updated in place when
their content changes, emptied of what was fixed, deleted with their object, and
split (NAME-2, NAME-3...) when they would exceed the API server's object size limit. Dashboards
that read PolicyReports (Policy Reporter, Headlamp, Lens) show them; so does
kubectl get policyreports -A. Results: fail, error (could not judge), warn (to judge
by a person), skip (suppressed, with the reason).

With --images, the image every running container runs is read from its
registry (this uses the network) and judged as kharden scan image judges it: the
image rules and its known vulnerabilities, matched against the offline database
(--db). Each image is read once, by the digest the container runtime reports
and for its node's platform; its verdict is kept with its package list, and when
the database changes (a new generation, by kharden db update, by
--db-update-interval, or a volume updated elsewhere) every image is matched
again without being read again. The results go to the report of the pod's
workload (the Deployment of a ReplicaSet's pods, the CronJob of a Job's), at the
container's image field; an image that could not be read is an error result
there (image-read), tried again every --image-check-interval. Images are read
only from the registries --allow-registry names (default: any at a public
address; one at a private or loopback address must be named), with the
credentials of the controller's ~/.docker/config.json; a container runtime's
image ID that is not a registry reference by digest is never read.

Prometheus metrics and /healthz are served on --metrics-addr. With
--leader-elect (the default), replicas elect a leader with a Lease; only the
leader writes. The report CRDs must be installed (the chart does it).

Exit codes: 0 stopped by a signal after a clean shutdown, 2 usage or operational
error (CRDs missing, no cluster, leadership lost).`,
		Example: `  kharden controller --kubeconfig ~/.kube/config --leader-elect=false
  kharden controller --report-api openreports.io/v1alpha1 --metrics-addr :9090
  kharden controller --images --db /var/lib/kharden/db --db-update-interval 24h --allow-registry '*,registry.corp.example:5000'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !o.images {
				for _, f := range imageFlagNames {
					if cmd.Flags().Changed(f) {
						return &exitError{ExitError, fmt.Errorf("--%s applies to --images, which is not given", f)}
					}
				}
			}
			return runController(cmd.Context(), s, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.cc.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the pod's service account)")
	f.StringVar(&o.cc.Context, "context", "", "kubeconfig context (default: the current context)")
	f.StringVar(&o.configPath, "config", "", "config file (default: .kharden.yaml found upward from the current directory)")
	f.BoolVar(&o.noConfig, "no-config", false, "ignore config files")
	f.StringVar(&o.profile, "profile", "", "rule set: default, pss-baseline[:v1.N] or pss-restricted[:v1.N] (default \"default\")")
	f.StringVar(&o.seccompDir, "seccomp-dir", "", "directory holding the nodes' seccomp profiles: check that every Localhost profile a workload names is there")
	apis := make([]string, 0, len(controller.APIs))
	for k := range controller.APIs {
		apis = append(apis, k)
	}
	sort.Strings(apis)
	f.StringVar(&o.reportAPI, "report-api", "wgpolicyk8s.io/v1alpha2", "report API to write: "+strings.Join(apis, " or "))
	f.DurationVar(&o.debounce, "debounce", 100*time.Millisecond, "how long a change waits for others before the audit runs")
	f.DurationVar(&o.resync, "resync", 10*time.Minute, "period of a full audit, nothing reused, and of rereading the reports")
	f.IntVar(&o.maxReportBytes, "max-report-bytes", 1<<20, "most bytes of results in one report object (the API server refuses objects over 1.5 MiB)")
	f.StringVar(&o.metricsAddr, "metrics-addr", ":8080", "address of /metrics and /healthz (\"\": none)")
	f.BoolVar(&o.leaderElect, "leader-elect", true, "elect a leader among replicas with a Lease; only the leader writes")
	f.StringVar(&o.leaseNamespace, "lease-namespace", "", "namespace of the Lease (default: $POD_NAMESPACE, then kharden)")
	f.StringVar(&o.leaseName, "lease-name", "kharden-controller", "name of the Lease")
	f.DurationVar(&o.leaseDuration, "lease-duration", 15*time.Second, "how long a leader's Lease holds without renewal")
	f.DurationVar(&o.renew, "renew-deadline", 10*time.Second, "how long the leader tries to renew before it gives up leading")
	f.DurationVar(&o.retry, "retry-period", 2*time.Second, "how often candidates try to acquire or renew the Lease")
	f.BoolVar(&o.images, "images", false, "also read the image of every running container from its registry and put its verdict (image rules, vulnerabilities) in its workload's report (uses the network)")
	f.StringSliceVar(&o.registries, "allow-registry", []string{"*"}, "with --images: registry images may be read from, host[:port] (repeatable, comma-separated; \"*\": any at a public address); only the named may be at a private or loopback address")
	f.BoolVar(&o.insecure, "insecure-registry", false, "with --images: allow plain HTTP and unverified TLS to registries")
	f.DurationVar(&o.imageTimeout, "image-timeout", 2*time.Minute, "with --images: longest wait for a registry: to resolve an image, and between two bytes of a layer")
	f.DurationVar(&o.imageCheck, "image-check-interval", 5*time.Minute, "with --images: how often the database is checked for a new generation and images that could not be read are tried again")
	f.IntVar(&o.imagePulls, "image-pulls", 2, "with --images: images read at once")
	f.DurationVar(&o.dbUpdate, "db-update-interval", 0, "with --images: download the vulnerability database (kharden db update) at start when it is missing or older than this, then this often (0: never; the database is kept current elsewhere)")
	f.StringVar(&o.dbBaseURL, "db-base-url", vulndb.DefaultBaseURL, "with --db-update-interval: where the OSV exports are: <base-url>/<ecosystem>/all.zip")
	vulnFlags(f, &o.vulns, "with --images: ")
	return cmd
}

func runController(ctx context.Context, s IO, o controllerOptions) error {
	api, ok := controller.APIs[o.reportAPI]
	if !ok {
		return &exitError{ExitError, fmt.Errorf("--report-api %q: want wgpolicyk8s.io/v1alpha2 or openreports.io/v1alpha1", o.reportAPI)}
	}
	if o.leaderElect && !(o.leaseDuration > o.renew && o.renew > o.retry && o.retry > 0) {
		return &exitError{ExitError, fmt.Errorf("--lease-duration %s > --renew-deadline %s > --retry-period %s > 0 is needed", o.leaseDuration, o.renew, o.retry)}
	}
	cfg, err := loadConfig(o.configPath, o.noConfig, ".")
	if err != nil {
		return &exitError{ExitError, err}
	}
	if os.Getenv("GOGC") == "" {
		// The controller holds every object's results for as long as it runs and is
		// mostly idle between changes: a heap at most half again its live size (not
		// twice) costs a little CPU per change and a third of its memory.
		debug.SetGCPercent(50)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		if limit, ok := containerMemoryLimit("/sys/fs/cgroup"); ok {
			debug.SetMemoryLimit(limit / 100 * 85)
			fmt.Fprintf(s.Err, "kharden controller: the container may use %d MiB: Go's memory limit set to 85%% of it (GOMEMLIMIT overrides)\n", limit>>20)
		}
	}
	a, err := audit.New(audit.Options{Config: cfg, Profile: o.profile, Version: Version, SeccompDir: o.seccompDir})
	if err != nil {
		return &exitError{ExitError, err}
	}
	var images *controller.ImageOptions
	if o.images {
		if images, err = imageOptions(o, cfg); err != nil {
			return &exitError{ExitError, err}
		}
	}
	rc, err := cluster.Config(o.cc)
	if err != nil {
		return &exitError{ExitError, err}
	}
	if images != nil && o.dbUpdate > 0 {
		go updateDB(ctx, s, images.DB, o.dbBaseURL, o.dbUpdate)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := controller.NewMetrics(reg)
	if o.metricsAddr != "" {
		ln, err := net.Listen("tcp", o.metricsAddr)
		if err != nil {
			return &exitError{ExitError, fmt.Errorf("--metrics-addr: %w", err)}
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		fmt.Fprintf(s.Err, "kharden controller: metrics on http://%s/metrics\n", ln.Addr())
	}
	run := func(ctx context.Context) error {
		c, err := controller.New(ctx, controller.Options{Auditor: a, Config: rc, API: api, Debounce: o.debounce, Resync: o.resync,
			MaxReportBytes: o.maxReportBytes, Metrics: metrics, Log: s.Err, Images: images})
		if err != nil {
			return err
		}
		return c.Run(ctx)
	}
	if !o.leaderElect {
		err = run(ctx)
	} else {
		err = leading(ctx, s, o, rc, run)
	}
	if ctx.Err() != nil {
		return stopped(ctx, "the reports are as last written")
	}
	if err != nil {
		return &exitError{ExitError, err}
	}
	return nil
}

// containerMemoryLimit is the memory limit of the process's cgroup under root (cgroup
// v2's memory.max, else v1's memory.limit_in_bytes), if it has one: near it, the
// garbage collector then works harder rather than the kernel killing the pod.
func containerMemoryLimit(root string) (int64, bool) {
	for _, p := range []string{"memory.max", "memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		// "max", or v1's page-rounded largest value: no limit.
		if err != nil || n <= 0 || n >= 1<<50 {
			return 0, false
		}
		return n, true
	}
	return 0, false
}

// imageOptions are the controller's image options of --images: the registry guard,
// the scanner made anew when the database changes, the database watched.
func imageOptions(o controllerOptions, cfg *config.Config) (*controller.ImageOptions, error) {
	if o.imagePulls < 1 {
		return nil, fmt.Errorf("--image-pulls %d: want at least 1", o.imagePulls)
	}
	if o.imageCheck < time.Second {
		return nil, fmt.Errorf("--image-check-interval %s: want at least 1s", o.imageCheck)
	}
	if o.dbUpdate > 0 && o.vulns.Off {
		return nil, errors.New("--db-update-interval with --no-vulns: nothing would read the database")
	}
	guard, err := scan.NewRegistryGuard(o.registries, o.insecure)
	if err != nil {
		return nil, err
	}
	vo := o.vulns
	if vo.DB == "" && !vo.Off {
		if vo.DB, err = vulndb.DefaultDir(); err != nil {
			return nil, err
		}
	}
	io := image.Options{Insecure: o.insecure, Transport: guard.Transport, Timeout: o.imageTimeout}
	scanner := func() (*scan.ImageScanner, error) {
		return scan.NewImage(scan.ImageOptions{Config: cfg, Image: io, Vulns: vo, Version: Version})
	}
	// The options are checked now, not at the first database change.
	sc, err := scanner()
	if err != nil {
		return nil, err
	}
	sc.Close()
	db := vo.DB
	if vo.Off {
		db = ""
	}
	return &controller.ImageOptions{Scanner: scanner, DB: db, Allow: guard.Allow, Check: o.imageCheck, Pulls: o.imagePulls}, nil
}

// updateDB downloads the vulnerability database into dir at start when it is missing
// or older than every, then every so often, until ctx ends. The controller notices each
// new generation and matches the images against it.
func updateDB(ctx context.Context, s IO, dir, baseURL string, every time.Duration) {
	wait := time.Duration(0)
	if db, err := vulndb.Open(dir); err == nil {
		if age := db.Status().Age; age < every {
			wait = every - age
		}
		db.Close()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		start := time.Now()
		st, err := vulndb.Update(ctx, dir, baseURL, nil, nil)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			fmt.Fprintf(s.Err, "kharden controller: updating the vulnerability database %s: %v; tried again in an hour\n", dir, err)
			wait = min(time.Hour, every)
			continue
		}
		fmt.Fprintf(s.Err, "kharden controller: vulnerability database %s updated in %s: generation %s\n", dir, time.Since(start).Round(time.Second), st.Generation)
		wait = every
	}
}

// leading runs run while this process holds the Lease, and returns when it loses it
// (another replica then leads) or ctx ends.
func leading(ctx context.Context, s IO, o controllerOptions, rc *rest.Config, run func(context.Context) error) error {
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	ns := o.leaseNamespace
	if ns == "" {
		ns = os.Getenv("POD_NAMESPACE")
	}
	if ns == "" {
		ns = "kharden"
	}
	host, _ := os.Hostname()
	id := fmt.Sprintf("%s_%d", host, os.Getpid())
	lock := &resourcelock.LeaseLock{LeaseMeta: metav1.ObjectMeta{Namespace: ns, Name: o.leaseName}, Client: cs.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: id}}
	// The elector runs until ctx ends or the leadership is lost; a controller that stops
	// on its own (an error) ends it too, releasing the Lease for another replica.
	electCtx, stopElecting := context.WithCancel(ctx)
	defer stopElecting()
	done := make(chan error, 1)
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock: lock, LeaseDuration: o.leaseDuration, RenewDeadline: o.renew, RetryPeriod: o.retry, ReleaseOnCancel: true,
		Name: o.leaseName,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				fmt.Fprintf(s.Err, "kharden controller: %s leads (Lease %s/%s)\n", id, ns, o.leaseName)
				done <- run(ctx)
				stopElecting()
			},
			OnStoppedLeading: func() {},
			OnNewLeader: func(leader string) {
				if leader != id {
					fmt.Fprintf(s.Err, "kharden controller: %s leads; %s waits\n", leader, id)
				}
			},
		},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(s.Err, "kharden controller: %s waits for the Lease %s/%s\n", id, ns, o.leaseName)
	le.Run(electCtx)
	select {
	case runErr := <-done: // it led: wait for the controller to stop
		if ctx.Err() != nil {
			return nil
		}
		if runErr != nil && !errors.Is(runErr, context.Canceled) {
			return runErr
		}
		return errors.New("lost the leadership: another replica leads now")
	default:
	}
	if ctx.Err() != nil {
		return nil
	}
	// It led and its controller is still stopping: wait for it.
	if runErr := <-done; runErr != nil && !errors.Is(runErr, context.Canceled) {
		return runErr
	}
	return errors.New("lost the leadership: another replica leads now")
}
