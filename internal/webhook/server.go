// Package webhook is the HTTPS side of `kharden webhook serve`: it reads AdmissionReview
// v1 requests on /validate and /mutate, answers them with package admission, and serves
// /healthz, /readyz and Prometheus /metrics. The serving certificate is read from files
// and read again when they change; bodies are size-limited, requests time-limited, and
// shutdown is graceful. It also writes the CA and serving certificate a deployment needs
// (WriteCerts).
package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"mime"
	"net"
	"os"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kharden/kharden/internal/admission"
)

// Options configure a Server.
type Options struct {
	// Reviewer answers the requests.
	Reviewer *admission.Reviewer
	// CertFile and KeyFile are the serving certificate (PEM), read again when they change.
	CertFile, KeyFile string
	// Ready reports whether the webhook can judge requests (the namespace cache has
	// synced); nil means always. /readyz answers 503 until it does.
	Ready func() bool
	// MaxBodyBytes bounds an AdmissionReview (default 8 MiB: the API server's 3 MiB
	// objects, old and new, with room to spare). Larger bodies get HTTP 413, bodies
	// without a Content-Length HTTP 411.
	MaxBodyBytes int64
	// MemoryBudget bounds the memory of the reviews in flight (default: half the
	// container's memory limit, else DefaultMemoryBudget): each reserves ReviewCost of
	// its body's length before the body is read, and waits (QueueWait) while the budget
	// is spent.
	MemoryBudget int64
	// QueueWait is how long a review waits for its share of MemoryBudget before it is
	// refused with HTTP 429, which the API server handles by the webhook's
	// failurePolicy (default 1 s).
	QueueWait time.Duration
	// MaxConnections bounds the connections served at once (default 256); more are
	// answered 503 and closed. Each holds buffers of about 50 KiB.
	MaxConnections int
	// RequestTimeout bounds the work on one request (default 10 s; the API server's own
	// webhook timeout is at most 30 s).
	RequestTimeout time.Duration
	// ShutdownTimeout bounds how long a graceful shutdown waits for requests in flight
	// (default 25 s).
	ShutdownTimeout time.Duration
	// ShutdownDelay is how long /readyz reports not ready before the listener closes, so
	// that endpoints stop sending new requests first (default 0).
	ShutdownDelay time.Duration
	// CertCheckInterval is how often, at most, a handshake checks the certificate files
	// for changes (default 1 s).
	CertCheckInterval time.Duration
	// Log receives start, stop, certificate and error messages; nil discards them.
	Log *slog.Logger
	// NoKeepAlive closes each connection after one request, so every request starts with
	// a handshake (tests of certificate rotation).
	NoKeepAlive bool
}

// GODEBUG is the Go runtime setting the chart and deploy/webhook give the server's
// container. With one P (a CPU limit of one core), the P is idle between requests, and
// the runtime's monitor thread (sysmon) then sleeps until the next system call wakes it:
// at thousands of requests a second that is a futex wake and a thread switch per
// request, a fifth of the server's CPU. sysmon skips that sleep when a scheduler trace
// is due; with one due every 2^31-1 ms (24.8 days, counted from the node's boot) the
// trace, a line on stderr, comes at most that often (the first at start on a node up
// longer), and sysmon just polls with its usual backoff (at most every 10 ms).
const GODEBUG = "schedtrace=2147483647"

// Server is the webhook's HTTPS server.
type Server struct {
	o        Options
	certs    *certReloader
	metrics  *metrics
	routes   map[string]fasthttp.RequestHandler
	log      *slog.Logger
	budget   *budget
	stopping atomic.Bool
}

