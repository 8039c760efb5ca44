// Command webhook load-tests `kharden webhook serve`: it runs the server as a subprocess
// on 127.0.0.1 (certificates from `kharden webhook certs`, policy from a config file:
// enforce high, warn pss-restricted, audit low), posts realistic AdmissionReviews over
// TLS (Pods as the ReplicaSet controller creates them and Deployments, with the API
// server's defaults and managedFields; about 20% violating) at fixed rates and at
// saturation, checks every answer, and reports throughput and latency percentiles. With
// -apiserver it also measures what the webhook adds to a pod create through a real
// kube-apiserver (internal/testkit/cluster). Run it with ./hack/bench.sh webhook.
//
// Fixed rates are open-loop: requests are due at fixed intervals whatever the answers,
// and latency is measured from when a request was due, so a server that falls behind
// shows it in the percentiles (no coordinated omission).
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kharden/kharden/internal/admission"
	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/testkit"
	"github.com/kharden/kharden/internal/webhook"
)

var serverGOGC, serverArgs string
var serverGODEBUG bool

// serverMemoryLimit, when set, is the memory limit of the chart's container, which the
// server gets as it would there: GOMEMLIMIT at 70% of it, a review budget of half.
var serverMemoryLimit int64

// traceOut, when set (-trace), gets a line per fixed-rate request: when it was due
// (µs from the run's start), its dispatch lag and its service time (µs).
var (
	traceOut   *bufio.Writer // written at the end, not a system call per request
	traceMu    sync.Mutex
	traceStart time.Time
)

var dispatchTick = flag.Duration("tick", 0, "fixed rates: how often the dispatcher wakes to send what is due (0: once per request interval); "+
	"a request sent late still counts from when it was due")

var verbose = flag.Bool("v", false, "also show, for fixed rates, the percentiles of dispatch lag (due to sent) and of service time (sent to answered)")

