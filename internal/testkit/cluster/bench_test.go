//go:build linux

package cluster_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/testkit/cluster"
)

// BenchmarkStart measures the time from nothing to a ready control plane (PKI, etcd /health,
// kube-apiserver /readyz, and with the controller manager the default ServiceAccount), and the
// resident memory of the components right after start (RSS-MiB) and at their peak (HWM-MiB).
func BenchmarkStart(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts cluster.Options
	}{
		{"etcd+apiserver", cluster.Options{}},
		{"with-controller-manager", cluster.Options{ControllerManager: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bin, err := cluster.BinDir()
			if err != nil {
				b.Skip(err)
			}
			var rss, hwm float64
			for b.Loop() {
				c, err := cluster.New(bin, bc.opts)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				for _, p := range c.Processes() {
					rss += procStatusMiB(b, p.PID, "VmRSS")
					hwm += procStatusMiB(b, p.PID, "VmHWM")
				}
				if err := c.Stop(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(rss/float64(b.N), "RSS-MiB")
			b.ReportMetric(hwm/float64(b.N), "HWM-MiB")
		})
	}
}

func procStatusMiB(b *testing.B, pid int, field string) float64 {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb / 1024
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
