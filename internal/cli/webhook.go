package cli

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"

	"github.com/kharden/kharden/internal/admission"
	"github.com/kharden/kharden/internal/source/cluster"
	"github.com/kharden/kharden/internal/webhook"
)

func newWebhook(s IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "webhook",
		Short: "Enforce the scan's rules at admission",
		Long: `kharden webhook serve runs a Kubernetes admission webhook that judges pods and
controllers with the same engine and rules as kharden scan; kharden webhook certs
writes the certificates it serves with.`,
	}
	cmd.AddCommand(newWebhookServe(s), newWebhookCerts(s))
	return cmd
}

func newWebhookServe(s IO) *cobra.Command {
	var (
		addr, certDir, certFile, keyFile string
		configPath, logLevel             string
		noConfig, noCluster              bool
		cpuProfile, heapProfile          string
		cc                               cluster.ConfigOptions
		o                                webhook.Options
		ao                               admission.Options
	)
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Serve the admission webhook over HTTPS",
		Long: `Serve the admission webhook: AdmissionReview v1 on /validate (deny, warn,
audit) and /mutate (hardening defaults), /healthz, /readyz and Prometheus /metrics,
all over HTTPS.

A request is judged by its namespace's policy, chosen by namespace labels:
  kharden.io/enforce: high             deny findings at or above high
  kharden.io/enforce: pss-restricted   deny any Pod Security restricted violation
  kharden.io/enforce-version: v1.30    the Pod Security version (default latest)
  kharden.io/warn: medium              admission warnings (also -version)
  kharden.io/audit: low                audit annotations (also -version)
  kharden.io/mutate: "true"            fill in unset runAsNonRoot, seccomp RuntimeDefault,
                                       allowPrivilegeEscalation false, drop ALL
                                       ("read-only-root" also readOnlyRootFilesystem)
A level is a severity (the config's profile at or above it, as kharden scan
--fail-on), pss-baseline, pss-restricted or off. Namespaces without a label get the
config file's admission section:
  admission: {enforce: high, warn: low, audit: low, mutate: "false"}
and the rest of the config (rules, severities, allowed registries, exempt namespaces)
applies as it does to kharden scan, so the webhook admits what the scan passes, with
one difference: an object's own ignore.kharden.io annotations exempt nothing at
admission. Exceptions are written by the admins in the config:
  admission:
    exceptions:
      - {namespace: monitoring, name: "node-exporter*", kinds: [DaemonSet, Pod],
         rules: [host-network], reason: "...", expires: 2027-03-31}
(admission.trustSuppressionAnnotations: true reads annotations again: dangerous).
Label values are read exactly as the webhook configurations' selectors match them
(high, not High); another spelling is reported, and denies where it is enforce.
Controllers are judged by their pod template, pods by their spec. Namespace labels
are read from the cluster (--kubeconfig, else the pod's service account) and kept
in a cache; /readyz answers 503 until it is filled.

The serving certificate is read from --cert-dir (tls.crt, tls.key), as a
kubernetes.io/tls Secret mounts it, and read again when the files change. On SIGTERM
the server reports unready, waits --shutdown-delay, then finishes requests in flight.

Every review is bounded: a workload with more than --max-containers containers, or
an object with more than --max-elements list items and map entries, is not judged
(an enforce level denies it, warn warns); warnings stay within the API server's
budget of 4,096 characters; the reviews in flight share --memory-budget, and one
that cannot get its share within --queue-wait gets HTTP 429, which the API server
handles by the webhook's failurePolicy.

Image policies (admission.imagePolicies in the config) require the images of the
workloads judged to be signed, as kharden verify checks them:
  admission:
    imagePolicies:
      - {name: prod, images: ["registry.example.com/**"], keys: [cosign.pub],
         attestation: {maxAge: 7d, failOn: high}}
In a namespace whose enforce level is on, an image a policy covers that does not
verify (or cannot be verified within --image-timeout) is denied; warn and audit
levels warn and annotate. With mutation on, verified images are pinned to the
digest verified. Registry credentials: the workload's imagePullSecrets, then the
webhook's own (docker config). Verifications are cached (--image-cache-ttl).`,
		Example: `  kharden webhook certs --service kharden-webhook --namespace kharden --out /tmp/tls
  kharden webhook serve --cert-dir /tmp/tls --config kharden.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(configPath, noConfig, ".")
			if err != nil {
				return &exitError{ExitError, err}
			}
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return &exitError{ExitError, fmt.Errorf("--log-level: %w", err)}
			}
			log := slog.New(slog.NewTextHandler(s.Err, &slog.HandlerOptions{Level: level}))
			// The config decides every verdict: say which one is served.
			log.Info("config", "file", configSource(configPath, noConfig, cfg).String())
			// The webhook's live heap is small (tens of MB) and each request allocates
			// afresh, so the default GOGC=100 collects far too often: 400 trades a few
			// tens of MB for a third less CPU per request (docs/benchmarks.md). GOGC in
			// the environment still wins.
			if os.Getenv("GOGC") == "" {
				debug.SetGCPercent(400)
			}
			// That headroom must not outgrow the container: under a memory limit the
			// collector works harder past 70% of it, the rest being the binary's pages
			// and what the runtime has yet to return (GOMEMLIMIT in the environment wins).
			if l := webhook.MemoryLimit(); l > 0 && os.Getenv("GOMEMLIMIT") == "" {
				debug.SetMemoryLimit(l / 10 * 7)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return &exitError{ExitError, err}
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return &exitError{ExitError, err}
				}
				defer pprof.StopCPUProfile()
			}
			if heapProfile != "" {
				defer func() {
					if err := writeHeapProfile(heapProfile); err != nil {
						fmt.Fprintf(s.Err, "kharden: heap profile: %v\n", err)
					}
				}()
			}
			var ns admission.Namespaces = admission.StaticNamespaces{}
			if !noCluster {
				rc, err := cluster.Config(cc)
				if err != nil {
					return &exitError{ExitError, err}
				}
				rc.QPS, rc.Burst = 50, 100
				client, err := kubernetes.NewForConfig(rc)
				if err != nil {
					return &exitError{ExitError, err}
				}
				inf := admission.NewNamespaceInformer(client, 10*time.Minute)
				inf.Start(ctx)
				ns, o.Ready = inf, inf.Synced
				// Image policies read the imagePullSecrets of the workloads they judge.
				ao.Images.Secrets = admission.ClientSecrets{Client: client}
			}
			if ao.Images.Timeout >= o.RequestTimeout {
				return &exitError{ExitError, fmt.Errorf("--image-timeout %s must be shorter than --request-timeout %s", ao.Images.Timeout, o.RequestTimeout)}
			}
			ao.Config, ao.Namespaces = cfg, ns
			rev, err := admission.New(ao)
			if err != nil {
				return &exitError{ExitError, err}
			}
			if inf, ok := ns.(*admission.NamespaceInformer); ok {
				// The selectors route a namespace by its labels' exact values: one kharden
				// cannot read is denied (enforce) or warned about on each request, and logged
				// here once per change for the admins.
				inf.Watch(func(name string, labels map[string]string) {
					for _, p := range rev.Defaults().For(labels).Problems {
						log.Warn("namespace label not read", "namespace", name, "label", p.Label, "problem", p.Err.Error())
					}
				})
			}
			if certFile == "" {
				certFile = filepath.Join(certDir, webhook.CertFile)
			}
			if keyFile == "" {
				keyFile = filepath.Join(certDir, webhook.KeyFile)
			}
			o.Reviewer, o.CertFile, o.KeyFile, o.Log = rev, certFile, keyFile, log
			srv, err := webhook.New(o)
			if err != nil {
				return &exitError{ExitError, err}
			}
			d := rev.Defaults()
			log.Info("policy for namespaces without labels", "enforce", d.Enforce, "warn", d.Warn, "audit", d.Audit, "mutate", d.Mutate)
			exceptions, trust := d.Exceptions()
			log.Info("admission exceptions", "exceptions", exceptions, "trustSuppressionAnnotations", trust)
			if ps := rev.ImagePolicies(); len(ps) > 0 {
				log.Info("image policies", "policies", ps, "timeout", ao.Images.Timeout, "cacheTTL", ao.Images.CacheTTL)
			}
			if trust {
				log.Warn("admission.trustSuppressionAnnotations is on: an object's own ignore.kharden.io annotations exempt it at admission, so whoever may create a workload may exempt it")
			}
			if err := srv.ListenAndServe(ctx, addr); err != nil {
				return &exitError{ExitError, err}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", ":8443", "address to listen on")
	f.StringVar(&certDir, "cert-dir", "/etc/kharden/tls", "directory holding tls.crt and tls.key")
	f.StringVar(&certFile, "tls-cert-file", "", "serving certificate (default: CERT-DIR/tls.crt)")
	f.StringVar(&keyFile, "tls-key-file", "", "serving key (default: CERT-DIR/tls.key)")
	f.StringVar(&configPath, "config", "", "config file (default: .kharden.yaml found upward from the current directory)")
	f.BoolVar(&noConfig, "no-config", false, "ignore config files")
	f.StringVar(&cc.Kubeconfig, "kubeconfig", "", "kubeconfig file for reading namespace labels (default: $KUBECONFIG, ~/.kube/config, then the pod's service account)")
	f.StringVar(&cc.Context, "context", "", "kubeconfig context (default: the current context)")
	f.StringVar(&cpuProfile, "cpu-profile", "", "write a CPU profile of the whole run to this file (for performance work)")
	_ = f.MarkHidden("cpu-profile")
	f.StringVar(&heapProfile, "heap-profile", "", "on exit, write a profile of the memory in use to this file (for performance work)")
	_ = f.MarkHidden("heap-profile")
	f.BoolVar(&noCluster, "no-cluster", false, "read no namespace labels: every namespace gets the config's admission defaults")
	f.Int64Var(&o.MaxBodyBytes, "max-body-bytes", 8<<20, "largest AdmissionReview accepted (HTTP 413 above)")
	f.DurationVar(&o.RequestTimeout, "request-timeout", 10*time.Second, "time limit for answering one request")
	f.Int64Var(&o.MemoryBudget, "memory-budget", 0, "memory the reviews in flight may take together, in bytes; a review waits for its share up to --queue-wait, then gets HTTP 429 (default: half the container's memory limit, else 128 MiB)")
	f.DurationVar(&o.QueueWait, "queue-wait", time.Second, "how long a review waits for its share of --memory-budget")
	f.IntVar(&ao.MaxContainers, "max-containers", admission.DefaultMaxContainers, "most containers of a workload judged in one review; past it, enforce denies and warn warns")
	f.IntVar(&ao.MaxElements, "max-elements", admission.DefaultMaxElements, "most list items and map entries of an object judged in one review; past it, as --max-containers")
	f.IntVar(&ao.MaxFindings, "max-findings", admission.DefaultMaxFindings, "most findings of one review; past it, enforce denies")
	f.DurationVar(&o.ShutdownDelay, "shutdown-delay", 0, "on SIGTERM, how long /readyz reports unready before the listener closes")
	f.DurationVar(&o.ShutdownTimeout, "shutdown-timeout", 25*time.Second, "on SIGTERM, how long requests in flight may take to finish")
	f.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.DurationVar(&ao.Images.Timeout, "image-timeout", admission.DefaultImageTimeout, "with admission.imagePolicies: the registry work of one review, every image together; keep it below the webhook configurations' timeoutSeconds")
	f.DurationVar(&ao.Images.CacheTTL, "image-cache-ttl", admission.DefaultImageCacheTTL, "with admission.imagePolicies: how long a verification of a digest is reused")
	f.IntVar(&ao.Images.CacheSize, "image-cache-size", admission.DefaultImageCacheSize, "with admission.imagePolicies: how many verifications are cached")
	f.BoolVar(&ao.Images.Registry.Insecure, "insecure-registry", false, "with admission.imagePolicies: allow plain HTTP and unverified TLS to registries")
	return cmd
}

func newWebhookCerts(s IO) *cobra.Command {
	var (
		out string
		o   webhook.CertOptions
	)
	cmd := &cobra.Command{
		Use:   "certs --service NAME --namespace NS --out DIR",
		Short: "Write a CA and a serving certificate for the webhook",
		Long: `Write a CA (ca.crt, ca.key) and a serving certificate signed by it (tls.crt,
tls.key) for the webhook's Service: valid for NAME, NAME.NS, NAME.NS.svc and
NAME.NS.svc.cluster.local, plus any --host. A CA already in DIR is reused, so running
the command again renews the serving certificate while the webhook configurations'
caBundle stays valid; the server picks up the new files without a restart. Keys are
ECDSA P-256, written with mode 0600. The caBundle (base64 of ca.crt) is printed.`,
		Example: `  kharden webhook certs --service kharden-webhook --namespace kharden --out tls/
  kubectl -n kharden create secret tls kharden-webhook-tls --cert tls/tls.crt --key tls/tls.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return &exitError{ExitError, errors.New("--out is required")}
			}
			if o.Service == "" && len(o.Hosts) == 0 {
				return &exitError{ExitError, errors.New("--service (with --namespace) or --host is required")}
			}
			if o.Service != "" && o.Namespace == "" {
				return &exitError{ExitError, errors.New("--namespace is required with --service")}
			}
			files, err := webhook.WriteCerts(out, o)
			if err != nil {
				return &exitError{ExitError, err}
			}
			ca, err := os.ReadFile(files.CA)
			if err != nil {
				return &exitError{ExitError, err}
			}
			what := "reused"
			if files.NewCA {
				what = "created"
			}
			fmt.Fprintf(s.Out, "CA (%s):  %s, %s\nserving:  %s, %s\ncaBundle: %s\n", what, files.CA, files.CAKey,
				files.Cert, files.Key, base64.StdEncoding.EncodeToString(ca))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Service, "service", "", "name of the webhook's Service")
	f.StringVarP(&o.Namespace, "namespace", "n", "", "namespace of the Service")
	f.StringVar(&out, "out", "", "directory to write into")
	f.StringArrayVar(&o.Hosts, "host", nil, "another DNS name or IP address to serve as (repeatable)")
	f.DurationVar(&o.Validity, "validity", 365*24*time.Hour, "validity of the serving certificate")
	return cmd
}

// writeHeapProfile writes what is live after a collection: the memory every collection
// has to mark.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