func main() {
	kharden := flag.String("kharden", "bin/kharden", "kharden binary")
	rates := flag.String("rates", "500,2000,5000", "fixed request rates per second")
	duration := flag.Duration("duration", 10*time.Second, "length of each measured run")
	warmup := flag.Duration("warmup", 2*time.Second, "unmeasured run at 1,000/s before the first")
	conns := flag.Int("conns", 16, "connections (and senders) for the fixed rates")
	satConns := flag.String("saturation", "4,16", "connections for the saturation runs (each sends back to back); empty skips them")
	violating := flag.Float64("violating", 0.2, "share of violating requests")
	apiserver := flag.Bool("apiserver", true, "also measure pod creates through a real kube-apiserver with and without the webhook")
	creates := flag.Int("creates", 300, "pod creates per variant of the API server measurement")
	serverProcs := flag.Int("server-procs", 1, "GOMAXPROCS of the server (0: the Go default, one per core); 1 is what the chart's CPU limit "+
		"of one core gives a replica (Go sizes GOMAXPROCS by the container's limit)")
	loadgenProcs := flag.Int("loadgen-procs", 1, "GOMAXPROCS of the load generator when the server is its own process (0: the Go default); "+
		"one core is plenty for it, and a second scheduler spinning on the server's cores only steals from it")
	pin := flag.Bool("pin", true, "when the server is its own process, keep the load generator on the first core and the server on the others, "+
		"as an API server and a webhook replica on different cores (or nodes) would be; without it Linux often wakes the server on the load generator's core")
	loadgenCore := flag.Int("loadgen-core", 0, "with -pin, the core of the load generator (the server gets the others)")
	inProcess := flag.Bool("inprocess", false, "run the server in the load generator's process (one Go runtime; server CPU is then counted with the load generator's)")
	flag.StringVar(&serverArgs, "server-args", "", "extra arguments for kharden webhook serve, space-separated (e.g. --cpu-profile=/tmp/cpu.out)")
	flag.BoolVar(&serverGODEBUG, "server-godebug", true, "give the server the chart's GODEBUG ("+webhook.GODEBUG+", see internal/webhook)")
	flag.StringVar(&serverGOGC, "server-gogc", "", "GOGC of the server (empty: kharden's default, 400)")
	dump := flag.String("dump", "", "write the AdmissionReviews to this directory (one JSON file each) and exit, for profiling the handler in isolation")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the load generator (and of the server, with -inprocess) to this file")
	hostileRun := flag.Bool("hostile", false, "after the other runs, send reviews built to exhaust the webhook (about 1 MB each, past its caps, and the costliest within them), "+
		"many at once, and report latency, answer size and the server's peak RSS (VmHWM)")
	hostileRequests := flag.Int("hostile-requests", 64, "with -hostile, requests of each hostile review")
	hostileConns := flag.Int("hostile-conns", 16, "with -hostile, connections sending them at once")
	flag.Int64Var(&serverMemoryLimit, "server-memory-limit", 256<<20, "memory limit of the server's container to mimic, in bytes (the chart's is 256 MiB): "+
		"GOMEMLIMIT at 70% and --memory-budget at half, as webhook serve sets them under a cgroup limit; 0 leaves both alone")
	traceFile := flag.String("trace", "", "write a line per fixed-rate request to this file: when it was due (µs from the run's start), its dispatch lag and its service time (µs)")
	flag.Parse()
	if *loadgenCore < 0 || *loadgenCore >= runtime.NumCPU() {
		check(fmt.Errorf("-loadgen-core %d: this machine has cores 0-%d", *loadgenCore, runtime.NumCPU()-1))
	}
	if *traceFile != "" {
		f, err := os.Create(*traceFile)
		check(err)
		traceOut = bufio.NewWriterSize(f, 8<<20)
		defer func() {
			check(traceOut.Flush())
			check(f.Close())
		}()
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		check(err)
		check(pprof.StartCPUProfile(f))
		defer pprof.StopCPUProfile()
	}
	if !*inProcess && *loadgenProcs > 0 {
		runtime.GOMAXPROCS(*loadgenProcs)
	}
	// The load generator's own collections should not show in the server's latency: it
	// allocates little, so collect rarely.
	debug.SetGCPercent(1000)

	if *dump != "" {
		check(os.MkdirAll(*dump, 0o755))
		for i, r := range testkit.Reviews(1000, *violating) {
			check(os.WriteFile(filepath.Join(*dump, fmt.Sprintf("review-%04d-%s.json", i, strings.ToLower(r.Kind))), r.Body, 0o644))
		}
		return
	}
	dir, err := os.MkdirTemp("", "kharden-webhook-bench-")
	check(err)
	defer os.RemoveAll(dir)
	var srv *server
	if *inProcess {
		debug.SetGCPercent(400) // what webhook serve sets
		if serverGOGC != "" {
			n, err := strconv.Atoi(serverGOGC)
			check(err)
			debug.SetGCPercent(n)
		}
		srv, err = startInProcess(dir)
	} else {
		srv, err = startServer(*kharden, dir, *serverProcs, "--no-cluster")
	}
	check(err)
	defer srv.stop()
	if !*inProcess && *pin && runtime.NumCPU() > 1 {
		check(pinThreads(os.Getpid(), []int{*loadgenCore}))
		var others []int
		for c := range runtime.NumCPU() {
			if c != *loadgenCore {
				others = append(others, c)
			}
		}
		check(pinThreads(srv.cmd.Process.Pid, others))
	}

	var reqs []*review
	for _, r := range testkit.Reviews(1000, *violating) {
		reqs = append(reqs, &review{Review: r})
	}
	for _, r := range reqs {
		r.request = append([]byte(fmt.Sprintf("POST /validate HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: %d\r\n\r\n",
			srv.addr, len(r.Body))), r.Body...)
	}
	pid := os.Getpid()
	if srv.cmd != nil {
		pid = srv.cmd.Process.Pid
	}
	fmt.Printf("kharden webhook serve on %s (pid %d); %d distinct AdmissionReviews, %.0f%% violating, %d pods and %d deployments, %.1f KiB on average\n",
		srv.addr, pid, len(reqs), 100*share(reqs), count(reqs, "Pod"), count(reqs, "Deployment"), avgSize(reqs)/1024)
	fmt.Printf("machine: %d CPUs, load average %s, core speed %s ns per random write to 8 MB (usually under 2.5; a core the host slows shows 3-12 and slows the server on it)\n\n",
		runtime.NumCPU(), loadavg(), coreSpeeds())

	if *warmup > 0 {
		fixedRate(srv, reqs, 1000, *warmup, *conns)
	}
	fmt.Printf("%-16s %9s %10s %9s %9s %9s %9s %7s %7s %11s %11s\n", "load", "requests", "per second", "p50", "p99", "p99.9", "max", "errors", "wrong", "server CPU", "loadgen CPU")
	for _, r := range strings.Split(*rates, ",") {
		if strings.TrimSpace(r) == "" {
			continue
		}
		rate, err := strconv.Atoi(strings.TrimSpace(r))
		check(err)
		res := fixedRate(srv, reqs, rate, *duration, *conns)
		res.print(fmt.Sprintf("%d/s", rate))
	}
	if *satConns != "" {
		for _, c := range strings.Split(*satConns, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(c))
			check(err)
			res := saturate(srv, reqs, n, *duration)
			res.print(fmt.Sprintf("max, %d conns", n))
		}
	}
	fmt.Println("\nlatency: from when a request was due to its answer read; CPU: per request, user+system")
	if *hostileRun {
		hostile(srv, pid, *hostileRequests, *hostileConns)
	}
	if *apiserver {
		fmt.Println()
		// The API server, etcd and the webhook started next share both cores: they would
		// inherit this process's pinning.
		if !*inProcess && *pin && runtime.NumCPU() > 1 {
			all := make([]int, runtime.NumCPU())
			for c := range all {
				all[c] = c
			}
			check(pinThreads(os.Getpid(), all))
		}
		check(apiServerLatency(*kharden, dir, *creates, *serverProcs))
	}
}

