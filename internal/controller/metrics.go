package controller

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the controller's Prometheus metrics.
type Metrics struct {
	Results        *prometheus.GaugeVec
	Reconcile      prometheus.Histogram
	ChangeToReport prometheus.Histogram
	QueueDepth     prometheus.Gauge
	LastFullResync prometheus.Gauge
	ObjectsAudited *prometheus.CounterVec
	Writes         prometheus.Counter
	WriteErrors    prometheus.Counter
	// With images scanned (Options.Images):
	Images     *prometheus.GaugeVec
	ImageReads *prometheus.CounterVec
	DBReloads  prometheus.Counter
}

// NewMetrics registers the metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	buckets := []float64{.01, .025, .05, .1, .2, .3, .5, .75, 1, 1.5, 2, 3, 5, 10, 30}
	m := &Metrics{
		Results: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kharden_controller_results",
			Help: "Results in the reports, by namespace (empty: the cluster report), rule, severity and result."},
			[]string{"namespace", "rule", "severity", "result"}),
		Reconcile: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kharden_controller_reconcile_duration_seconds",
			Help: "Time to audit the changed objects and write the reports that changed.", Buckets: buckets}),
		ChangeToReport: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kharden_controller_change_to_report_seconds",
			Help: "Time from the oldest change an audit covered to its reports written.", Buckets: buckets}),
		QueueDepth: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kharden_controller_queue_depth",
			Help: "Changes seen and not yet in the reports."}),
		LastFullResync: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kharden_controller_last_full_resync_timestamp_seconds",
			Help: "Unix time of the last full audit, nothing reused."}),
		ObjectsAudited: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kharden_controller_objects_audited_total",
			Help: "Objects audited: evaluated anew (reused=false) or unchanged and reused (reused=true)."}, []string{"reused"}),
		Writes: prometheus.NewCounter(prometheus.CounterOpts{Name: "kharden_controller_report_writes_total",
			Help: "Report objects created, updated or deleted."}),
		WriteErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "kharden_controller_report_write_errors_total",
			Help: "Report writes that failed (retried at the next audit)."}),
		Images: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kharden_controller_images",
			Help: "Images that running pods run, by state: read (verdict kept), failed (retried), waiting (to be read)."}, []string{"state"}),
		ImageReads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kharden_controller_image_reads_total",
			Help: "Images read from their registry, by outcome (ok, error)."}, []string{"outcome"}),
		DBReloads: prometheus.NewCounter(prometheus.CounterOpts{Name: "kharden_controller_vulnerability_database_reloads_total",
			Help: "Times a new vulnerability database was opened and every image read matched against it again."}),
	}
	reg.MustRegister(m.Results, m.Reconcile, m.ChangeToReport, m.QueueDepth, m.LastFullResync, m.ObjectsAudited, m.Writes, m.WriteErrors,
		m.Images, m.ImageReads, m.DBReloads)
	return m
}

// observe records one audit.
func (m *Metrics) observe(desired []*Desired, took time.Duration, hits, misses, _ int) {
	m.Reconcile.Observe(took.Seconds())
	m.ObjectsAudited.WithLabelValues("true").Add(float64(hits))
	m.ObjectsAudited.WithLabelValues("false").Add(float64(misses))
	type key struct{ ns, rule, sev, result string }
	counts := map[key]int{}
	for _, d := range desired {
		for _, c := range d.Counts {
			counts[key{d.Namespace, c.Rule, c.Severity, c.Result}] += c.N
		}
	}
	m.Results.Reset()
	for k, n := range counts {
		m.Results.WithLabelValues(k.ns, k.rule, k.sev, k.result).Set(float64(n))
	}
}
