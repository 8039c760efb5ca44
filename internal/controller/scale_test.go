package controller

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	kcluster "github.com/kharden/kharden/internal/testkit/cluster"
)

// TestScale measures the controller on a cluster of many Deployments (KHARDEN_SCALE,
// e.g. 10000, in 100 namespaces): the time to the first full set of reports, the
// process's memory, and, under a steady stream of changes, how long a change takes to
// reach the reports. It reports figures and asserts only that the reports follow; it
// does not run unless KHARDEN_SCALE is set (./hack/bench-controller.sh sets it).
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
	memory(t, "before the controller starts")
	r := start(t, cfg) // returns once the first full set of reports is written
	memory(t, "first reports written")
	first := r.log.String()
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
	var m dto.Metric
	if err := r.metrics.ChangeToReport.Write(&m); err != nil {
		t.Fatal(err)
	}
	h := m.GetHistogram()
	t.Logf("%d changes in %s (%d/s): %d audits; change to report: mean %.3f s, p50 <= %s, p90 <= %s, p99 <= %s",
		changes, dur, rate, h.GetSampleCount(), h.GetSampleSum()/float64(h.GetSampleCount()),
		quantile(h, 0.5), quantile(h, 0.9), quantile(h, 0.99))
	memory(t, "after the changes (controller and test client)")
	if path := os.Getenv("KHARDEN_SCALE_HEAP"); path != "" {
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
	t.Logf("last audits:\n%s", lastLines(r.log.String(), 3))
}

// memory logs the process's resident memory, its peak, and the Go heap.
func memory(t *testing.T, when string) {
	status, _ := os.ReadFile("/proc/self/status")
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
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	kib := func(s string) int { n, _ := strconv.Atoi(s); return n >> 10 }
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
