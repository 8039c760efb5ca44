package main

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kharden/kharden/internal/testkit"
)

// hostileCase is a review built to exhaust the webhook, sent many times at once.
type hostileCase struct {
	label string
	body  []byte
}

// hostileCases are pods of about 1 MB past the webhook's caps (12,000 privileged
// containers; 30,000 host ports, hostPath volumes, variables or capabilities), and the
// costliest ones within the caps (4,900 hostPath volumes or capabilities), which the
// webhook judges in full.
func hostileCases() []hostileCase {
	var out []hostileCase
	for _, shape := range testkit.HostileShapes {
		n := 30000
		if shape == "containers" {
			n = 12000
		}
		out = append(out, hostileCase{fmt.Sprintf("%d %s", n, shape), testkit.HostileReview("hostile", shape, n)})
	}
	for _, shape := range []string{"volumes", "capabilities"} {
		out = append(out, hostileCase{fmt.Sprintf("4900 %s", shape), testkit.HostileReview("hostile", shape, 4900)})
	}
	return out
}

// hostile sends each hostile case requests times from conns connections at once, and
// reports latency, the largest answer, the answers refused for want of memory budget
// (HTTP 429, which the API server handles by the failurePolicy) and the server's peak
// resident memory (VmHWM) before and after.
func hostile(s *server, pid int, requests, conns int) {
	fmt.Printf("\nhostile reviews, %d of each from %d connections at once (pid %d peak RSS before: %s)\n", requests, conns, pid, peakRSS(pid))
	fmt.Printf("%-18s %9s %9s %9s %9s %11s %7s %7s %7s %9s\n", "review", "bytes", "requests", "p50", "max", "max answer", "denied", "429", "errors", "peak RSS")
	for _, hc := range hostileCases() {
		req := append([]byte(fmt.Sprintf("POST /validate HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
			s.addr, len(hc.body))), hc.body...)
		var (
			mu                           sync.Mutex
			lat                          []time.Duration
			maxAnswer, denied, busy, bad int
			wg                           sync.WaitGroup
		)
		jobs := make(chan struct{}, requests)
		for range requests {
			jobs <- struct{}{}
		}
		close(jobs)
		for _, c := range dialAll(s, conns) {
			wg.Go(func() {
				defer c.close()
				for range jobs {
					t := time.Now()
					status, body, err := c.post(req)
					d := time.Since(t)
					mu.Lock()
					switch {
					case err != nil:
						bad++
						reportErr(err)
					case status == 429:
						busy++
					case status != 200:
						bad++
						reportErr(fmt.Errorf("HTTP %d: %.200s", status, body))
					default:
						lat = append(lat, d)
						maxAnswer = max(maxAnswer, len(body))
						if bytes.Contains(body, []byte(`"allowed":false`)) {
							denied++
						}
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		slices.Sort(lat)
		p50, worst := "-", "-"
		if len(lat) > 0 {
			p50, worst = fmtDur(lat[len(lat)/2]), fmtDur(lat[len(lat)-1])
		}
		fmt.Printf("%-18s %9d %9d %9s %9s %11d %7d %7d %7d %9s\n", hc.label, len(hc.body), requests, p50, worst, maxAnswer, denied, busy, bad, peakRSS(pid))
	}
	fmt.Println("peak RSS: the server's VmHWM after the row's requests (the highest so far)")
}

// post sends one prepared request and reads the answer, redialling a broken connection
// once.
func (c *conn) post(req []byte) (status int, body []byte, err error) {
	for attempt := 0; ; attempt++ {
		if c.c == nil {
			if err = c.dial(); err != nil {
				return 0, nil, err
			}
		}
		if _, err = c.c.Write(req); err == nil {
			if status, body, err = c.readResponse(); err == nil {
				return status, body, nil
			}
		}
		c.close()
		if attempt == 1 {
			return 0, nil, err
		}
	}
}

// peakRSS is a process's peak resident memory (VmHWM in /proc/PID/status).
func peakRSS(pid int) string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				return strings.TrimSpace(v)
			}
			return fmt.Sprintf("%.0f MiB", float64(kb)/1024)
		}
	}
	return "?"
}