// server is `kharden webhook serve` running as a subprocess, or the same server in this
// process (-inprocess).
type server struct {
	cmd    *exec.Cmd
	addr   string
	caPEM  []byte
	cancel context.CancelFunc // in process
	done   chan error
}

// startInProcess runs the webhook server in this process, as `webhook serve` would with
// the same config and no cluster.
func startInProcess(dir string) (*server, error) {
	files, err := webhook.WriteCerts(filepath.Join(dir, "tls"), webhook.CertOptions{Hosts: []string{"127.0.0.1"}})
	if err != nil {
		return nil, err
	}
	caPEM, err := os.ReadFile(files.CA)
	if err != nil {
		return nil, err
	}
	rev, err := admission.New(admission.Options{Config: &config.Config{Admission: config.Admission{Enforce: "high", Warn: "pss-restricted", Audit: "low"}}})
	if err != nil {
		return nil, err
	}
	srv, err := webhook.New(webhook.Options{Reviewer: rev, CertFile: files.Cert, KeyFile: files.Key})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{addr: ln.Addr().String(), caPEM: caPEM, cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- srv.Serve(ctx, ln) }()
	return s, nil
}

func startServer(kharden, dir string, procs int, extra ...string) (*server, error) {
	certs := filepath.Join(dir, "tls")
	out, err := exec.Command(kharden, "webhook", "certs", "--host", "127.0.0.1", "--out", certs).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("webhook certs: %v\n%s", err, out)
	}
	caPEM, err := os.ReadFile(filepath.Join(certs, "ca.crt"))
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "kharden.yaml")
	if err := os.WriteFile(cfg, []byte("admission:\n  enforce: high\n  warn: pss-restricted\n  audit: low\n"), 0o644); err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := append([]string{"webhook", "serve", "--config", cfg, "--cert-dir", certs, "--addr", addr, "--log-level", "warn"}, extra...)
	args = append(args, strings.Fields(serverArgs)...)
	cmd := exec.Command(kharden, args...)
	cmd.Stderr = os.Stderr
	cmd.Env = os.Environ()
	if procs > 0 {
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+strconv.Itoa(procs))
	}
	if serverGOGC != "" {
		cmd.Env = append(cmd.Env, "GOGC="+serverGOGC)
	}
	if serverGODEBUG {
		cmd.Env = append(cmd.Env, "GODEBUG="+webhook.GODEBUG) // as the chart's container has it
	}
	if serverMemoryLimit > 0 {
		cmd.Env = append(cmd.Env, "GOMEMLIMIT="+strconv.FormatInt(serverMemoryLimit/10*7, 10))
		cmd.Args = append(cmd.Args, "--memory-budget", strconv.FormatInt(serverMemoryLimit/2, 10))
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, addr: addr, caPEM: caPEM}
	c := newClient(caPEM, 1)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := c.Get("https://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("server not ready: %v", err)
		}
	}
}

