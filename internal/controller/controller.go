// Package controller keeps the cluster audit current: informers watch what `kharden
// audit cluster` reads, every change re-audits the objects it touched (audit.Memo: the
// same engine, rules and config, so the same verdicts), and the results are written as
// PolicyReport objects, one per object with results and a ClusterPolicyReport, updated
// in place, emptied of what was fixed, deleted with their object. Prometheus metrics say how current they are.
package controller

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/kharden/kharden/internal/audit"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/source/cluster"
)

// Options configure a controller.
type Options struct {
	// Auditor is the configured audit (rules, config), as audit cluster builds it.
	Auditor *audit.Auditor
	// Config reaches the API server.
	Config *rest.Config
	// API is the report API written (default WGPolicy).
	API API
	// Debounce is how long a change waits for others before the audit runs (default
	// 100ms): a burst of changes costs one audit.
	Debounce time.Duration
	// Resync is the period of a full audit with nothing reused and the reports
	// rewritten where they differ from what is in the cluster (default 10 minutes).
	Resync time.Duration
	// MaxReportBytes bounds the results of one report object (default 1 MiB).
	MaxReportBytes int
	// Metrics receives the controller's metrics (nil: none).
	Metrics *Metrics
	// Log receives what the controller does, one line each (nil: discarded).
	Log io.Writer
	// Ready is called once the first full set of reports is written.
	Ready func(took time.Duration)
	// Images, when not nil, turns on the scanning of the images pods run.
	Images *ImageOptions
}

// Controller watches the cluster and keeps the reports current.
type Controller struct {
	o       Options
	cs      kubernetes.Interface
	dyn     dynamic.Interface
	factory informers.SharedInformerFactory
	watched []watched
	missing map[string]error

	trigger  chan struct{}
	pending  atomic.Int64 // changes not yet in the reports
	oldest   atomic.Int64 // unix nanoseconds of the oldest such change; 0 when none
	context  atomic.Int64 // bumped when a change may change verdicts on other objects
	memo     *audit.Memo
	builder  *builder
	written  map[string]stored // report key -> what is in the cluster
	mu       sync.Mutex
	started  time.Time
	lastFull time.Time
	// server is the API server's version as last read (serverErr: why it could not be).
	server    *version.Info
	serverErr error
	audits    int
	images    *imageCache // nil without Options.Images
}

// stored is a report as the cluster holds it: its content hash and resourceVersion.
type stored struct{ hash, version string }

type watched struct {
	source
	informer cache.SharedIndexInformer
}

// New checks what the controller may watch and that the report API is served. A
// resource it may not list is left out and reported as unavailable, as audit cluster
// does; missing report CRDs are an error.
func New(ctx context.Context, o Options) (*Controller, error) {
	if o.API.Group == "" {
		o.API = WGPolicy
	}
	if o.Debounce <= 0 {
		o.Debounce = 100 * time.Millisecond
	}
	if o.Resync <= 0 {
		o.Resync = 10 * time.Minute
	}
	if o.MaxReportBytes <= 0 {
		o.MaxReportBytes = 1 << 20
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	cfg := cluster.Tune(o.Config)
	cfg.QPS, cfg.Burst = 200, 400
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	wcfg := rest.CopyConfig(o.Config)
	wcfg.QPS, wcfg.Burst = 1000, 2000 // the first set of reports is one write per object with results
	dyn, err := dynamic.NewForConfig(wcfg)
	if err != nil {
		return nil, err
	}
	gv := o.API.Group + "/" + o.API.Version
	res, err := cs.Discovery().ServerResourcesForGroupVersion(gv)
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("the report API %s is not served: install its CRDs (charts/kharden/crds, or the chart with controller.enabled)", gv)
		}
		return nil, fmt.Errorf("discovering %s: %w", gv, err)
	}
	served := map[string]bool{}
	for _, r := range res.APIResources {
		served[r.Name] = true
	}
	if !served[o.API.Resource] || !served[o.API.ClusterRes] {
		return nil, fmt.Errorf("the report API %s does not serve %s and %s: install its CRDs", gv, o.API.Resource, o.API.ClusterRes)
	}
	c := &Controller{o: o, cs: cs, dyn: dyn, missing: map[string]error{}, trigger: make(chan struct{}, 1),
		memo: audit.NewMemo(), builder: newBuilder(), written: map[string]stored{}}
	if o.Images != nil {
		wake := func() {
			select {
			case c.trigger <- struct{}{}:
			default:
			}
		}
		io := *o.Images
		// An image is seen at each audit, at least every resync: one a quiet cluster
		// still runs must not be forgotten between two.
		io.Forget = max(cmp.Or(io.Forget, time.Hour), 2*o.Resync)
		if c.images, err = newImageCache(io, o.Log, o.Metrics, o.Auditor.Exempt, wake); err != nil {
			return nil, err
		}
	}
	c.factory = informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithTransform(stripManagedFields))
	for _, s := range sources {
		if err := probe(ctx, cs, s); err != nil {
			if apierrors.IsForbidden(err) || apierrors.IsNotFound(err) {
				c.missing[s.resource] = err
				fmt.Fprintf(o.Log, "kharden controller: cannot watch %s: %v; reported as unavailable\n", s.resource, err)
				continue
			}
			return nil, fmt.Errorf("listing %s: %w", s.resource, err)
		}
		w := watched{source: s, informer: s.informer(c.factory)}
		context := s.context
		if _, err := w.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(any) { c.changed(context) },
			UpdateFunc: func(old, cur any) { c.updated(old, cur, context) },
			DeleteFunc: func(any) { c.changed(context) },
		}); err != nil {
			return nil, err
		}
		c.watched = append(c.watched, w)
	}
	return c, nil
}