// New loads the certificate and builds the server.
func New(o Options) (*Server, error) {
	if o.Reviewer == nil {
		return nil, errors.New("webhook: no reviewer")
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 8 << 20
	}
	if o.MemoryBudget <= 0 {
		o.MemoryBudget = DefaultMemoryBudget
		if l := MemoryLimit(); l > 0 {
			o.MemoryBudget = max(l/2, 32<<20)
		}
	}
	if o.QueueWait <= 0 {
		o.QueueWait = time.Second
	}
	if o.MaxConnections <= 0 {
		o.MaxConnections = 256
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 10 * time.Second
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 25 * time.Second
	}
	if o.CertCheckInterval <= 0 {
		o.CertCheckInterval = time.Second
	}
	s := &Server{o: o, metrics: newMetrics(), log: o.Log, budget: newBudget(o.MemoryBudget)}
	s.metrics.registry.MustRegister(s.metrics.budgetGauge(s.budget))
	o.Reviewer.SetImageMetrics(s.metrics)
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	var err error
	s.certs, err = newCertReloader(o.CertFile, o.KeyFile, o.CertCheckInterval, s.certificateLoaded)
	if err != nil {
		return nil, err
	}
	s.routes = map[string]fasthttp.RequestHandler{
		"/validate": s.review("validate", o.Reviewer.Validate),
		"/mutate":   s.review("mutate", o.Reviewer.Mutate),
		"/healthz":  func(c *fasthttp.RequestCtx) { c.SetBodyString("ok\n") },
		"/readyz":   s.readyz,
		"/metrics":  fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})),
	}
	return s, nil
}

func (s *Server) certificateLoaded(c *x509.Certificate, err error) {
	s.metrics.certificate(c, err)
	if err != nil {
		s.log.Error("serving certificate not reloaded; the previous one stays in service", "error", err)
		return
	}
	s.log.Info("serving certificate loaded", "certificate", describe(c))
}

// TLSConfig returns the TLS configuration: TLS 1.2 or later, the reloading certificate,
// HTTP/1.1 only (see Serve). TLS 1.2 is limited to ECDHE with AEAD ciphers (Go's default
// list still offers CBC with SHA-1), the set the control-plane rules kharden ships ask of
// kube-apiserver's --tls-cipher-suites; TLS 1.3's suites are all AEAD and not
// configurable.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, CipherSuites: cipherSuites,
		GetCertificate: s.certs.GetCertificate, NextProtos: []string{"http/1.1"}}
}

// cipherSuites are the TLS 1.2 suites the server accepts: forward secret and AEAD.
var cipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// ListenAndServe listens on addr and serves until ctx ends, then shuts down gracefully.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Serve serves HTTPS on ln until ctx ends, then shuts down gracefully: /readyz turns
// unready, ShutdownDelay passes, the listener closes and requests in flight finish
// (within ShutdownTimeout). It returns nil after a graceful shutdown.
//
// It speaks HTTP/1.1 only, with fasthttp: kube-apiserver then keeps a pool of
// keep-alive connections (which also spreads its requests over the webhook's replicas,
// where one HTTP/2 connection would pin them to one), and a request costs the server
// about half the CPU of net/http's, whose per-request goroutine and deadline changes
// wake the other core on a small node (docs/benchmarks.md). No HTTP/2 also means none
// of its stream-reset attacks.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &fasthttp.Server{
		Handler:        s.route,
		ErrorHandler:   s.requestError,
		ReadTimeout:    s.o.RequestTimeout + 5*time.Second,
		WriteTimeout:   s.o.RequestTimeout + 5*time.Second,
		IdleTimeout:    2 * time.Minute,
		ReadBufferSize: 16 << 10, // also the limit on request headers
		// fasthttp reads at most 8 KiB of a body before the handler runs (most reviews
		// whole); the handler reads the rest once the review's share of the memory
		// budget is reserved, so bodies waiting for it take no memory. A body refused
		// unread is skipped if short, else the connection closes.
		StreamRequestBody:            true,
		MaxRequestBodySize:           int(min(s.o.MaxBodyBytes, math.MaxInt32)),
		Concurrency:                  s.o.MaxConnections,
		DisableKeepalive:             s.o.NoKeepAlive,
		DisablePreParseMultipartForm: true,
		NoDefaultServerHeader:        true,
		CloseOnShutdown:              true,
		Logger:                       printfLogger{s.log},
	}
	s.stopping.Store(false)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(tls.NewListener(ln, s.TLSConfig())) }()
	s.log.Info("serving", "address", ln.Addr().String())
	// Check the certificate files now and then even without handshakes, so the expiry
	// metric follows a renewal.
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
wait:
	for {
		select {
		case err := <-errc:
			return err
		case <-tick.C:
			_ = s.certs.reload(false)
		case <-ctx.Done():
			break wait
		}
	}
	s.stopping.Store(true)
	s.log.Info("shutting down", "delay", s.o.ShutdownDelay)
	time.Sleep(s.o.ShutdownDelay)
	sctx, cancel := context.WithTimeout(context.Background(), s.o.ShutdownTimeout)
	defer cancel()
	if err := srv.ShutdownWithContext(sctx); err != nil {
		return fmt.Errorf("webhook shutdown: %w", err)
	}
	if err := <-errc; err != nil {
		return err
	}
	s.log.Info("stopped")
	return nil
}