func (s *server) stop() {
	if s.cmd == nil {
		s.cancel()
		<-s.done
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
	}
}

// pinThreads keeps every thread of process pid on the given cores (threads started
// later inherit it from the thread that starts them).
func pinThreads(pid int, cores []int) error {
	var set unix.CPUSet
	for _, c := range cores {
		set.Set(c)
	}
	tids, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return err
	}
	for _, t := range tids {
		if tid, err := strconv.Atoi(t.Name()); err == nil {
			if err := unix.SchedSetaffinity(tid, &set); err != nil {
				return fmt.Errorf("pin %d to cores %v: %w", tid, cores, err)
			}
		}
	}
	return nil
}

// cpu returns the process's user+system CPU time so far, from /proc.
func (s *server) cpu() time.Duration {
	if s.cmd == nil {
		return 0 // in process: counted with the load generator
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+2:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func newClient(caPEM []byte, conns int) *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}}
}

// review is one prepared AdmissionReview, its whole HTTP request, and the answer it
// must get.
type review struct {
	testkit.Review
	request []byte // the HTTP request that carries it
}

// result is what one run measured.
type result struct {
	latencies     []time.Duration
	lags, service []time.Duration // fixed rates: from due to sent, from sent to answered
	errors, wrong int64
	elapsed       time.Duration
	serverCPU     time.Duration
	loadgenCPU    time.Duration
}

func (r *result) print(label string) {
	slices.Sort(r.latencies)
	n := len(r.latencies)
	pct := func(p float64) string {
		if n == 0 {
			return "-"
		}
		i := int(p * float64(n))
		if i >= n {
			i = n - 1
		}
		return fmtDur(r.latencies[i])
	}
	max := "-"
	if n > 0 {
		max = fmtDur(r.latencies[n-1])
	}
	perReq := func(d time.Duration) string {
		if n == 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f µs", float64(d.Microseconds())/float64(n))
	}
	fmt.Printf("%-16s %9d %10.0f %9s %9s %9s %9s %7d %7d %11s %11s\n", label, n, float64(n)/r.elapsed.Seconds(),
		pct(0.50), pct(0.99), pct(0.999), max, r.errors, r.wrong, perReq(r.serverCPU), perReq(r.loadgenCPU))
	if *verbose && len(r.lags) > 0 {
		for _, part := range []struct {
			name string
			ds   []time.Duration
		}{{"  due->sent", r.lags}, {"  sent->answer", r.service}} {
			slices.Sort(part.ds)
			q := func(p float64) string { return fmtDur(part.ds[min(int(p*float64(len(part.ds))), len(part.ds)-1)]) }
			fmt.Printf("%-16s %9s %10s %9s %9s %9s %9s\n", part.name, "", "", q(0.5), q(0.99), q(0.999), fmtDur(part.ds[len(part.ds)-1]))
		}
	}
}

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Second:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	}
	return d.Round(time.Millisecond).String()
}

// conn is one keep-alive HTTP/1.1 connection over TLS, used by one sender at a time:
// the request is written and the response read in the sender's goroutine, without
// net/http's per-connection reader and writer goroutines, so the load generator spends
// little of the machine's CPU on itself.
type conn struct {
	addr string
	tls  *tls.Config
	c    *tls.Conn
	br   *bufio.Reader
	buf  bytes.Buffer
}

func newConn(addr string, caPEM []byte) *conn {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &conn{addr: addr, tls: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}}
}

// send posts one review to /validate and checks the answer: HTTP 200, an AdmissionReview
// with the request's UID, allowed as expected. A broken connection is redialled once.
func (c *conn) send(r *review) (wrong bool, err error) {
	for attempt := 0; ; attempt++ {
		wrong, err = c.try(r)
		if err == nil || attempt == 1 {
			return wrong, err
		}
		c.close()
	}
}

func (c *conn) close() {
	if c.c != nil {
		c.c.Close()
		c.c = nil
	}
}

// dial connects and completes the TLS handshake.
func (c *conn) dial() error {
	tc, err := tls.Dial("tcp", c.addr, c.tls)
	if err != nil {
		return err
	}
	c.c, c.br = tc, bufio.NewReaderSize(tc, 16<<10)
	return nil
}

