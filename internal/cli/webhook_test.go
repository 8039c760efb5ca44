package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
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
)

func TestWebhookCerts(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := run("", "webhook", "certs", "--service", "kharden-webhook", "--namespace", "kharden", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	ca, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "CA (created)") || !strings.Contains(out, "caBundle: "+base64.StdEncoding.EncodeToString(ca)) {
		t.Errorf("output:\n%s", out)
	}
	// Again: the CA is reused.
	if code, out, _ := run("", "webhook", "certs", "--service", "kharden-webhook", "--namespace", "kharden", "--out", dir); code != 0 || !strings.Contains(out, "CA (reused)") {
		t.Errorf("second run: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{
		{"webhook", "certs", "--service", "s", "--namespace", "n"},
		{"webhook", "certs", "--out", dir},
		{"webhook", "certs", "--service", "s", "--out", dir},
	} {
		if code, _, _ := run("", args...); code != ExitError {
			t.Errorf("%v: exit %d", args, code)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the server's log and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWebhookServe runs `kharden webhook serve` without a cluster: every namespace gets
// the config's admission defaults.
func TestWebhookServe(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := run("", "webhook", "certs", "--host", "127.0.0.1", "--out", dir); code != 0 {
		t.Fatal(errOut)
	}
	cfg := filepath.Join(dir, "kharden.yaml")
	os.WriteFile(cfg, []byte("admission:\n  enforce: high\n"), 0o644)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var errOut syncBuffer
	go func() {
		done <- runContext(ctx, []string{"webhook", "serve", "--no-cluster", "--config", cfg, "--cert-dir", dir, "--addr", addr},
			IO{In: strings.NewReader(""), Out: io.Discard, Err: &errOut})
	}()
	ca, _ := os.ReadFile(filepath.Join(dir, "ca.crt"))
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	var resp *http.Response
	for deadline := time.Now().Add(20 * time.Second); ; {
		resp, err = client.Post("https://"+addr+"/validate", "application/json", strings.NewReader(
			`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","kind":{"group":"","version":"v1","kind":"Pod"},
"namespace":"shop","operation":"CREATE","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
"spec":{"containers":[{"name":"c","image":"x","securityContext":{"privileged":true}}]}}}}`))
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	var review admissionv1.AdmissionReview
	json.NewDecoder(resp.Body).Decode(&review)
	resp.Body.Close()
	if review.Response == nil || review.Response.Allowed {
		t.Errorf("privileged pod not denied: %+v", review.Response)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d\n%s", code, errOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(errOut.String(), "enforce=high") {
		t.Errorf("log does not state the default policy:\n%s", errOut.String())
	}
	if !strings.Contains(errOut.String(), cfg+" (--config)") {
		t.Errorf("log does not name the config served:\n%s", errOut.String())
	}
}

func TestWebhookServeErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("admission:\n  enforce: strictest\n"), 0o644)
	for _, c := range []struct {
		args  []string
		inErr string
	}{
		{[]string{"webhook", "serve", "--no-cluster", "--no-config", "--cert-dir", dir}, "tls.crt"},
		{[]string{"webhook", "serve", "--no-cluster", "--config", bad, "--cert-dir", dir}, "admission.enforce"},
		{[]string{"webhook", "serve", "--no-cluster", "--no-config", "--log-level", "loud"}, "--log-level"},
	} {
		code, _, errOut := run("", c.args...)
		if code != ExitError || !strings.Contains(errOut, c.inErr) {
			t.Errorf("%v: exit %d, stderr %q (want %q)", c.args, code, errOut, c.inErr)
		}
	}
}