// updated counts an update, unless only the resourceVersion of a resync changed.
func (c *Controller) updated(old, cur any, context bool) {
	o, ok1 := old.(metav1.Object)
	n, ok2 := cur.(metav1.Object)
	if ok1 && ok2 && o.GetResourceVersion() == n.GetResourceVersion() {
		return
	}
	c.changed(context)
}

func (c *Controller) changed(context bool) {
	if context {
		c.context.Add(1)
	}
	c.pending.Add(1)
	c.oldest.CompareAndSwap(0, time.Now().UnixNano())
	if m := c.o.Metrics; m != nil {
		m.QueueDepth.Set(float64(c.pending.Load()))
	}
	select {
	case c.trigger <- struct{}{}:
	default:
	}
}

// Run starts the informers, writes the first full set of reports once they have
// synced, then keeps them current until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	c.started = time.Now()
	c.factory.Start(ctx.Done())
	defer c.factory.Shutdown()
	var syncs []cache.InformerSynced
	for _, w := range c.watched {
		syncs = append(syncs, w.informer.HasSynced)
	}
	if !cache.WaitForCacheSync(ctx.Done(), syncs...) {
		return ctx.Err()
	}
	fmt.Fprintf(c.o.Log, "kharden controller: %d resources watched, synced in %s\n", len(c.watched), time.Since(c.started).Round(time.Millisecond))
	if c.images != nil {
		ictx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); c.images.run(ictx) }()
		defer func() { stop(); <-done }()
	}
	if err := c.refreshWritten(ctx); err != nil {
		return err
	}
	resync := time.NewTicker(c.o.Resync)
	defer resync.Stop()
	full, first := true, true
	for {
		if err := c.reconcile(ctx, full); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			fmt.Fprintf(c.o.Log, "kharden controller: %v\n", err)
			// Retry: the next round rereads what is in the cluster.
			full = true
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Second):
			}
			continue
		}
		if first {
			first = false
			took := time.Since(c.started)
			fmt.Fprintf(c.o.Log, "kharden controller: first reports written %s after start\n", took.Round(time.Millisecond))
			if c.o.Ready != nil {
				c.o.Ready(took)
			}
		}
		full = false
		select {
		case <-ctx.Done():
			return nil
		case <-resync.C:
			full = true
			if err := c.refreshWritten(ctx); err != nil {
				fmt.Fprintf(c.o.Log, "kharden controller: %v\n", err)
			}
		case <-c.trigger:
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(c.o.Debounce):
			}
		}
	}
}