// dialAll opens n connections before a run starts, as an API server keeps its
// connections to a webhook open: a run measures requests, not TLS handshakes.
func dialAll(s *server, n int) []*conn {
	cs := make([]*conn, n)
	for i := range cs {
		cs[i] = newConn(s.addr, s.caPEM)
		check(cs[i].dial())
	}
	return cs
}

func (c *conn) try(r *review) (bool, error) {
	if c.c == nil {
		if err := c.dial(); err != nil {
			return false, err
		}
	}
	if _, err := c.c.Write(r.request); err != nil {
		return false, err
	}
	status, body, err := c.readResponse()
	if err != nil {
		return false, err
	}
	if status != 200 {
		return false, fmt.Errorf("HTTP %d: %.200s", status, body)
	}
	// The answer's UID and verdict, found without decoding all of it: the server writes
	// {"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","response":{"uid":"...","allowed":...
	uid := bytes.Index(body, []byte(`"uid":"`))
	allowed := bytes.Index(body, []byte(`"allowed":`))
	if uid < 0 || allowed < 0 {
		return false, fmt.Errorf("not an AdmissionReview response: %.200s", body)
	}
	gotUID := body[uid+len(`"uid":"`):]
	gotUID = gotUID[:max(bytes.IndexByte(gotUID, '"'), 0)]
	gotAllowed := bytes.HasPrefix(body[allowed+len(`"allowed":`):], []byte("true"))
	return string(gotUID) != r.UID || gotAllowed != r.Allowed, nil
}

// readResponse reads one HTTP/1.1 response with a Content-Length body (what net/http's
// server writes for these answers) into c.buf.
func (c *conn) readResponse() (status int, body []byte, err error) {
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return 0, nil, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, nil, fmt.Errorf("bad status line %q", line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, nil, fmt.Errorf("bad status line %q", line)
	}
	length := -1
	for {
		h, err := c.br.ReadSlice('\n')
		if err != nil {
			return 0, nil, err
		}
		if len(bytes.TrimSpace(h)) == 0 {
			break
		}
		if k, v, ok := bytes.Cut(h, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(v))); err != nil {
				return 0, nil, fmt.Errorf("bad Content-Length %q", v)
			}
		}
	}
	if length < 0 {
		return 0, nil, errors.New("response without Content-Length")
	}
	c.buf.Reset()
	if _, err := io.CopyN(&c.buf, c.br, int64(length)); err != nil {
		return 0, nil, err
	}
	return status, c.buf.Bytes(), nil
}

// fixedRate sends rate requests per second for d, open loop, from conns senders.
func fixedRate(s *server, reqs []*review, rate int, d time.Duration, conns int) *result {
	total := int(float64(rate) * d.Seconds())
	interval := time.Second / time.Duration(rate)
	type job struct {
		due time.Time
		r   *review
	}
	jobs := make(chan job, total)
	res := &result{latencies: make([]time.Duration, 0, total)}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs, wrong atomic.Int64
	for _, c := range dialAll(s, conns) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.close()
			local := make([]time.Duration, 0, total/conns+16)
			var lags, svcs []time.Duration
			for j := range jobs {
				t0 := time.Now()
				w, err := c.send(j.r)
				lat := time.Since(j.due)
				lags = append(lags, t0.Sub(j.due))
				svcs = append(svcs, time.Since(t0))
				switch {
				case err != nil:
					errs.Add(1)
					reportErr(err)
				case w:
					wrong.Add(1)
				}
				local = append(local, lat)
				if traceOut != nil {
					traceMu.Lock()
					fmt.Fprintf(traceOut, "%d %d %d\n", j.due.Sub(traceStart).Microseconds(), t0.Sub(j.due).Microseconds(), time.Since(t0).Microseconds())
					traceMu.Unlock()
				}
			}
			mu.Lock()
			res.latencies = append(res.latencies, local...)
			res.lags = append(res.lags, lags...)
			res.service = append(res.service, svcs...)
			mu.Unlock()
		}()
	}
	cpu0, self0 := s.cpu(), selfCPU()
	// The ticker starts just after start, so that each tick finds the request due at
	// that instant already due (the other way round, every request would wait a tick).
	start := time.Now()
	traceStart = start
	if traceOut != nil {
		var ts unix.Timespec
		unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts)
		fmt.Fprintf(traceOut, "# start boottime %d µs\n", ts.Nano()/1000)
	}
	tick, err := newTicker(max(interval, *dispatchTick))
	check(err)
	defer tick.Close()
	for i := 0; i < total; {
		due := int(time.Since(start)/interval) + 1
		for ; i < total && i < due; i++ {
			jobs <- job{due: start.Add(time.Duration(i) * interval), r: reqs[i%len(reqs)]}
		}
		check(tick.wait())
	}
	close(jobs)
	wg.Wait()
	res.elapsed = time.Since(start)
	res.serverCPU, res.loadgenCPU = s.cpu()-cpu0, selfCPU()-self0
	res.errors, res.wrong = errs.Load(), wrong.Load()
	return res
}

