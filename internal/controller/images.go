package controller

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/scan"
	"github.com/kharden/kharden/internal/source/cluster"
	"github.com/kharden/kharden/internal/source/image"
	"github.com/kharden/kharden/internal/source/vulndb"
)

// ImageOptions turn on the scanning of the images pods run: each running digest is
// read once (per platform), its verdict (the image rules and its vulnerabilities)
// kept with its package list, and matched again when the vulnerability database
// changes. The results go to the report of the pod's workload.
type ImageOptions struct {
	// Scanner makes the image scanner (rules, config, the vulnerability database as it
	// is now), at start and again each time the database changes.
	Scanner func() (*scan.ImageScanner, error)
	// DB is the vulnerability database directory whose generation is watched; "" for
	// none.
	DB string
	// Allow refuses a reference to a registry that may not be read (nil: any). The
	// scanner's transport must refuse addresses the same way (scan.RegistryGuard).
	Allow func(ref string) error
	// Check is how often the database is checked for a new generation and the images
	// that could not be read are tried again (default 5 minutes).
	Check time.Duration
	// Pulls is how many images are read at once (default 2).
	Pulls int
	// Forget is how long the verdict of an image no pod runs any more is kept (default
	// 1 hour): a pod that comes back within it costs no read.
	Forget time.Duration
}

// imageReadMeta is the rule of the error results of images that could not be read.
var imageReadMeta = &rule.Meta{ID: "image-read", Slug: "image-read", Title: "The image a container runs could be read and scanned",
	Severity: rule.Medium, Practices: []string{"B19"}}

// imageKey is one image as read: a registry reference by digest and the platform of
// the node that runs it.
type imageKey struct{ ref, platform string }

// imageEntry is what is known of one image.
type imageEntry struct {
	read     bool // a read ended (err says how)
	queued   bool
	refused  bool // err is Allow's: reading again would not change it
	si       *scan.ScannedImage
	err      error
	results  []rule.Result // the content rules' and the database's, located nowhere
	problems []string      // a package database that could not be read, a failed match
	version  uint64        // bumped when the verdict changes
	seen     time.Time     // last audit that found a pod running it
	tried    time.Time
}

// imageUse is one container of a workload running an image.
type imageUse struct {
	key       imageKey
	image     string // as the runtime names it (container status)
	container string
	field     string // the container's image field in the workload
	bad       string // why the image cannot be read (no registry digest)
}

// ownerImages is the part of an owner's report that its images make, kept while the
// images and their verdicts are the same, so that its report is not rebuilt.
type ownerImages struct {
	sig  string
	part *report.Report
}

// imageCache reads the images pods run, in the background, and makes report parts of
// their verdicts.
type imageCache struct {
	o       ImageOptions
	log     io.Writer
	metrics *Metrics
	exempt  func(namespace string) bool
	wake    func() // asks for an audit: a verdict changed

	mu      sync.Mutex
	sc      *scan.ImageScanner
	gen     string // the database generation sc matches against
	entries map[imageKey]*imageEntry
	queue   []imageKey
	ready   chan struct{}
	parts   map[owner]*ownerImages
}

func newImageCache(o ImageOptions, log io.Writer, m *Metrics, exempt func(string) bool, wake func()) (*imageCache, error) {
	if o.Check <= 0 {
		o.Check = 5 * time.Minute
	}
	if o.Pulls <= 0 {
		o.Pulls = 2
	}
	if o.Forget <= 0 {
		o.Forget = time.Hour // New sets it at least two resyncs
	}
	ic := &imageCache{o: o, log: log, metrics: m, exempt: exempt, wake: wake,
		entries: map[imageKey]*imageEntry{}, ready: make(chan struct{}, 1), parts: map[owner]*ownerImages{}}
	if o.DB != "" {
		ic.gen, _ = vulndb.Current(o.DB) // none yet: the check sees it when it comes
	}
	sc, err := o.Scanner()
	if err != nil {
		return nil, err
	}
	ic.sc = sc
	ic.logStart(sc)
	return ic, nil
}