// snapshot assembles what the informers hold as audit cluster's snapshot.
func (c *Controller) snapshot(full bool) *cluster.Snapshot {
	s := &cluster.Snapshot{Unavailable: map[string]error{}}
	for r, err := range c.missing {
		s.Unavailable[r] = err
		if r == cluster.ResourcePods {
			s.Unavailable[cluster.ResourceControlPlane] = err
		}
	}
	for _, w := range c.watched {
		w.fill(w.informer.GetStore(), s)
	}
	// The server's version changes with an upgrade, which restarts the watches: read it
	// at full audits only.
	if full || c.server == nil && c.serverErr == nil {
		c.server, c.serverErr = c.cs.Discovery().ServerVersion()
	}
	if c.serverErr == nil {
		s.Server = c.server
	} else {
		s.Unavailable[cluster.ResourceVersion] = c.serverErr
	}
	if len(s.Unavailable) == 0 {
		s.Unavailable = nil
	}
	return s
}

// reconcile audits the current state and writes the reports that changed. full
// evaluates every object anew.
func (c *Controller) reconcile(ctx context.Context, full bool) error {
	start := time.Now()
	pending, oldest := c.pending.Swap(0), c.oldest.Swap(0)
	if full {
		c.memo, c.builder = audit.NewMemo(), newBuilder()
	}
	c.memo.Context = strconv.FormatInt(c.context.Load(), 10)
	snap := c.snapshot(full)
	tSnap := time.Since(start)
	b := c.builder
	err := c.o.Auditor.EachMemo(snap, c.memo, func(part *report.Report) error {
		b.add(part)
		return nil
	})
	if err != nil {
		return err
	}
	if c.images != nil {
		for _, part := range c.images.partsFor(snap) {
			b.add(part)
		}
	}
	desired := b.reports(c.o.MaxReportBytes)
	tAudit := time.Since(start) - tSnap
	writes, err := c.write(ctx, desired)
	m := c.o.Metrics
	if err != nil {
		// The changes are not in the reports yet.
		c.pending.Add(pending)
		if oldest != 0 {
			c.oldest.CompareAndSwap(0, oldest)
		}
		return err
	}
	if full {
		// A full audit is a peak (every object evaluated, every report built): give
		// the memory back now rather than over the next minutes, so that the
		// process's footprint between full audits is what it holds.
		debug.FreeOSMemory()
	}
	if m != nil {
		m.observe(desired, time.Since(start), c.memo.Hits, c.memo.Misses, writes)
		// The first audit covers the informers' initial lists, which are no change.
		if oldest != 0 && c.audits > 0 {
			m.ChangeToReport.Observe(time.Since(time.Unix(0, oldest)).Seconds())
		}
		m.QueueDepth.Set(float64(c.pending.Load()))
		if full {
			c.lastFull = time.Now()
			m.LastFullResync.Set(float64(c.lastFull.Unix()))
		}
	}
	c.audits++
	fmt.Fprintf(c.o.Log, "kharden controller: audited %d objects (%d reused) for %d changes in %s (snapshot %s, audit %s); %d reports, %d written\n",
		c.memo.Hits+c.memo.Misses, c.memo.Hits, pending, time.Since(start).Round(time.Millisecond), tSnap.Round(time.Millisecond),
		tAudit.Round(time.Millisecond), len(desired), writes)
	return nil
}

// refreshWritten rereads the reports kharden wrote, so that the next writes compare
// with what is really in the cluster (someone may have changed or deleted one).
func (c *Controller) refreshWritten(ctx context.Context) error {
	written := map[string]stored{}
	for _, clusterScoped := range []bool{false, true} {
		list, err := c.dyn.Resource(c.o.API.gvr(clusterScoped)).List(ctx, metav1.ListOptions{LabelSelector: ManagedByLabel + "=" + ManagedBy})
		if err != nil {
			return fmt.Errorf("listing the reports: %w", err)
		}
		for _, it := range list.Items {
			written[it.GetNamespace()+"/"+it.GetName()] = stored{it.GetAnnotations()[hashAnnotation], it.GetResourceVersion()}
		}
	}
	c.mu.Lock()
	c.written = written
	c.mu.Unlock()
	return nil
}

