package webhook

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// certReloader serves a certificate read from files and reads it again when the files
// change (a renewed certificate, a Secret volume updated by the kubelet), without a
// restart. Each handshake compares the files' modification times and sizes with those
// of the cached pair, at most once per checkEvery; a pair that does not load (the
// certificate written, its key not yet) keeps the old one in service and is tried again.
type certReloader struct {
	certFile, keyFile string
	checkEvery        time.Duration
	onReload          func(cert *x509.Certificate, err error)

	cert      atomic.Pointer[tls.Certificate]
	lastCheck atomic.Int64 // unix nanoseconds

	mu       sync.Mutex // serialises reloads
	certStat fileStamp
	keyStat  fileStamp
}

type fileStamp struct {
	mod  time.Time
	size int64
}

func stamp(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{fi.ModTime(), fi.Size()}, nil
}

// newCertReloader loads the pair once; a pair that does not load is an error here, since
// there is nothing to serve yet.
func newCertReloader(certFile, keyFile string, checkEvery time.Duration, onReload func(*x509.Certificate, error)) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, checkEvery: checkEvery, onReload: onReload}
	if err := r.reload(true); err != nil {
		return nil, err
	}
	return r, nil
}

// reload reads the pair when its files changed since the last load (or always when
// force is set).
func (r *certReloader) reload(force bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	cs, err := stamp(r.certFile)
	if err != nil {
		return r.failed(err)
	}
	ks, err := stamp(r.keyFile)
	if err != nil {
		return r.failed(err)
	}
	if !force && cs == r.certStat && ks == r.keyStat {
		return nil
	}
	pair, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return r.failed(fmt.Errorf("load serving certificate: %w", err))
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return r.failed(err)
	}
	pair.Leaf = leaf
	r.cert.Store(&pair)
	r.certStat, r.keyStat = cs, ks
	if r.onReload != nil {
		r.onReload(leaf, nil)
	}
	return nil
}

func (r *certReloader) failed(err error) error {
	if r.onReload != nil {
		r.onReload(nil, err)
	}
	return err
}

// GetCertificate is tls.Config.GetCertificate.
func (r *certReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	now := time.Now().UnixNano()
	if last := r.lastCheck.Load(); now-last >= int64(r.checkEvery) && r.lastCheck.CompareAndSwap(last, now) {
		_ = r.reload(false) // on error the cached pair stays in service; onReload reports it
	}
	return r.cert.Load(), nil
}

// Leaf returns the certificate in service.
func (r *certReloader) Leaf() *x509.Certificate {
	if c := r.cert.Load(); c != nil {
		return c.Leaf
	}
	return nil
}