// logStart logs what the scanner says of its database: none, too old, damaged.
func (ic *imageCache) logStart(sc *scan.ImageScanner) {
	if st := sc.Vulns().Start(); st != nil {
		for _, p := range append(st.Errors, st.Notes...) {
			fmt.Fprintf(ic.log, "kharden controller: images: %s: %s\n", p.File, p.Message)
		}
	}
}

// run reads the queued images and checks the database until ctx ends.
func (ic *imageCache) run(ctx context.Context) {
	var wg sync.WaitGroup
	for range ic.o.Pulls {
		wg.Go(func() {
			for {
				k, ok := ic.next(ctx)
				if !ok {
					return
				}
				ic.read(ctx, k)
			}
		})
	}
	tick := time.NewTicker(ic.o.Check)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			ic.mu.Lock()
			ic.sc.Close()
			ic.mu.Unlock()
			return
		case <-tick.C:
			ic.check()
		}
	}
}

// next takes the next image to read, waiting for one.
func (ic *imageCache) next(ctx context.Context) (imageKey, bool) {
	for {
		ic.mu.Lock()
		if len(ic.queue) > 0 {
			k := ic.queue[0]
			ic.queue = ic.queue[1:]
			more := len(ic.queue) > 0
			ic.mu.Unlock()
			if more {
				ic.signal()
			}
			return k, true
		}
		ic.mu.Unlock()
		select {
		case <-ctx.Done():
			return imageKey{}, false
		case <-ic.ready:
		}
	}
}

func (ic *imageCache) signal() {
	select {
	case ic.ready <- struct{}{}:
	default:
	}
}

// enqueue queues k to be read; ic.mu is held.
func (ic *imageCache) enqueue(k imageKey, e *imageEntry) {
	if e.queued {
		return
	}
	e.queued = true
	ic.queue = append(ic.queue, k)
	ic.signal()
}

// read reads one image and keeps its verdict.
func (ic *imageCache) read(ctx context.Context, k imageKey) {
	start := time.Now()
	ic.mu.Lock()
	sc := ic.sc
	ic.mu.Unlock()
	var si *scan.ScannedImage
	var err error
	refused := false
	if ic.o.Allow != nil {
		err = ic.o.Allow(k.ref)
		refused = err != nil
	}
	if err == nil {
		si, err = sc.Read(ctx, k.ref, k.platform)
	}
	if ctx.Err() != nil {
		return // stopping: no verdict
	}
	var results []rule.Result
	var problems []string
	for {
		if err == nil {
			results, problems = judge(sc, si)
		}
		ic.mu.Lock()
		if ic.sc == sc {
			break
		}
		sc = ic.sc // the database changed meanwhile: match against the new one
		ic.mu.Unlock()
	}
	e := ic.entries[k]
	if e == nil { // forgotten meanwhile; kept, the next audit says whether it runs
		e = &imageEntry{seen: start}
		ic.entries[k] = e
	}
	e.read, e.queued, e.refused, e.si, e.err, e.results, e.problems, e.tried = true, false, refused, si, err, results, problems, time.Now()
	e.version++
	ic.mu.Unlock()
	took := time.Since(start).Round(time.Millisecond)
	if err != nil {
		fmt.Fprintf(ic.log, "kharden controller: image %s (%s): not read in %s: %v\n", k.ref, platformName(k.platform), took, err)
	} else {
		fmt.Fprintf(ic.log, "kharden controller: image %s (%s): read in %s: %d packages, %d results\n", k.ref, platformName(k.platform), took, si.Packages(), len(results))
	}
	if m := ic.metrics; m != nil {
		outcome := "ok"
		if err != nil {
			outcome = "error"
		}
		m.ImageReads.WithLabelValues(outcome).Inc()
	}
	ic.wake()
}

func platformName(p string) string {
	if p == "" {
		return image.DefaultPlatform
	}
	return p
}

// judge is an image's verdict: the content rules' results and its vulnerabilities,
// and the problems met (the notes go nowhere: a report holds results).
func judge(sc *scan.ImageScanner, si *scan.ScannedImage) ([]rule.Result, []string) {
	results, errs, _ := sc.Judge(si)
	return results, errs
}

