package node

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A FIFO where a file is expected is reported, not opened: opening it for reading
// blocks until a writer comes, and the audit never ends. The wait only turns a hang
// into a failure.
func TestFIFOsAreNotOpened(t *testing.T) {
	dir, h := tempHost(t, map[string]string{
		"/etc/ssh/sshd_config.d/50.conf": "PermitRootLogin no\n",
		"/etc/sysctl.d/link.conf":        "->/etc/sysctl.d/99.conf",
		"/etc/kubernetes/pki/ca.crt":     "x",
	})
	for _, p := range []string{"etc/ssh/sshd_config", "etc/sysctl.d/99.conf", "etc/cni/net.d", "etc/passwd"} {
		full := filepath.Join(dir, "root", filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mkfifo(full, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan *Facts, 1)
	go func() { done <- Collect(h) }()
	var f *Facts
	select {
	case f = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("Collect hangs on a FIFO")
	}
	if err := f.OS.SSHD.Err; err == nil || err.Error() != "/etc/ssh/sshd_config: not a regular file (a named pipe): not read" {
		t.Errorf("sshd error: %v", err)
	}
	if _, err := h.ReadFile("/etc/sysctl.d/link.conf"); err == nil || err.Error() != "/etc/sysctl.d/link.conf: not a regular file (a named pipe): not read" {
		t.Errorf("ReadFile through a link to a FIFO: %v", err)
	}
	if _, err := h.ReadDir("/etc/cni/net.d"); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("ReadDir of a FIFO: %v", err)
	}
}