// route dispatches a request by path.
func (s *Server) route(c *fasthttp.RequestCtx) {
	h, ok := s.routes[string(c.Path())]
	if !ok {
		httpError(c, "not found", fasthttp.StatusNotFound)
		return
	}
	h(c)
}

// requestError answers a request fasthttp could not read: too large, headers too long,
// malformed or timed out.
func (s *Server) requestError(c *fasthttp.RequestCtx, err error) {
	code, msg := fasthttp.StatusBadRequest, "bad request"
	var tooBig bool
	var small *fasthttp.ErrSmallBuffer
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		code, msg, tooBig = fasthttp.StatusRequestEntityTooLarge, fmt.Sprintf("AdmissionReview larger than %d bytes", s.o.MaxBodyBytes), true
	case errors.As(err, &small):
		code, msg = fasthttp.StatusRequestHeaderFieldsTooLarge, "request headers too large"
	case errors.Is(err, os.ErrDeadlineExceeded):
		code, msg = fasthttp.StatusRequestTimeout, "request not read in time"
	}
	if tooBig {
		switch string(c.Path()) {
		case "/validate":
			s.metrics.requests.WithLabelValues("validate", "none", "none", decisionBadRequest).Inc()
		case "/mutate":
			s.metrics.requests.WithLabelValues("mutate", "none", "none", decisionBadRequest).Inc()
		}
	}
	s.log.Debug("request not read", "remote", c.RemoteAddr().String(), "error", err)
	httpError(c, msg, code)
}

// httpError answers with a status and a line of text.
func httpError(c *fasthttp.RequestCtx, msg string, code int) {
	c.Response.ResetBody()
	c.SetStatusCode(code)
	c.SetContentType("text/plain; charset=utf-8")
	c.Response.Header.Set("X-Content-Type-Options", "nosniff")
	c.SetBodyString(msg + "\n")
}

// printfLogger passes fasthttp's messages (connection errors) on at debug level.
type printfLogger struct{ log *slog.Logger }

func (l printfLogger) Printf(format string, args ...any) {
	if l.log.Enabled(context.Background(), slog.LevelDebug) {
		l.log.Debug(fmt.Sprintf(format, args...))
	}
}

func (s *Server) readyz(c *fasthttp.RequestCtx) {
	switch {
	case s.stopping.Load():
		httpError(c, "shutting down", fasthttp.StatusServiceUnavailable)
	case s.o.Ready != nil && !s.o.Ready():
		httpError(c, "namespace cache not synced", fasthttp.StatusServiceUnavailable)
	default:
		c.SetBodyString("ok\n")
	}
}