// check opens the database again when its generation changed and matches every image
// read against it; it queues again the images that could not be read, and forgets
// those no pod has run for a while.
func (ic *imageCache) check() {
	changed := false
	if ic.o.DB != "" {
		gen, err := vulndb.Current(ic.o.DB)
		ic.mu.Lock()
		same := ic.gen == gen
		ic.mu.Unlock()
		if err == nil && !same {
			changed = ic.reload(gen)
		}
	}
	now := time.Now()
	ic.mu.Lock()
	for k, e := range ic.entries {
		switch {
		case now.Sub(e.seen) > ic.o.Forget:
			delete(ic.entries, k)
		case e.read && e.err != nil && !e.refused && now.Sub(e.tried) >= ic.o.Check:
			ic.enqueue(k, e)
		}
	}
	ic.updateGauge()
	ic.mu.Unlock()
	if changed {
		ic.wake()
	}
}

// reload opens the database's generation gen and matches every image against it. It
// tells whether a verdict changed.
func (ic *imageCache) reload(gen string) bool {
	sc, err := ic.o.Scanner()
	if err != nil {
		fmt.Fprintf(ic.log, "kharden controller: images: the vulnerability database changed, but: %v\n", err)
		return false
	}
	ic.logStart(sc)
	ic.mu.Lock()
	old := ic.sc
	ic.sc, ic.gen = sc, gen
	type kept struct {
		e  *imageEntry
		si *scan.ScannedImage
	}
	var read []kept
	for _, e := range ic.entries {
		if e.si != nil {
			read = append(read, kept{e, e.si})
		}
	}
	ic.mu.Unlock()
	// A read in progress still matching against the old database sees the new
	// scanner when it keeps its verdict, and matches again.
	old.Close()
	changed := 0
	for _, k := range read {
		results, problems := judge(sc, k.si)
		ic.mu.Lock()
		if ic.sc == sc && k.e.si == k.si && !(sameResults(k.e.results, results) && slices.Equal(k.e.problems, problems)) {
			k.e.results, k.e.problems = results, problems
			k.e.version++
			changed++
		}
		ic.mu.Unlock()
	}
	fmt.Fprintf(ic.log, "kharden controller: images: vulnerability database %s: %d images matched again, %d verdicts changed\n", gen, len(read), changed)
	if m := ic.metrics; m != nil {
		m.DBReloads.Inc()
	}
	return changed > 0
}

func sameResults(a, b []rule.Result) bool {
	return slices.EqualFunc(a, b, func(x, y rule.Result) bool {
		return x.Meta.ID == y.Meta.ID && x.Severity == y.Severity && x.Message == y.Message && x.Status == y.Status &&
			x.Suppressed == y.Suppressed && x.Location.FieldPath == y.Location.FieldPath
	})
}

// updateGauge sets the images gauge; ic.mu is held.
func (ic *imageCache) updateGauge() {
	m := ic.metrics
	if m == nil {
		return
	}
	n := map[string]int{"read": 0, "failed": 0, "waiting": 0}
	for _, e := range ic.entries {
		switch {
		case !e.read:
			n["waiting"]++
		case e.err != nil:
			n["failed"]++
		default:
			n["read"]++
		}
	}
	for s, c := range n {
		m.Images.WithLabelValues(s).Set(float64(c))
	}
}

// partsFor returns a report part per workload running images, with their verdicts,
// and queues the images not read yet. A part is the same object as at the last audit
// when its images and their verdicts are the same.
func (ic *imageCache) partsFor(s *cluster.Snapshot) []*report.Report {
	uses := imageUses(s, ic.exempt)
	now := time.Now()
	ic.mu.Lock()
	defer ic.mu.Unlock()
	next := make(map[owner]*ownerImages, len(uses))
	var out []*report.Report
	var sig strings.Builder
	for o, us := range uses {
		sig.Reset()
		for _, u := range us {
			sig.WriteString(u.field + "\x00" + u.image + "\x00" + u.bad + "\x00" + u.key.ref + "\x00" + u.key.platform + "\x00")
			if u.bad != "" {
				continue
			}
			e := ic.entries[u.key]
			if e == nil {
				e = &imageEntry{}
				ic.entries[u.key] = e
				ic.enqueue(u.key, e)
			}
			e.seen = now
			sig.WriteString(strconv.FormatUint(e.version, 10) + "\x00")
		}
		if p := ic.parts[o]; p != nil && p.sig == sig.String() {
			next[o] = p
			if p.part != nil {
				out = append(out, p.part)
			}
			continue
		}
		p := &ownerImages{sig: sig.String(), part: ic.part(o, us)}
		next[o] = p
		if p.part != nil {
			out = append(out, p.part)
		}
	}
	ic.parts = next
	ic.updateGauge()
	return out
}

