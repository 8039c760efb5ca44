package webhook

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"strings"
	"testing"
)

// dialWith completes a TLS handshake with the server, offering only what cfg allows.
func dialWith(t *testing.T, ts *testServer, cfg *tls.Config) (*tls.ConnectionState, error) {
	t.Helper()
	ca, err := os.ReadFile(ts.files.CA)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RootCAs = x509.NewCertPool()
	cfg.RootCAs.AppendCertsFromPEM(ca)
	conn, err := tls.Dial("tcp", strings.TrimPrefix(ts.url, "https://"), cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	st := conn.ConnectionState()
	return &st, nil
}

// A client that offers only CBC suites with SHA-1 over TLS 1.2 is refused; the AEAD
// suites of TLS 1.2 and TLS 1.3 are served.
func TestTLSOffersOnlyModernSuites(t *testing.T) {
	ts := startServer(t, nil, nil)
	for _, suite := range []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256} {
		if _, err := dialWith(t, ts, &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{suite}}); err == nil {
			t.Errorf("handshake with only %s succeeded", tls.CipherSuiteName(suite))
		}
	}
	for _, suite := range []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256} {
		st, err := dialWith(t, ts, &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{suite}})
		if err != nil || st.CipherSuite != suite {
			t.Errorf("TLS 1.2 with %s: %v", tls.CipherSuiteName(suite), err)
		}
	}
	st, err := dialWith(t, ts, &tls.Config{MinVersion: tls.VersionTLS13})
	if err != nil || st.Version != tls.VersionTLS13 {
		t.Errorf("TLS 1.3: %v", err)
	}
	if _, err := dialWith(t, ts, &tls.Config{MaxVersion: tls.VersionTLS11}); err == nil {
		t.Error("TLS 1.1 handshake succeeded")
	}
}