// review serves one endpoint: AdmissionReview in, AdmissionReview out. Whatever the
// body, the answer is a well-formed AdmissionReview or an HTTP error status with a short
// text: 400 for a body that is not an AdmissionReview v1 with a request, 405, 411, 413,
// 415, 429 when the memory budget stays spent, and 500 if answering panicked (a bug; the
// server keeps running).
func (s *Server) review(endpoint string, decide func(context.Context, *admissionv1.AdmissionRequest) admission.Decision) fasthttp.RequestHandler {
	latency := s.metrics.latency.WithLabelValues(endpoint)
	return func(c *fasthttp.RequestCtx) {
		start := time.Now()
		s.metrics.inflight.Inc()
		defer s.metrics.inflight.Dec()
		defer func() { latency.Observe(time.Since(start).Seconds()) }()
		fail := func(code int, decision, op, kind, msg string) {
			s.metrics.requests.WithLabelValues(endpoint, op, kind, decision).Inc()
			httpError(c, msg, code)
		}
		if !c.IsPost() {
			fail(fasthttp.StatusMethodNotAllowed, decisionBadRequest, "none", "none", "POST an AdmissionReview")
			c.Response.Header.Set("Allow", fasthttp.MethodPost)
			return
		}
		if ct := c.Request.Header.ContentType(); len(ct) > 0 && string(ct) != "application/json" {
			if mt, _, err := mime.ParseMediaType(string(ct)); err != nil || mt != "application/json" {
				fail(fasthttp.StatusUnsupportedMediaType, decisionBadRequest, "none", "none", "Content-Type must be application/json")
				return
			}
		}
		n := c.Request.Header.ContentLength()
		switch {
		case n == -1: // chunked: its size is known only once read
			fail(fasthttp.StatusLengthRequired, decisionBadRequest, "none", "none", "Content-Length required")
			c.SetConnectionClose()
			return
		case int64(n) > s.o.MaxBodyBytes:
			fail(fasthttp.StatusRequestEntityTooLarge, decisionBadRequest, "none", "none", fmt.Sprintf("AdmissionReview larger than %d bytes", s.o.MaxBodyBytes))
			return
		}
		n = max(n, 0)
		share := s.budget.acquire(ReviewCost(n), s.o.QueueWait)
		if share == 0 {
			c.Response.Header.Set("Retry-After", "1")
			fail(fasthttp.StatusTooManyRequests, decisionOverloaded, "none", "none",
				fmt.Sprintf("kharden: too many reviews in flight (their memory budget of %d MiB is spent); try again", s.o.MemoryBudget>>20))
			return
		}
		defer s.budget.release(share)
		body, release, err := readBody(c, n)
		if err != nil {
			fail(fasthttp.StatusBadRequest, decisionBadRequest, "none", "none", "reading the body: "+err.Error())
			c.SetConnectionClose()
			return
		}
		defer release()
		review, err := admission.DecodeReview(body)
		if err != nil {
			fail(fasthttp.StatusBadRequest, decisionBadRequest, "none", "none", err.Error())
			return
		}
		req := review.Request
		op, kind := operationLabel(string(req.Operation)), kindLabel(req.Kind.Kind)
		// Not the connection's context: a request in flight at shutdown is answered.
		ctx, cancel := context.WithTimeout(context.Background(), s.o.RequestTimeout)
		defer cancel()
		d, err := s.safely(ctx, decide, req)
		if err != nil {
			s.log.Error("answering an AdmissionReview panicked", "endpoint", endpoint, "uid", req.UID, "error", err)
			fail(fasthttp.StatusInternalServerError, decisionInternal, op, kind, "internal error")
			return
		}
		s.metrics.requests.WithLabelValues(endpoint, op, kind, d.Outcome).Inc()
		for _, id := range d.Hits {
			s.metrics.ruleHits.WithLabelValues(id).Inc()
		}
		out := admissionv1.AdmissionReview{
			TypeMeta: metav1.TypeMeta{APIVersion: admission.ReviewAPIVersion, Kind: admission.ReviewKind},
			Response: d.Response,
		}
		// The encoder writes once, when the whole answer is encoded.
		if err := json.NewEncoder(c).Encode(&out); err != nil {
			fail(fasthttp.StatusInternalServerError, decisionInternal, op, kind, "encode response")
			return
		}
		c.SetContentType("application/json")
	}
}

// safely runs decide, turning a panic into an error.
func (s *Server) safely(ctx context.Context, decide func(context.Context, *admissionv1.AdmissionRequest) admission.Decision,
	req *admissionv1.AdmissionRequest) (d admission.Decision, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	d = decide(ctx, req)
	if d.Response == nil {
		return d, errors.New("no response")
	}
	d.Response.UID = req.UID
	return d, nil
}