// write makes the cluster's reports the desired ones: created, updated where their
// content differs, deleted where no longer wanted. It returns the number of writes.
func (c *Controller) write(ctx context.Context, desired []*Desired) (int, error) {
	c.mu.Lock()
	written := c.written
	c.mu.Unlock()
	want := map[string]bool{}
	type op struct {
		d      *Desired
		key    string
		delete bool
	}
	var ops []op
	for _, d := range desired {
		want[d.key()] = true
		if w, ok := written[d.key()]; !ok || w.hash != d.Hash {
			ops = append(ops, op{d: d, key: d.key()})
		}
	}
	for key := range written {
		if !want[key] {
			ops = append(ops, op{key: key, delete: true})
		}
	}
	if len(ops) == 0 {
		for _, d := range desired {
			d.Results = nil
		}
		return 0, nil
	}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		errs   []error
		sem    = make(chan struct{}, 32)
		result = map[string]stored{}
		gone   []string
	)
	for _, o := range ops {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var err error
			var version string
			if o.delete {
				err = c.delete(ctx, o.key)
			} else {
				version, err = c.apply(ctx, o.d, written)
				// Written or not, the results are not needed again: the hash tells
				// whether to write, and a failed write makes the next audit a full one.
				o.d.Results = nil
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			if o.delete {
				gone = append(gone, o.key)
			} else {
				result[o.key] = stored{o.d.Hash, version}
			}
		}()
	}
	wg.Wait()
	c.mu.Lock()
	for k, h := range result {
		c.written[k] = h
	}
	for _, k := range gone {
		delete(c.written, k)
	}
	c.mu.Unlock()
	if m := c.o.Metrics; m != nil {
		m.Writes.Add(float64(len(result) + len(gone)))
		m.WriteErrors.Add(float64(len(errs)))
	}
	for _, d := range desired {
		d.Results = nil
	}
	return len(result) + len(gone), errors.Join(errs...)
}

// apply creates the report, or updates it in place, and returns its resourceVersion.
func (c *Controller) apply(ctx context.Context, d *Desired, written map[string]stored) (string, error) {
	u := &unstructured.Unstructured{Object: d.object(c.o.API)}
	r := c.dyn.Resource(c.o.API.gvr(d.Namespace == ""))
	var ri dynamic.ResourceInterface = r
	if d.Namespace != "" {
		ri = r.Namespace(d.Namespace)
	}
	w, known := written[d.key()]
	if !known {
		got, err := ri.Create(ctx, u, metav1.CreateOptions{FieldManager: "kharden"})
		if err == nil {
			return got.GetResourceVersion(), nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return "", wrap("creating", d.key(), err)
		}
	}
	// The version last written saves a read; someone else's change (a conflict) costs one.
	for attempt := 0; ; attempt++ {
		if w.version == "" || attempt > 0 {
			cur, err := ri.Get(ctx, d.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				got, err := ri.Create(ctx, u, metav1.CreateOptions{FieldManager: "kharden"})
				if err != nil {
					return "", wrap("creating", d.key(), err)
				}
				return got.GetResourceVersion(), nil
			}
			if err != nil {
				return "", wrap("reading", d.key(), err)
			}
			w.version = cur.GetResourceVersion()
		}
		u.SetResourceVersion(w.version)
		got, err := ri.Update(ctx, u, metav1.UpdateOptions{FieldManager: "kharden"})
		if err == nil {
			return got.GetResourceVersion(), nil
		}
		if !(apierrors.IsConflict(err) || apierrors.IsNotFound(err)) || attempt > 0 {
			return "", wrap("updating", d.key(), err)
		}
	}
}

func (c *Controller) delete(ctx context.Context, key string) error {
	ns, name, _ := cutKey(key)
	r := c.dyn.Resource(c.o.API.gvr(ns == ""))
	var ri dynamic.ResourceInterface = r
	if ns != "" {
		ri = r.Namespace(ns)
	}
	err := ri.Delete(ctx, name, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return wrap("deleting", key, err)
}

func cutKey(key string) (ns, name string, ok bool) {
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			return key[:i], key[i+1:], true
		}
	}
	return "", key, false
}

func wrap(verb, key string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s report %s: %w", verb, key, err)
}