// ticker wakes the dispatcher of a fixed rate once per interval. A timerfd read through
// Go's network poller, because time.Sleep cannot wait less than a millisecond on Linux
// (the poller's timeout is in milliseconds), so requests would leave in bursts up to a
// millisecond late and the load generator's lateness would count against the server.
type ticker struct{ f *os.File }

func newTicker(interval time.Duration) (*ticker, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("timerfd: %w", err)
	}
	ts := unix.NsecToTimespec(interval.Nanoseconds())
	if err := unix.TimerfdSettime(fd, 0, &unix.ItimerSpec{Interval: ts, Value: ts}, nil); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("timerfd: %w", err)
	}
	return &ticker{f: os.NewFile(uintptr(fd), "timerfd")}, nil
}

// wait blocks until the next tick (at once if ticks passed since the last wait).
func (t *ticker) wait() error {
	var n [8]byte
	_, err := t.f.Read(n[:])
	return err
}

func (t *ticker) Close() error { return t.f.Close() }

// saturate sends back to back from conns senders for d.
func saturate(s *server, reqs []*review, conns int, d time.Duration) *result {
	res := &result{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs, wrong atomic.Int64
	var next atomic.Int64
	cs := dialAll(s, conns)
	cpu0, self0 := s.cpu(), selfCPU()
	start := time.Now()
	stop := start.Add(d)
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.close()
			var local []time.Duration
			for time.Now().Before(stop) {
				r := reqs[int(next.Add(1))%len(reqs)]
				t := time.Now()
				w, err := c.send(r)
				local = append(local, time.Since(t))
				switch {
				case err != nil:
					errs.Add(1)
					reportErr(err)
				case w:
					wrong.Add(1)
				}
			}
			mu.Lock()
			res.latencies = append(res.latencies, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.serverCPU, res.loadgenCPU = s.cpu()-cpu0, selfCPU()-self0
	res.errors, res.wrong = errs.Load(), wrong.Load()
	return res
}

func share(reqs []*review) float64 {
	bad := 0
	for _, r := range reqs {
		if !r.Allowed {
			bad++
		}
	}
	return float64(bad) / float64(len(reqs))
}

func count(reqs []*review, kind string) int {
	n := 0
	for _, r := range reqs {
		if r.Kind == kind {
			n++
		}
	}
	return n
}

func avgSize(reqs []*review) float64 {
	total := 0
	for _, r := range reqs {
		total += len(r.Body)
	}
	return float64(total) / float64(len(reqs))
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// coreSpeeds times a memory-bound loop on each core in turn. This VM's host slows one
// core at a time for minutes, which no steal time shows; the figures say which core a
// run's server had.
func coreSpeeds() string {
	buf := make([]byte, 8<<20)
	var out []string
	for c := range runtime.NumCPU() {
		ch := make(chan string)
		go func() {
			runtime.LockOSThread() // the thread ends with the goroutine, its pinning with it
			var set unix.CPUSet
			set.Set(c)
			if err := unix.SchedSetaffinity(0, &set); err != nil {
				ch <- "?"
				return
			}
			x, n := uint64(c+1), 0
			start := time.Now()
			for time.Since(start) < 100*time.Millisecond {
				for range 4096 {
					x = x*6364136223846793005 + 1442695040888963407
					buf[(x>>20)%uint64(len(buf))]++
				}
				n += 4096
			}
			ch <- fmt.Sprintf("%.1f", float64(time.Since(start).Nanoseconds())/float64(n))
		}()
		out = append(out, <-ch)
	}
	return strings.Join(out, ", ")
}

func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	return strings.Join(f[:3], " ")
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

var errOnce sync.Once

func reportErr(err error) {
	errOnce.Do(func() { fmt.Fprintln(os.Stderr, "first error:", err) })
}
