package webhook

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/kharden/kharden/internal/admission"
	"github.com/kharden/kharden/internal/config"
)

// testServer is a Server listening on 127.0.0.1 with certificates from WriteCerts.
type testServer struct {
	*Server
	url    string
	client *http.Client
	files  *CertFiles
	cancel context.CancelFunc
	done   chan error
}

func startServer(t *testing.T, ns admission.Namespaces, mod func(*Options)) *testServer {
	t.Helper()
	dir := t.TempDir()
	files, err := WriteCerts(dir, CertOptions{Service: "kharden-webhook", Namespace: "kharden", Hosts: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	rev, err := admission.New(admission.Options{Config: &config.Config{}, Namespaces: ns})
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Reviewer: rev, CertFile: files.Cert, KeyFile: files.Key, CertCheckInterval: time.Millisecond}
	if mod != nil {
		mod(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{Server: s, url: "https://" + ln.Addr().String(), files: files, cancel: cancel, done: make(chan error, 1)}
	go func() { ts.done <- s.Serve(ctx, ln) }()
	ts.client = clientFor(t, files.CA)
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-ts.done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("server did not stop")
		}
	})
	return ts
}

func clientFor(t *testing.T, caFile string) *http.Client {
	t.Helper()
	ca, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		t.Fatal("bad CA")
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func (ts *testServer) post(t *testing.T, path string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := ts.client.Post(ts.url+path, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func reviewJSON(t testing.TB, uid, objectJSON string) []byte {
	return []byte(fmt.Sprintf(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":%q,
"kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},
"namespace":"shop","name":"p","operation":"CREATE","userInfo":{"username":"alice"},"object":%s}}`, uid, objectJSON))
}

const privileged = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"shop"},
"spec":{"containers":[{"name":"web","image":"nginx","securityContext":{"privileged":true}}]}}`

func decodeResponse(t *testing.T, body []byte) *admissionv1.AdmissionResponse {
	t.Helper()
	var r admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, body)
	}
	if r.APIVersion != "admission.k8s.io/v1" || r.Kind != "AdmissionReview" || r.Response == nil {
		t.Fatalf("response is not an AdmissionReview v1 with a response: %s", body)
	}
	return r.Response
}

func TestValidateAndMutateOverHTTPS(t *testing.T) {
	ts := startServer(t, admission.StaticNamespaces{"shop": {admission.LabelEnforce: "high", admission.LabelMutate: "true"}}, nil)
	code, body := ts.post(t, "/validate", reviewJSON(t, "u1", privileged))
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	resp := decodeResponse(t, body)
	if resp.UID != "u1" || resp.Allowed || !strings.Contains(resp.Result.Message, "KM-0004") {
		t.Errorf("validate: %+v", resp)
	}
	code, body = ts.post(t, "/mutate", reviewJSON(t, "u2", privileged))
	resp = decodeResponse(t, body)
	if code != 200 || resp.UID != "u2" || !resp.Allowed || resp.PatchType == nil || len(resp.Patch) == 0 {
		t.Errorf("mutate: %d %+v", code, resp)
	}
	// Metrics count the requests by endpoint, operation, kind and decision, and rule hits.
	mresp, err := ts.client.Get(ts.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	for _, want := range []string{
		`kharden_webhook_requests_total{decision="denied",endpoint="validate",kind="Pod",operation="CREATE"} 1`,
		`kharden_webhook_requests_total{decision="patched",endpoint="mutate",kind="Pod",operation="CREATE"} 1`,
		`kharden_webhook_rule_hits_total{rule="KM-0004"} 1`,
		`kharden_webhook_request_duration_seconds_count{endpoint="validate"} 1`,
		`kharden_webhook_certificate_reloads_total{result="ok"}`,
		`kharden_webhook_certificate_expiry_timestamp_seconds`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		r, err := ts.client.Get(ts.url + p)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != 200 {
			t.Errorf("%s: %d", p, r.StatusCode)
		}
	}
}

func TestReadyz(t *testing.T) {
	var ready sync.Mutex
	isReady := false
	ts := startServer(t, nil, func(o *Options) {
		o.Ready = func() bool { ready.Lock(); defer ready.Unlock(); return isReady }
	})
	get := func() int {
		r, err := ts.client.Get(ts.url + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		return r.StatusCode
	}
	if c := get(); c != 503 {
		t.Errorf("not synced: /readyz %d", c)
	}
	ready.Lock()
	isReady = true
	ready.Unlock()
	if c := get(); c != 200 {
		t.Errorf("synced: /readyz %d", c)
	}
}

// A body declared over the limit is refused from its Content-Length, before the rest of
// it is read. (Sent whole by an HTTP client, the server's close races the client's write,
// which may then see a reset instead of the 413: hence the bare connection.)
func TestBodyOverLimit(t *testing.T) {
	ts := startServer(t, admission.StaticNamespaces{}, func(o *Options) { o.MaxBodyBytes = 1 << 20 })
	// The first 8 KiB of the body, which the server reads before its handler runs; no
	// more, so nothing is left unread when it closes (which would reset the connection).
	resp, body := rawRequest(t, ts, fmt.Sprintf("POST /validate HTTP/1.1\r\nHost: kharden\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\n\r\n%s", 2<<20, strings.Repeat(" ", 8<<10)))
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "larger than 1048576 bytes") {
		t.Errorf("status %d, body %q; want 413", resp.StatusCode, body)
	}
}

// rawRequest writes a request to the test server on a TLS connection of its own, in one
// write, and reads the answer.
func rawRequest(t *testing.T, ts *testServer, request string) (*http.Response, []byte) {
	t.Helper()
	conn, err := tls.Dial("tcp", strings.TrimPrefix(ts.url, "https://"), ts.client.Transport.(*http.Transport).TLSClientConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, body
}

// TestBadInput: malformed reviews, other API versions, huge bodies and objects, unknown
// kinds get a well-formed AdmissionReview or an HTTP 4xx, never a crash or a 5xx, and the
// server answers normally afterwards.
func TestBadInput(t *testing.T) {
	ts := startServer(t, admission.StaticNamespaces{"shop": {admission.LabelEnforce: "info"}}, func(o *Options) { o.MaxBodyBytes = 1 << 20 })
	hugeObject := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","annotations":{"a":"` + strings.Repeat("x", 900<<10) + `"}},"spec":{"containers":[{"name":"c","image":"nginx","securityContext":{"privileged":true}}]}}`
	manyContainers := make([]string, 2000)
	for i := range manyContainers {
		manyContainers[i] = fmt.Sprintf(`{"name":"c%d","image":"nginx"}`, i)
	}
	cases := []struct {
		name string
		body []byte
		ct   string
		// want is the status; for 200, allowed is what the response must say.
		want    int
		allowed bool
	}{
		{"empty body", nil, "", 400, false},
		{"not JSON", []byte("\x00\xff garbage"), "", 400, false},
		{"JSON array", []byte(`[1,2,3]`), "", 400, false},
		{"truncated", reviewJSON(t, "u", privileged)[:100], "", 400, false},
		{"trailing data", append(reviewJSON(t, "u", privileged), []byte(`{}`)...), "", 400, false},
		{"v1beta1", bytes.Replace(reviewJSON(t, "u", privileged), []byte("admission.k8s.io/v1"), []byte("admission.k8s.io/v1beta1"), 1), "", 400, false},
		{"wrong kind", bytes.Replace(reviewJSON(t, "u", privileged), []byte(`"kind":"AdmissionReview"`), []byte(`"kind":"Pod"`), 1), "", 400, false},
		{"no request", []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`), "", 400, false},
		{"no uid", reviewJSON(t, "", privileged), "", 400, false},
		{"request of the wrong type", []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":"x"}`), "", 400, false},
		{"wrong content type", reviewJSON(t, "u", privileged), "text/plain", 415, false},
		{"huge object within the limit", reviewJSON(t, "u", hugeObject), "", 200, false},
		{"2000 containers", reviewJSON(t, "u", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[`+strings.Join(manyContainers, ",")+`]}}`), "", 200, false},
		{"object not an object", reviewJSON(t, "u", `"a string"`), "", 200, false},
		{"object null", reviewJSON(t, "u", `null`), "", 200, false},
		{"object of the wrong shape", reviewJSON(t, "u", `{"apiVersion":"v1","kind":"Pod","spec":{"containers":{"a":1}}}`), "", 200, false},
		{"deeply nested", reviewJSON(t, "u", strings.Repeat(`{"a":`, 5000)+"1"+strings.Repeat("}", 5000)), "", 200, false},
		{"unknown kind", bytes.Replace(reviewJSON(t, "u", `{"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g"},"spec":{"privileged":true}}`),
			[]byte(`"kind":"Pod"`), []byte(`"kind":"Gadget"`), 1), "", 200, true},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(http.MethodPost, ts.url+"/validate", bytes.NewReader(c.body))
		ct := c.ct
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
		resp, err := ts.client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: status %d, want %d: %.200s", c.name, resp.StatusCode, c.want, body)
			continue
		}
		if c.want == 200 {
			r := decodeResponse(t, body)
			if r.UID != "u" || r.Allowed != c.allowed {
				t.Errorf("%s: uid %q allowed %v, want allowed %v: %+v", c.name, r.UID, r.Allowed, c.allowed, r.Result)
			}
		}
	}
	// GET is refused.
	r, err := ts.client.Get(ts.url + "/validate")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 405 {
		t.Errorf("GET /validate: %d", r.StatusCode)
	}
	// Still serving.
	code, body := ts.post(t, "/validate", reviewJSON(t, "after", privileged))
	if code != 200 || decodeResponse(t, body).Allowed {
		t.Errorf("after bad input: %d %s", code, body)
	}
}

// TestCertificateRotation: new certificate files are served to new connections without a
// restart; a half-written pair (a certificate without its key) keeps the old one.
func TestCertificateRotation(t *testing.T) {
	ts := startServer(t, nil, nil)
	serial := func() string {
		// A new connection each time, so each sees the certificate in service now.
		tr := ts.client.Transport.(*http.Transport).Clone()
		defer tr.CloseIdleConnections()
		c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
		resp, err := c.Get(ts.url + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.TLS.PeerCertificates[0].SerialNumber.String()
	}
	first := serial()
	time.Sleep(20 * time.Millisecond) // a later modification time than the first pair
	files, err := WriteCerts(filepath.Dir(ts.files.Cert), CertOptions{Service: "kharden-webhook", Namespace: "kharden", Hosts: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if files.NewCA {
		t.Fatal("renewal made a new CA")
	}
	second := serial()
	if second == first {
		t.Fatal("the renewed certificate is not served")
	}
	// A certificate whose key is not there yet: the old pair stays in service.
	ca, err := LoadCA(files.CA, files.CAKey)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, _, err := ca.Issue(CertOptions{Hosts: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if err := writeAtomic(files.Cert, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if s := serial(); s != second {
		t.Errorf("a mismatched pair replaced the certificate in service")
	}
}

// blockingNamespaces holds every lookup until released, to keep requests in flight.
type blockingNamespaces struct {
	entered chan struct{}
	release chan struct{}
}

func (b *blockingNamespaces) Labels(ctx context.Context, _ string) (map[string]string, bool, error) {
	b.entered <- struct{}{}
	select {
	case <-b.release:
		return map[string]string{admission.LabelEnforce: "high"}, true, nil
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
}

// TestGracefulShutdown: a request in flight when the server is told to stop is answered;
// /readyz turns unready first; new connections are refused afterwards.
func TestGracefulShutdown(t *testing.T) {
	ns := &blockingNamespaces{entered: make(chan struct{}, 1), release: make(chan struct{})}
	ts := startServer(t, ns, func(o *Options) { o.ShutdownDelay = 200 * time.Millisecond })
	type result struct {
		code int
		body []byte
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := ts.client.Post(ts.url+"/validate", "application/json", bytes.NewReader(reviewJSON(t, "inflight", privileged)))
		if err != nil {
			res <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		res <- result{resp.StatusCode, b, err}
	}()
	<-ns.entered
	ts.cancel()
	// During the delay, /readyz says the server is going away.
	time.Sleep(50 * time.Millisecond)
	if r, err := ts.client.Get(ts.url + "/readyz"); err == nil {
		r.Body.Close()
		if r.StatusCode != 503 {
			t.Errorf("/readyz while stopping: %d", r.StatusCode)
		}
	}
	close(ns.release)
	r := <-res
	if r.err != nil || r.code != 200 {
		t.Fatalf("request in flight: %d %v", r.code, r.err)
	}
	if resp := decodeResponse(t, r.body); resp.UID != "inflight" || resp.Allowed {
		t.Errorf("request in flight answered %+v", resp)
	}
	select {
	case err := <-ts.done:
		ts.done <- err // for the cleanup
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop")
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: ts.client.Transport.(*http.Transport).TLSClientConfig}, Timeout: 2 * time.Second}
	if _, err := c.Get(ts.url + "/healthz"); err == nil {
		t.Error("server still accepts connections after shutdown")
	} else if !errors.Is(err, os.ErrDeadlineExceeded) && !strings.Contains(err.Error(), "refused") {
		t.Logf("after shutdown: %v", err)
	}
}

func TestRequestTimeout(t *testing.T) {
	ns := &blockingNamespaces{entered: make(chan struct{}, 1), release: make(chan struct{})}
	ts := startServer(t, ns, func(o *Options) { o.RequestTimeout = 100 * time.Millisecond })
	start := time.Now()
	code, body := ts.post(t, "/validate", reviewJSON(t, "slow", privileged))
	<-ns.entered
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	resp := decodeResponse(t, body)
	// The namespace lookup gave up: the request is refused (fail closed), in time.
	if resp.Allowed || resp.Result.Code != 500 || time.Since(start) > 10*time.Second {
		t.Errorf("timed-out lookup: %+v after %s", resp.Result, time.Since(start))
	}
}

func TestWriteCerts(t *testing.T) {
	dir := t.TempDir()
	f, err := WriteCerts(dir, CertOptions{Service: "kharden-webhook", Namespace: "kharden"})
	if err != nil {
		t.Fatal(err)
	}
	if !f.NewCA {
		t.Error("first run: NewCA false")
	}
	for _, p := range []string{f.CAKey, f.Key} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v", p, fi.Mode().Perm())
		}
	}
	pair, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(pair.Certificate[0])
	ca, err := LoadCA(f.CA, f.CAKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	for _, name := range []string{"kharden-webhook.kharden.svc", "kharden-webhook.kharden.svc.cluster.local", "kharden-webhook.kharden"} {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "other.kharden.svc", Roots: pool}); err == nil {
		t.Error("certificate valid for another service")
	}
	if _, err := WriteCerts(t.TempDir(), CertOptions{}); err == nil {
		t.Error("no names: no error")
	}
}
