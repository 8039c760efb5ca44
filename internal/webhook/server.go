// Package webhook is the HTTPS side of `kharden webhook serve`: it reads AdmissionReview
// v1 requests on /validate and /mutate, answers them with package admission, and serves
// /healthz, /readyz and Prometheus /metrics. The serving certificate is read from files
// and read again when they change; bodies are size-limited, requests time-limited, and
// shutdown is graceful. It also writes the CA and serving certificate a deployment needs
// (WriteCerts).
package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
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
	// objects, old and new, with room to spare). Larger bodies get HTTP 413.
	MaxBodyBytes int64
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

// Server is the webhook's HTTPS server.
type Server struct {
	o        Options
	certs    *certReloader
	metrics  *metrics
	mux      *http.ServeMux
	log      *slog.Logger
	stopping atomic.Bool
	bufs     sync.Pool
}

// New loads the certificate and builds the server.
func New(o Options) (*Server, error) {
	if o.Reviewer == nil {
		return nil, errors.New("webhook: no reviewer")
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 8 << 20
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
	s := &Server{o: o, metrics: newMetrics(), log: o.Log}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.bufs.New = func() any { return new(bytes.Buffer) }
	var err error
	s.certs, err = newCertReloader(o.CertFile, o.KeyFile, o.CertCheckInterval, s.certificateLoaded)
	if err != nil {
		return nil, err
	}
	s.mux = http.NewServeMux()
	s.mux.Handle("/validate", s.review("validate", o.Reviewer.Validate))
	s.mux.Handle("/mutate", s.review("mutate", o.Reviewer.Mutate))
	s.mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	s.mux.HandleFunc("/readyz", s.readyz)
	s.mux.Handle("/metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
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

// Handler returns the server's routes, for tests and for serving them elsewhere.
func (s *Server) Handler() http.Handler { return s.mux }

// TLSConfig returns the TLS configuration: TLS 1.2 or later, the reloading certificate.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: s.certs.GetCertificate}
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
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.mux,
		TLSConfig:         s.TLSConfig(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       s.o.RequestTimeout + 5*time.Second,
		WriteTimeout:      s.o.RequestTimeout + 5*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	srv.SetKeepAlivesEnabled(!s.o.NoKeepAlive)
	s.stopping.Store(false)
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
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
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("webhook shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	s.log.Info("stopped")
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	switch {
	case s.stopping.Load():
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
	case s.o.Ready != nil && !s.o.Ready():
		http.Error(w, "namespace cache not synced", http.StatusServiceUnavailable)
	default:
		io.WriteString(w, "ok\n")
	}
}

// review serves one endpoint: AdmissionReview in, AdmissionReview out. Whatever the
// body, the answer is a well-formed AdmissionReview or an HTTP error status with a short
// text: 400 for a body that is not an AdmissionReview v1 with a request, 405, 413, 415,
// and 500 if answering panicked (a bug; the server keeps running).
func (s *Server) review(endpoint string, decide func(context.Context, *admissionv1.AdmissionRequest) admission.Decision) http.Handler {
	latency := s.metrics.latency.WithLabelValues(endpoint)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.metrics.inflight.Inc()
		defer s.metrics.inflight.Dec()
		defer func() { latency.Observe(time.Since(start).Seconds()) }()
		fail := func(code int, decision, op, kind, msg string) {
			s.metrics.requests.WithLabelValues(endpoint, op, kind, decision).Inc()
			http.Error(w, msg, code)
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			fail(http.StatusMethodNotAllowed, decisionBadRequest, "none", "none", "POST an AdmissionReview")
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "" {
			if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
				fail(http.StatusUnsupportedMediaType, decisionBadRequest, "none", "none", "Content-Type must be application/json")
				return
			}
		}
		buf := s.bufs.Get().(*bytes.Buffer)
		buf.Reset()
		defer func() {
			if buf.Cap() <= 1<<20 { // do not keep huge buffers around
				s.bufs.Put(buf)
			}
		}()
		if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.o.MaxBodyBytes)); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				fail(http.StatusRequestEntityTooLarge, decisionBadRequest, "none", "none",
					fmt.Sprintf("AdmissionReview larger than %d bytes", s.o.MaxBodyBytes))
				return
			}
			fail(http.StatusBadRequest, decisionBadRequest, "none", "none", "read body: "+err.Error())
			return
		}
		review, err := admission.DecodeReview(buf.Bytes())
		if err != nil {
			fail(http.StatusBadRequest, decisionBadRequest, "none", "none", err.Error())
			return
		}
		req := review.Request
		op, kind := operationLabel(string(req.Operation)), kindLabel(req.Kind.Kind)
		ctx, cancel := context.WithTimeout(r.Context(), s.o.RequestTimeout)
		defer cancel()
		d, err := s.safely(ctx, decide, req)
		if err != nil {
			s.log.Error("answering an AdmissionReview panicked", "endpoint", endpoint, "uid", req.UID, "error", err)
			fail(http.StatusInternalServerError, decisionInternal, op, kind, "internal error")
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
		buf.Reset()
		if err := json.NewEncoder(buf).Encode(&out); err != nil {
			fail(http.StatusInternalServerError, decisionInternal, op, kind, "encode response")
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(buf.Len())) // one write, never chunked
		_, _ = w.Write(buf.Bytes())
	})
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
