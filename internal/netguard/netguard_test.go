package netguard

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

func TestReserved(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1":            "loopback",
		"::1":                  "loopback",
		"::ffff:127.0.0.1":     "loopback",
		"169.254.169.254":      "link-local",
		"fe80::1":              "link-local",
		"fd00:ec2::254":        "private",
		"10.1.2.3":             "private",
		"172.16.0.1":           "private",
		"192.168.1.1":          "private",
		"100.100.100.200":      "shared",
		"0.0.0.0":              "unspecified",
		"0.1.2.3":              "this network",
		"224.0.0.1":            "multicast",
		"255.255.255.255":      "broadcast",
		"64:ff9b::a9fe:a9fe":   "link-local address (where cloud metadata services answer), behind NAT64",
		"2002:0a00:0001::1":    "private address, inside a 6to4",
		"2001:0:4136:e378::1":  "Teredo",
		"8.8.8.8":              "",
		"2606:4700:4700::1111": "",
		"64:ff9b::808:808":     "",
		"2002:0808:0808::1":    "",
		"151.101.1.1":          "",
	} {
		got := Reserved(netip.MustParseAddr(addr))
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("Reserved(%s) = %q, want %q", addr, got, want)
		}
	}
}

// server answers "ok" and counts its requests.
func server(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		io.WriteString(w, "ok")
	}))
	t.Cleanup(s.Close)
	return s, &n
}

func get(rt http.RoundTripper, u string) error {
	resp, err := (&http.Client{Transport: rt}).Get(u)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

func TestTransportRefusesWhatTheUserDidNotName(t *testing.T) {
	s, n := server(t)
	u, _ := url.Parse(s.URL)
	localhost := "http://localhost:" + u.Port() + "/"

	rt := New("name it with --allow-registry").Transport(nil)
	for _, target := range []string{s.URL, localhost} {
		err := get(rt, target)
		var re *RefusedError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), "loopback") || !strings.Contains(err.Error(), "--allow-registry") {
			t.Errorf("GET %s: %v, want a refusal naming loopback and the hint", target, err)
		}
	}
	if n.Load() != 0 {
		t.Fatalf("the server was reached %d times", n.Load())
	}

	// Named, by host:port or by host: reached.
	for _, name := range []string{u.Host, "LOCALHOST", "localhost:1"} {
		target := s.URL
		if strings.HasPrefix(strings.ToLower(name), "localhost") {
			target = localhost
		}
		if err := get(New("", name).Transport(nil), target); err != nil {
			t.Errorf("named %s: GET %s: %v", name, target, err)
		}
	}
	if n.Load() != 3 {
		t.Errorf("the server was reached %d times, want 3", n.Load())
	}
}

// A named host cannot send the client to an address the user did not name.
func TestRedirectToUnnamedAddressRefused(t *testing.T) {
	inner, n := server(t)
	outer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, inner.URL+"/latest/meta-data/", http.StatusFound)
	}))
	defer outer.Close()
	ou, _ := url.Parse(outer.URL)
	err := get(New("", "localhost").Transport(nil), "http://localhost:"+ou.Port()+"/")
	var re *RefusedError
	if !errors.As(err, &re) || re.Addr.String() != "127.0.0.1" {
		t.Fatalf("redirect to %s: %v, want a refusal", inner.URL, err)
	}
	if n.Load() != 0 {
		t.Fatal("the redirect target was reached")
	}
}

// Through a proxy, the proxy (the user's setting) is reached, and the host each
// request names is checked here first.
func TestProxiedRequestsChecked(t *testing.T) {
	var seen atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		io.WriteString(w, "via proxy")
	}))
	defer proxy.Close()
	pu, _ := url.Parse(proxy.URL)
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.Proxy = http.ProxyURL(pu)

	err := get(New("").Transport(base), "http://169.254.169.254/latest/meta-data/")
	var re *RefusedError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "link-local") {
		t.Fatalf("proxied metadata request: %v, want a refusal", err)
	}
	if seen.Load() != 0 {
		t.Fatal("the proxy was asked for the refused request")
	}
	if err := get(New("", "10.9.8.7").Transport(base), "http://10.9.8.7/v2/"); err != nil {
		t.Fatalf("proxied request to a named host: %v", err)
	}
	if seen.Load() != 1 {
		t.Fatalf("the proxy saw %d requests, want 1", seen.Load())
	}
}
