package webhook

import (
	"crypto/x509"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/kharden/kharden/internal/workload"
)

// metrics are the webhook's Prometheus metrics, in a registry of their own.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec   // endpoint, operation, kind, decision
	latency  *prometheus.HistogramVec // endpoint
	ruleHits *prometheus.CounterVec   // rule
	reloads  *prometheus.CounterVec   // result
	expiry   prometheus.Gauge
	inflight prometheus.Gauge
	// Image verification (admission.imagePolicies).
	imageVerifications *prometheus.CounterVec // result
	imageCache         *prometheus.CounterVec // result: hit, miss
	registryLatency    prometheus.Histogram
}

// Decisions counted besides admission's outcomes: requests answered with an HTTP error.
const (
	decisionBadRequest = "bad_request"
	decisionInternal   = "internal_error"
	// decisionOverloaded: refused with HTTP 429, the memory budget spent for QueueWait.
	decisionOverloaded = "overloaded"
)

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kharden", Subsystem: "webhook", Name: "requests_total",
			Help: "AdmissionReviews answered, by endpoint (validate, mutate), operation, kind and decision " +
				"(allowed, warned, denied, patched, error, bad_request, internal_error, overloaded).",
		}, []string{"endpoint", "operation", "kind", "decision"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "kharden", Subsystem: "webhook", Name: "request_duration_seconds",
			Help:    "Time from reading an AdmissionReview's first byte to writing the response, by endpoint.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"endpoint"}),
		ruleHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kharden", Subsystem: "webhook", Name: "rule_hits_total",
			Help: "Findings that counted in a validation (at or above a mode's level), by rule ID.",
		}, []string{"rule"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kharden", Subsystem: "webhook", Name: "certificate_reloads_total",
			Help: "Loads of the serving certificate from its files, by result (ok, error).",
		}, []string{"result"}),
		expiry: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "kharden", Subsystem: "webhook", Name: "certificate_expiry_timestamp_seconds",
			Help: "When the serving certificate in service expires (Unix time).",
		}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "kharden", Subsystem: "webhook", Name: "requests_in_flight",
			Help: "AdmissionReviews being answered.",
		}),
		imageVerifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kharden", Subsystem: "webhook", Name: "image_verifications_total",
			Help: "Images judged against an image policy, from the cache or the registry, by result (verified, not_verified, error).",
		}, []string{"result"}),
		imageCache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kharden", Subsystem: "webhook", Name: "image_cache_lookups_total",
			Help: "Lookups of the image verification cache for a digest and policy, by result (hit, miss).",
		}, []string{"result"}),
		registryLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "kharden", Subsystem: "webhook", Name: "registry_request_duration_seconds",
			Help:    "Time of each HTTP request to a registry while verifying images.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.ruleHits, m.reloads, m.expiry, m.inflight,
		m.imageVerifications, m.imageCache, m.registryLatency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ImageVerification implements admission.ImageMetrics.
func (m *metrics) ImageVerification(result string) {
	m.imageVerifications.WithLabelValues(result).Inc()
}

// ImageCacheLookup implements admission.ImageMetrics.
func (m *metrics) ImageCacheLookup(hit bool) {
	if hit {
		m.imageCache.WithLabelValues("hit").Inc()
	} else {
		m.imageCache.WithLabelValues("miss").Inc()
	}
}

// RegistryRequest implements admission.ImageMetrics.
func (m *metrics) RegistryRequest(d time.Duration) { m.registryLatency.Observe(d.Seconds()) }

// budgetGauge reports the part of the memory budget the reviews in flight hold.
func (m *metrics) budgetGauge(b *budget) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "kharden", Subsystem: "webhook", Name: "memory_budget_in_use_bytes",
		Help: "Memory reserved by the AdmissionReviews in flight, out of the budget (--memory-budget).",
	}, func() float64 { return float64(b.inUse()) })
}

func (m *metrics) certificate(c *x509.Certificate, err error) {
	if err != nil {
		m.reloads.WithLabelValues("error").Inc()
		return
	}
	m.reloads.WithLabelValues("ok").Inc()
	m.expiry.Set(float64(c.NotAfter.Unix()))
}

// kindLabel bounds the kind label to the kinds kharden knows, so that a client sending
// made-up kinds cannot grow the metrics without end.
func kindLabel(kind string) string {
	if knownKinds[kind] {
		return kind
	}
	if kind == "" {
		return "none"
	}
	return "other"
}

var knownKinds = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range workload.Kinds {
		m[k] = true
	}
	for _, k := range []string{"ConfigMap", "Secret", "ServiceAccount", "Namespace", "Service", "Role", "ClusterRole",
		"RoleBinding", "ClusterRoleBinding", "NetworkPolicy"} {
		m[k] = true
	}
	return m
}()

// operationLabel bounds the operation label likewise.
func operationLabel(op string) string {
	switch op {
	case "CREATE", "UPDATE", "DELETE", "CONNECT":
		return op
	case "":
		return "none"
	}
	return "other"
}
