package flags

import (
	"net"
	"strconv"
	"strings"
)

// proxyChecks are section 4.3 (kube-proxy).
var proxyChecks = []*Check{
	{CIS: "4.3.1", Component: Proxy, Title: "kube-proxy serves its metrics on the loopback interface only", Eval: proxyMetrics},
}

// proxyDefaultMetrics is where kube-proxy serves metrics unless told otherwise (the IPv6
// loopback when its bind address is IPv6).
const proxyDefaultMetrics = "127.0.0.1:10249"

// proxyMetrics is 4.3.1. With --config, kube-proxy reads the KubeProxyConfiguration's
// metricsBindAddress and ignores --metrics-bind-address; an empty address there means the
// default. On the command line, an empty --metrics-bind-address or --metrics-port=0 turns
// the metrics server off.
func proxyMetrics(s *Set) Result {
	if s.Has("config") {
		return proxyMetricsFile(s)
	}
	const flag = "metrics-bind-address"
	v, ok := s.Lookup(flag)
	if !ok {
		if p, set := s.Lookup("metrics-port"); set && strings.TrimSpace(p.Value) == "0" {
			return pass("metrics-port", "--metrics-port=0 turns the metrics server off")
		}
		return pass(flag, "--metrics-bind-address is not set and defaults to %s", proxyDefaultMetrics)
	}
	addr := strings.TrimSpace(v.Value)
	switch {
	case addr == "":
		return pass(flag, "%s turns the metrics server off", show(flag, v))
	case loopbackAddress(addr):
		return pass(flag, "%s", show(flag, v))
	}
	return fail(flag, "%s is not a loopback address, so anyone who reaches the node can read kube-proxy's metrics; "+
		"set --metrics-bind-address=%s", show(flag, v), proxyDefaultMetrics)
}

func proxyMetricsFile(s *Set) Result {
	const key = "metricsBindAddress"
	content, file, ok := s.File("config")
	if !ok {
		return manual("config", "kube-proxy reads metricsBindAddress from the --config file %s, which is not visible here; "+
			"check that it is a loopback address such as %s", file, proxyDefaultMetrics)
	}
	root, ferr := parseDocument(file, content)
	if ferr != nil {
		return broken("config", ferr)
	}
	ignored := ""
	if s.Has("metrics-bind-address") {
		ignored = " (kube-proxy ignores --metrics-bind-address when it reads --config)"
	}
	var n = root
	if n != nil {
		n = member(root, key)
	}
	if isNull(n) {
		return pass("config", "%s does not set %s, which defaults to %s%s", file, key, proxyDefaultMetrics, ignored).at(file, 0)
	}
	addr, ferr := nodeString(file, key, n)
	if ferr != nil {
		return broken("config", ferr)
	}
	switch {
	case strings.TrimSpace(addr) == "":
		return pass("config", "%s is empty in %s:%d, which means the default %s%s", key, file, n.Line, proxyDefaultMetrics, ignored).at(file, n.Line)
	case loopbackAddress(addr):
		return pass("config", "%s is %s in %s:%d%s", key, strconv.Quote(addr), file, n.Line, ignored).at(file, n.Line)
	}
	return fail("config", "%s is %s in %s:%d, not a loopback address, so anyone who reaches the node can read kube-proxy's "+
		"metrics; set it to %s%s", key, strconv.Quote(addr), file, n.Line, proxyDefaultMetrics, ignored).at(file, n.Line)
}

// loopbackAddress tells whether an address (host:port, or a bare host to which the
// component adds its port) is on the loopback interface.
func loopbackAddress(addr string) bool {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
