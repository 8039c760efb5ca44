package cluster

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// An API server that cannot be reached gives an *UnreachableError, within the connect
// timeout (8 s by default). The 10 s bound checks the timeouts are configured; it is
// no benchmark.
func TestUnreachable(t *testing.T) {
	for name, host := range map[string]func(t *testing.T) string{
		"closed port":     closedPort,
		"silent listener": silentListener,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := &rest.Config{Host: "https://" + host(t), TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
			start := time.Now()
			s, err := Read(context.Background(), cfg, ReadOptions{})
			elapsed := time.Since(start)
			var ue *UnreachableError
			if !errors.As(err, &ue) || s != nil {
				t.Fatalf("Read = %v, %v; want an *UnreachableError", s, err)
			}
			if ue.Host != cfg.Host {
				t.Errorf("error names %q, want %q: %v", ue.Host, cfg.Host, err)
			}
			if elapsed > 10*time.Second {
				t.Errorf("gave up after %s, want within 10s", elapsed)
			}
			t.Logf("%v (after %s)", err, elapsed.Round(time.Millisecond))
		})
	}
}

// closedPort returns host:port where nothing listens.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// silentListener returns host:port of a listener that accepts connections and never
// sends a byte.
func silentListener(t *testing.T) string {
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

func TestConfigNoKubeconfig(t *testing.T) {
	t.Setenv("KUBECONFIG", t.TempDir()+"/missing")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
	if _, err := Config(ConfigOptions{}); err == nil {
		t.Fatal("no error without any kubeconfig")
	}
	if _, err := Config(ConfigOptions{Kubeconfig: t.TempDir() + "/nope"}); err == nil {
		t.Fatal("no error for a missing --kubeconfig")
	}
}