// part is the report part of o's images: each verdict's results at the container's
// image field, an error result for an image that could not be read. Nil when there is
// nothing to say yet.
func (ic *imageCache) part(o owner, us []imageUse) *report.Report {
	obj := rule.Object{APIVersion: o.apiVersion, Kind: o.kind, Namespace: o.namespace, Name: o.name}
	part := &report.Report{}
	unread := func(where, msg string) {
		part.Results = append(part.Results, rule.Result{Meta: imageReadMeta, Status: rule.Error, Severity: imageReadMeta.Severity,
			Message: where + ": " + msg, Location: rule.Location{FieldPath: "", Object: obj}})
	}
	for _, u := range us {
		where := fmt.Sprintf("image %s (container %q)", u.image, u.container)
		if u.bad != "" {
			unread(where, u.bad)
			part.Results[len(part.Results)-1].Location.FieldPath = u.field
			continue
		}
		e := ic.entries[u.key]
		if !e.read {
			continue
		}
		if u.key.ref != u.image {
			where = fmt.Sprintf("image %s at %s (container %q)", u.image, digestOf(u.key.ref), u.container)
		}
		if e.err != nil {
			unread(where, "could not be read: "+strings.TrimPrefix(e.err.Error(), u.key.ref+": "))
			part.Results[len(part.Results)-1].Location.FieldPath = u.field
			continue
		}
		for _, r := range e.results {
			r.Message = where + ": " + r.Message
			r.Location = rule.Location{FieldPath: u.field, Object: obj}
			if r.Suppressed != "" {
				part.Suppressed = append(part.Suppressed, r)
			} else {
				part.Results = append(part.Results, r)
			}
		}
		for _, p := range e.problems {
			unread(where, p)
			part.Results[len(part.Results)-1].Location.FieldPath = u.field
		}
	}
	if len(part.Results) == 0 && len(part.Suppressed) == 0 {
		return nil
	}
	return part
}

func digestOf(ref string) string {
	if _, d, ok := strings.Cut(ref, "@"); ok {
		return d
	}
	return ref
}

// workload is a controller of the snapshot, for finding a pod's top owner.
type workload struct {
	obj    rule.Object
	meta   *metav1.ObjectMeta
	prefix string // the pod spec's field path in it
}

