package controller

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	kcluster "github.com/kharden/kharden/internal/testkit/cluster"
)

// TestScale measures the controller on a cluster of many Deployments (KHARDEN_SCALE,
// e.g. 10000, in 100 namespaces): the time to the first full set of reports, the
// process's memory, and, under a steady stream of changes, how long a change takes to
// reach the reports; then, side by side, how fast the API server alone takes the same
// reports. It reports figures and asserts only that the reports follow; it does not
// run unless KHARDEN_SCALE is set (./hack/bench-controller.sh sets it, and
// KHARDEN_SCALE_BIN, which measures the kharden binary in its own process).
func TestScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("KHARDEN_SCALE"))
	if n <= 0 {
		t.Skip("KHARDEN_SCALE is not set: a measurement, not a test (hack/bench-controller.sh)")
	}
	rate, _ := strconv.Atoi(os.Getenv("KHARDEN_SCALE_RATE"))
	if rate <= 0 {
		rate = 50
	}
	c := kcluster.Shared(t)
	cfg := c.Config()
	installCRDs(t, cfg)
	fast := *cfg
	fast.QPS, fast.Burst = 1000, 2000
	cs := kubernetes.NewForConfigOrDie(&fast)
	ctx := context.Background()
	const namespaces = 100
	var nss []string
	for i := range namespaces {
		nss = append(nss, newNamespace(t, cs, fmt.Sprintf("scale%02d", i)))
	}
	began := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Int64
	sem := make(chan struct{}, 32)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, err := cs.AppsV1().Deployments(nss[i%namespaces]).Create(ctx, privileged(fmt.Sprintf("app-%05d", i), i%2 == 0), metav1.CreateOptions{}); err != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d creates failed", failed.Load())
	}
	t.Logf("created %d Deployments in %d namespaces in %s", n, namespaces, time.Since(began).Round(time.Millisecond))

	runtime.GC()
	var sub scaleSubject
	if bin := os.Getenv("KHARDEN_SCALE_BIN"); bin != "" {
		sub = startBinary(t, bin, c.KubeconfigPath) // returns once the first full set of reports is written
	} else {
		memory(t, "before the controller starts", os.Getpid())
		sub = inProcess{start(t, cfg)}
	}
	sub.memory(t, "first reports written")
	first := sub.log()
	t.Logf("first reports: %s", lineWith(first, "first reports written"))
	t.Logf("first audit: %s", lineWith(first, "audited"))

	// Changes at the rate: each toggles one Deployment's privileged flag, so that its
	// namespace's report changes.
	dur := 20 * time.Second
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	end := time.Now().Add(dur)
	changes := 0
	var cwg sync.WaitGroup
	for time.Now().Before(end) {
		<-tick.C
		i := changes % n
		priv := i%2 != 0
		if changes/n%2 == 1 {
			priv = !priv
		}
		changes++
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			patch := fmt.Sprintf(`{"spec":{"template":{"spec":{"containers":[{"name":"web","securityContext":{"privileged":%v}}]}}}}`, priv)
			if _, err := cs.AppsV1().Deployments(nss[i%namespaces]).Patch(ctx, fmt.Sprintf("app-%05d", i), types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
				failed.Add(1)
			}
		}()
	}
	cwg.Wait()
	time.Sleep(3 * time.Second) // the last changes reach the reports
	if failed.Load() > 0 {
		t.Errorf("%d changes failed", failed.Load())
	}
	h := sub.changeToReport(t)
	t.Logf("%d changes in %s (%d/s): %d audits; change to report: mean %.3f s, p50 <= %s, p90 <= %s, p99 <= %s",
		changes, dur, rate, h.GetSampleCount(), h.GetSampleSum()/float64(h.GetSampleCount()),
		quantile(h, 0.5), quantile(h, 0.9), quantile(h, 0.99))
	sub.memory(t, "after the changes")
	if path := os.Getenv("KHARDEN_SCALE_HEAP"); path != "" && os.Getenv("KHARDEN_SCALE_BIN") == "" {
		// The heap as the controller holds it, before the test's cleanup stops it.
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		if err := pprof.WriteHeapProfile(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	t.Logf("last audits:\n%s", lastLines(sub.log(), 3))

	// Side by side, the API server's own rate for the same objects: the controller
	// stopped, its reports read and deleted, then created again as they were by a plain
	// client with the controller's concurrency (32) and no controller work at all.
	sub.stop(t)
	dyn := dynamic.NewForConfigOrDie(&fast)
	var objs []*unstructured.Unstructured
	for _, clusterScoped := range []bool{false, true} {
		res := dyn.Resource(WGPolicy.gvr(clusterScoped))
		list, err := res.List(ctx, metav1.ListOptions{LabelSelector: ManagedByLabel + "=" + ManagedBy})
		if err != nil {
			t.Fatal(err)
		}
		namespaces := map[string]bool{}
		for i := range list.Items {
			namespaces[list.Items[i].GetNamespace()] = true
		}
		for ns := range namespaces {
			if err := res.Namespace(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: ManagedByLabel + "=" + ManagedBy}); err != nil {
				t.Fatal(err)
			}
		}
		for i := range list.Items {
			u := &list.Items[i]
			u.SetResourceVersion("")
			u.SetUID("")
			u.SetCreationTimestamp(metav1.Time{})
			u.SetManagedFields(nil)
			u.SetGeneration(0)
			objs = append(objs, u)
		}
	}
	failed.Store(0)
	began = time.Now()
	for _, u := range objs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, err := dyn.Resource(WGPolicy.gvr(u.GetNamespace() == "")).Namespace(u.GetNamespace()).Create(ctx, u, metav1.CreateOptions{FieldManager: "kharden"}); err != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	took := time.Since(began)
	t.Logf("the API server alone: the same %d reports created in %s (%.0f a second), %d failed", len(objs), took.Round(time.Millisecond),
		float64(len(objs))/took.Seconds(), failed.Load())
}

