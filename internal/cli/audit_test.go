package cli

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// kubeconfigFor writes a kubeconfig for an API server at host:port that skips TLS
// verification (no server here has a certificate to check).
func kubeconfigFor(t *testing.T, hostport string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kubeconfig")
	data := `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://` + hostport + `", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: not-a-real-token}
contexts:
- name: ctx
  context: {cluster: c, user: u}
current-context: ctx
`
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// A cluster that cannot be reached ends the audit with exit code 2 and a message naming
// the server, within 10 s (the bound checks the timeouts are configured).
func TestAuditClusterUnreachable(t *testing.T) {
	closed := func(t *testing.T) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return addr
	}
	silent := func(t *testing.T) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var conns []net.Conn
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}()
		t.Cleanup(func() {
			l.Close()
			mu.Lock()
			defer mu.Unlock()
			for _, c := range conns {
				c.Close()
			}
		})
		return l.Addr().String()
	}
	for name, server := range map[string]func(*testing.T) string{"closed port": closed, "silent listener": silent} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			addr := server(t)
			var out, errOut bytes.Buffer
			start := time.Now()
			code := Run([]string{"audit", "cluster", "--no-config", "--kubeconfig", kubeconfigFor(t, addr)}, IO{Out: &out, Err: &errOut})
			elapsed := time.Since(start)
			if code != ExitError {
				t.Errorf("exit %d, want %d", code, ExitError)
			}
			if msg := errOut.String(); !strings.Contains(msg, "cannot reach the Kubernetes API server at https://"+addr) {
				t.Errorf("stderr %q", msg)
			}
			if out.Len() != 0 {
				t.Errorf("stdout %q", out.String())
			}
			if elapsed > 10*time.Second {
				t.Errorf("took %s, want within 10s", elapsed)
			}
		})
	}
}

func TestAuditClusterUsage(t *testing.T) {
	for _, args := range [][]string{
		{"audit", "cluster", "-o", "xml"},
		{"audit", "cluster", "--fail-on", "severe"},
		{"audit", "cluster", "extra-arg"},
		{"audit", "cluster", "--profile", "nope", "--no-config"},
		{"audit", "cluster", "--no-config", "--kubeconfig", "/nonexistent/kubeconfig"},
	} {
		var out, errOut bytes.Buffer
		if code := Run(args, IO{Out: &out, Err: &errOut}); code != ExitError || errOut.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q", args, code, errOut.String())
		}
	}
}

// On a terminal the progress line is rewritten in place, the resource listed last first,
// and cleared at the end; elsewhere nothing is written.
func TestAuditProgress(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{w: &buf, n: map[string]int{}}
	p.update("namespaces", 3)
	p.last = time.Time{} // draw every update
	p.update("deployments", 500)
	p.last = time.Time{}
	p.update("deployments", 1000)
	p.done()
	got := buf.String()
	want := "\r\x1b[Klisted 3 objects: 3 namespaces" +
		"\r\x1b[Klisted 503 objects: 500 deployments, 3 namespaces" +
		"\r\x1b[Klisted 1003 objects: 1000 deployments, 3 namespaces" +
		"\r\x1b[K"
	if got != want {
		t.Errorf("progress:\n got %q\nwant %q", got, want)
	}
	var quiet bytes.Buffer
	q := newProgress(&quiet)
	q.update("pods", 1)
	q.done()
	if quiet.Len() != 0 {
		t.Errorf("not a terminal, yet %q", quiet.String())
	}
}