// imageUses are the images the snapshot's running pods run, by the workload the audit
// reports them under: the top controller in the snapshot (a Deployment for its
// ReplicaSets' pods, a CronJob for its Jobs'), else the pod itself.
func imageUses(s *cluster.Snapshot, exempt func(string) bool) map[owner][]imageUse {
	platforms := map[string]string{}
	for i := range s.Nodes {
		ni := s.Nodes[i].Status.NodeInfo
		if ni.OperatingSystem != "" && ni.Architecture != "" {
			platforms[s.Nodes[i].Name] = ni.OperatingSystem + "/" + ni.Architecture
		}
	}
	const template = "spec.template.spec"
	ws := map[types.UID]workload{}
	add := func(apiVersion, kind string, m *metav1.ObjectMeta, prefix string) {
		ws[m.UID] = workload{rule.Object{APIVersion: apiVersion, Kind: kind, Namespace: m.Namespace, Name: m.Name}, m, prefix}
	}
	for i := range s.Deployments {
		add("apps/v1", "Deployment", &s.Deployments[i].ObjectMeta, template)
	}
	for i := range s.ReplicaSets {
		add("apps/v1", "ReplicaSet", &s.ReplicaSets[i].ObjectMeta, template)
	}
	for i := range s.StatefulSets {
		add("apps/v1", "StatefulSet", &s.StatefulSets[i].ObjectMeta, template)
	}
	for i := range s.DaemonSets {
		add("apps/v1", "DaemonSet", &s.DaemonSets[i].ObjectMeta, template)
	}
	for i := range s.Jobs {
		add("batch/v1", "Job", &s.Jobs[i].ObjectMeta, template)
	}
	for i := range s.CronJobs {
		add("batch/v1", "CronJob", &s.CronJobs[i].ObjectMeta, "spec.jobTemplate.spec.template.spec")
	}
	for i := range s.ReplicationControllers {
		add("v1", "ReplicationController", &s.ReplicationControllers[i].ObjectMeta, template)
	}
	out := map[owner][]imageUse{}
	for i := range s.Pods {
		pod := &s.Pods[i]
		if exempt != nil && exempt(pod.Namespace) || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			continue
		}
		top := workload{obj: rule.Object{APIVersion: "v1", Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name}, meta: &pod.ObjectMeta, prefix: "spec"}
		for range 8 { // an ownership loop ends here
			ref := metav1.GetControllerOf(top.meta)
			if ref == nil {
				break
			}
			w, ok := ws[ref.UID]
			if !ok {
				break
			}
			top = w
		}
		o := owner{top.obj.APIVersion, top.obj.Kind, top.obj.Namespace, top.obj.Name}
		platform := platforms[pod.Spec.NodeName]
		have := map[string]bool{}
		use := func(list string, names []string, st corev1.ContainerStatus) {
			i := slices.Index(names, st.Name)
			if i < 0 {
				return
			}
			u := imageUse{image: st.Image, container: st.Name, field: fmt.Sprintf("%s.%s[%d].image", top.prefix, list, i)}
			u.key.ref, u.bad = runningRef(st.ImageID)
			if u.image == "" {
				u.image = u.key.ref
			}
			if u.bad == "" {
				u.key.platform = platform
			}
			id := u.field + "\x00" + u.key.ref + "\x00" + u.key.platform
			if st.ImageID == "" || have[id] {
				return // not started yet, or a replica's twin
			}
			have[id] = true
			out[o] = append(out[o], u)
		}
		var names, init, eph []string
		for _, c := range pod.Spec.Containers {
			names = append(names, c.Name)
		}
		for _, c := range pod.Spec.InitContainers {
			init = append(init, c.Name)
		}
		for _, c := range pod.Spec.EphemeralContainers {
			eph = append(eph, c.Name)
		}
		for _, st := range pod.Status.ContainerStatuses {
			use("containers", names, st)
		}
		for _, st := range pod.Status.InitContainerStatuses {
			use("initContainers", init, st)
		}
		for _, st := range pod.Status.EphemeralContainerStatuses {
			use("ephemeralContainers", eph, st)
		}
	}
	for o, us := range out {
		// Pods of one workload name the same images: once each.
		slices.SortFunc(us, func(a, b imageUse) int {
			return cmp.Or(cmp.Compare(a.field, b.field), cmp.Compare(a.key.ref, b.key.ref), cmp.Compare(a.key.platform, b.key.platform))
		})
		out[o] = slices.CompactFunc(us, func(a, b imageUse) bool { return a.field == b.field && a.key == b.key && a.bad == b.bad })
	}
	return out
}

// runningRef is the registry reference by digest of what a container runs, from its
// status's imageID as the runtime reports it: containerd's repo@sha256:...,
// cri-dockerd's docker-pullable://repo@sha256:.... An image with no registry digest (built
// or loaded on the node: sha256:... alone) cannot be read from a registry: bad says
// so. Only registry references are taken, never a file reference (oci:, rootfs:...):
// a pod's status must not make the controller read its own files.
func runningRef(imageID string) (ref, bad string) {
	id := strings.TrimPrefix(imageID, "docker-pullable://")
	if id == "" {
		return "", ""
	}
	if image.IsLocal(id) || strings.Contains(id, "://") {
		return "", fmt.Sprintf("not read: the runtime names it %q, not a registry reference", imageID)
	}
	d, err := name.NewDigest(id)
	if err != nil {
		return "", fmt.Sprintf("not read: the runtime reports no registry digest for it (%s), so what runs cannot be read from a registry", imageID)
	}
	return d.String(), ""
}