// scaleSubject is the controller TestScale measures: in the test process, or the
// kharden binary in its own (KHARDEN_SCALE_BIN), whose memory is then its alone.
type scaleSubject interface {
	log() string
	changeToReport(t *testing.T) *dto.Histogram
	memory(t *testing.T, when string)
	stop(t *testing.T)
}

type inProcess struct{ r *running }

func (p inProcess) log() string { return p.r.log.String() }
func (p inProcess) changeToReport(t *testing.T) *dto.Histogram {
	var m dto.Metric
	if err := p.r.metrics.ChangeToReport.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram()
}
func (p inProcess) memory(t *testing.T, when string) {
	memory(t, when+" (the test process: controller and test client)", os.Getpid())
}
func (p inProcess) stop(*testing.T) { p.r.stop() }

// binary is `kharden controller` run as its own process.
type binary struct {
	cmd     *exec.Cmd
	stderr  *syncBuffer
	metrics string
	done    chan error
}

// startBinary runs `bin controller` against the cluster and waits for its first
// full set of reports.
func startBinary(t *testing.T, bin, kubeconfig string) *binary {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	b := &binary{stderr: &syncBuffer{}, metrics: "http://" + addr + "/metrics", done: make(chan error, 1)}
	b.cmd = exec.Command(bin, "controller", "--kubeconfig", kubeconfig, "--no-config", "--leader-elect=false", "--metrics-addr", addr)
	b.cmd.Stderr = b.stderr
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { b.done <- b.cmd.Wait() }()
	t.Cleanup(func() { b.stop(t) })
	deadline := time.Now().Add(readyTimeout())
	for !strings.Contains(b.stderr.String(), "first reports written") {
		select {
		case err := <-b.done:
			t.Fatalf("kharden controller ended: %v\n%s", err, b.stderr.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reports after %s\n%s", readyTimeout(), b.stderr.String())
		}
	}
	return b
}

func (b *binary) log() string { return b.stderr.String() }

func (b *binary) changeToReport(t *testing.T) *dto.Histogram {
	resp, err := http.Get(b.metrics)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	f := fams["kharden_controller_change_to_report_seconds"]
	if f == nil || len(f.Metric) == 0 {
		t.Fatal("no change-to-report histogram in the metrics")
	}
	return f.Metric[0].GetHistogram()
}

func (b *binary) memory(t *testing.T, when string) {
	memory(t, when+" (kharden controller, its own process)", b.cmd.Process.Pid)
}

func (b *binary) stop(t *testing.T) {
	if b.cmd.ProcessState != nil {
		return
	}
	b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.done:
	case <-time.After(30 * time.Second):
		b.cmd.Process.Kill()
		<-b.done
	}
}

// memory logs a process's resident memory and its peak, and for the test process the
// Go heap.
func memory(t *testing.T, when string, pid int) {
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	var rss, hwm string
	for _, line := range strings.Split(string(status), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "VmRSS:" {
			rss = f[1]
		}
		if len(f) >= 2 && f[0] == "VmHWM:" {
			hwm = f[1]
		}
	}
	kib := func(s string) int { n, _ := strconv.Atoi(s); return n >> 10 }
	if pid != os.Getpid() {
		t.Logf("memory, %s: RSS %d MiB (peak %d MiB)", when, kib(rss), kib(hwm))
		return
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("memory, %s: RSS %d MiB (peak %d MiB); Go heap in use %d MiB, from the OS %d MiB, released %d MiB",
		when, kib(rss), kib(hwm), ms.HeapInuse>>20, ms.HeapSys>>20, ms.HeapReleased>>20)
}

func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}

// quantile is the upper bound of the histogram bucket that holds quantile q.
func quantile(h *dto.Histogram, q float64) string {
	want := q * float64(h.GetSampleCount())
	for _, b := range h.GetBucket() {
		if float64(b.GetCumulativeCount()) >= want {
			return fmt.Sprintf("%gs", b.GetUpperBound())
		}
	}
	return "+Inf"
}
