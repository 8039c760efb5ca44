// Package netguard keeps the requests that someone else's input makes kharden send
// (an image named in a pull request's manifest, a kustomization's remote resource)
// away from the runner's own network: a connection to a loopback, link-local (where
// cloud metadata services answer), private or otherwise non-public address is refused
// unless the user named its host. The check is made on the address actually dialled,
// after name resolution and on every redirect, so neither a DNS name that resolves to
// 169.254.169.254 nor a redirect to it gets through.
package netguard

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Guard refuses connections to non-public addresses except to the hosts it names.
type Guard struct {
	named map[string]bool
	// hint tells the user how to name a host, in a refusal.
	hint string
}

// New returns a guard that lets the named hosts (host or host:port; the port is
// ignored) be reached at any address. hint, such as "name it with --allow-registry",
// ends each refusal.
func New(hint string, named ...string) *Guard {
	g := &Guard{named: map[string]bool{}, hint: hint}
	for _, n := range named {
		if h := Host(n); h != "" {
			g.named[h] = true
		}
	}
	return g
}

// Host is the host part of a host or host:port, lower case, without IPv6 brackets.
func Host(hostport string) string {
	h := hostport
	if hh, _, err := net.SplitHostPort(hostport); err == nil {
		h = hh
	}
	return strings.ToLower(strings.TrimSuffix(strings.Trim(h, "[]"), "."))
}

// Named reports whether host (host or host:port) was named.
func (g *Guard) Named(host string) bool { return g.named[Host(host)] }

// RefusedError is a connection the guard refused.
type RefusedError struct {
	Host string     // as asked for
	Addr netip.Addr // what it resolved to
	Why  string     // the kind of address
	Hint string
}

func (e *RefusedError) Error() string {
	s := fmt.Sprintf("connection to %s refused by kharden: %s is %s, and the host was named by the input, not by you", e.Host, e.Addr, e.Why)
	if e.Host == e.Addr.String() {
		s = fmt.Sprintf("connection to %s refused by kharden: it is %s, and it was named by the input, not by you", e.Addr, e.Why)
	}
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// Transport returns a clone of base (http.DefaultTransport's settings when nil) whose
// connections are guarded. Through a proxy, the proxy named by the environment is
// reached, and the host of each request is resolved here and checked before it is
// sent, since the proxy, not kharden, connects to it.
func (g *Guard) Transport(base *http.Transport) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport.(*http.Transport)
	}
	t := base.Clone()
	proxy := t.Proxy
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
		host := Host(addr)
		if proxy, _ := ctx.Value(proxyKey{}).(string); !g.named[host] && host != proxy {
			d.Control = func(_, address string, _ syscall.RawConn) error {
				ap, err := netip.ParseAddrPort(address)
				if err != nil {
					return err
				}
				if why := Reserved(ap.Addr()); why != "" {
					return &RefusedError{Host: host, Addr: ap.Addr().Unmap(), Why: why, Hint: g.hint}
				}
				return nil
			}
		}
		return d.DialContext(ctx, network, addr)
	}
	if proxy == nil {
		return t
	}
	return &proxied{t: t, proxy: proxy, g: g}
}

// proxyKey marks the context of a request sent through a proxy with the proxy's host.
type proxyKey struct{}

// proxied checks, before a request goes to a proxy, the addresses its host resolves to
// here. The proxy resolves again, so this is as good as the two resolvers agree.
type proxied struct {
	t     *http.Transport
	proxy func(*http.Request) (*url.URL, error)
	g     *Guard
}

func (p *proxied) RoundTrip(r *http.Request) (*http.Response, error) {
	u, err := p.proxy(r)
	if err != nil || u == nil {
		return p.t.RoundTrip(r)
	}
	host := Host(r.URL.Host)
	if !p.g.named[host] {
		if err := p.g.check(r.Context(), host); err != nil {
			return nil, err
		}
	}
	// The proxy is the user's own setting: it may be anywhere.
	return p.t.RoundTrip(r.WithContext(context.WithValue(r.Context(), proxyKey{}, Host(u.Host))))
}

// check resolves host and refuses it if any of its addresses is not public.
func (g *Guard) check(ctx context.Context, host string) error {
	addrs := []netip.Addr{}
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = append(addrs, a)
	} else {
		if addrs, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host); err != nil {
			return err
		}
	}
	for _, a := range addrs {
		if why := Reserved(a); why != "" {
			return &RefusedError{Host: host, Addr: a.Unmap(), Why: why, Hint: g.hint}
		}
	}
	return nil
}

var reserved = []struct {
	p   netip.Prefix
	why string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "a \"this network\" address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a shared (carrier-grade NAT) address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation address"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("100::/64"), "a discard address"},
	{netip.MustParsePrefix("2001::/32"), "a Teredo address (it hides an IPv4 one)"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
}

// embedded are IPv6 prefixes whose addresses carry an IPv4 address, which is checked:
// NAT64 (the last 32 bits) and 6to4 (bits 16 to 48).
var (
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFour  = netip.MustParsePrefix("2002::/16")
)

// Reserved says what kind of non-public address a is, or "" when a is a public unicast
// address.
func Reserved(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case !a.IsValid():
		return "not an address"
	case a.IsUnspecified():
		return "the unspecified address"
	case a.IsLoopback():
		return "a loopback address"
	case a.IsLinkLocalUnicast():
		return "a link-local address (where cloud metadata services answer)"
	case a.IsMulticast(), a.IsInterfaceLocalMulticast(), a.IsLinkLocalMulticast():
		return "a multicast address"
	case a.IsPrivate():
		return "a private address"
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "the broadcast address"
	case nat64.Contains(a), nat64Local.Contains(a):
		b := a.As16()
		if why := Reserved(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})); why != "" {
			return why + ", behind NAT64"
		}
		if nat64Local.Contains(a) {
			return "a local NAT64 address"
		}
	case sixToFour.Contains(a):
		b := a.As16()
		if why := Reserved(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})); why != "" {
			return why + ", inside a 6to4 address"
		}
	}
	for _, r := range reserved {
		if r.p.Contains(a) {
			return r.why
		}
	}
	return ""
}
