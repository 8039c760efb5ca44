package flags

import (
	"strings"
)

// kubeletChecks are section 4.2 (kubelet), each on the kubelet's effective setting (see
// kubeletSetting). The benchmark marks several of them Manual; the effective setting
// decides them all.
var kubeletChecks = []*Check{
	{CIS: "4.2.1", Component: Kubelet, Title: "anonymous requests to the kubelet are refused",
		Eval: kubeletWant(&kubeletAnonymousAuth, "false", func(st setting) bool { return !st.bool() })},
	{CIS: "4.2.2", Component: Kubelet, Title: "the kubelet's authorization mode is not AlwaysAllow", Eval: kubeletAuthorization},
	{CIS: "4.2.3", Component: Kubelet, Title: "the kubelet verifies client certificates against a CA",
		Eval: kubeletWant(&clientCAFile, "<path to the client CA file>", func(st setting) bool { return strings.TrimSpace(st.value) != "" })},
	{CIS: "4.2.4", Component: Kubelet, Title: "the kubelet's read-only port is off",
		Eval: kubeletWant(&readOnlyPort, "0", func(st setting) bool { return st.int() == 0 })},
	{CIS: "4.2.5", Component: Kubelet, Title: "idle streaming connections to the kubelet time out",
		Eval: kubeletWant(&streamingIdleTimeout, "5m", func(st setting) bool { return st.duration() > 0 })},
	{CIS: "4.2.6", Component: Kubelet, Title: "the kubelet manages its iptables utility chains",
		Eval: kubeletWant(&makeIPTablesUtilChains, "true", setting.bool)},
	{CIS: "4.2.7", Component: Kubelet, Title: "the kubelet's hostname is not overridden", Eval: hostnameOverride},
	{CIS: "4.2.8", Component: Kubelet, Title: "the kubelet's event rate limit lets events through", Eval: eventQPS},
	{CIS: "4.2.9", Component: Kubelet, Title: "the kubelet serves a certificate it does not sign itself", Eval: kubeletServingCert},
	{CIS: "4.2.10", Component: Kubelet, Title: "the kubelet rotates its client certificate",
		Eval: kubeletWant(&rotateCertificates, "true", setting.bool)},
	{CIS: "4.2.11", Component: Kubelet, Title: "the RotateKubeletServerCertificate feature gate is not turned off",
		Eval: kubeletWant(&rotateServerCertificateGate, "true", setting.bool)},
	{CIS: "4.2.12", Component: Kubelet, Title: "the kubelet accepts only strong TLS cipher suites", Eval: kubeletCiphers},
	{CIS: "4.2.13", Component: Kubelet, Title: "the number of processes in a pod is limited",
		Eval: kubeletWant(&podPidsLimit, "<a limit such as 4096>", func(st setting) bool { return st.int() > 0 })},
	{CIS: "4.2.14", Component: Kubelet, Title: "containers get the RuntimeDefault seccomp profile by default",
		Eval: kubeletWant(&seccompDefault, "true", setting.bool)},
}

// The kubelet settings the checks read, with their defaults (k8s.io/kubelet/config/v1beta1
// for a config file; the command line's where they differ).
var (
	kubeletAnonymousAuth = knob{flag: "anonymous-auth", key: "authentication.anonymous.enabled", kind: boolValue,
		def: "false", flagDef: "true", hasFlagDef: true}
	kubeletAuthorizationMode = knob{flag: "authorization-mode", key: "authorization.mode", kind: stringValue,
		def: "Webhook", flagDef: "AlwaysAllow", hasFlagDef: true}
	clientCAFile = knob{flag: "client-ca-file", key: "authentication.x509.clientCAFile", kind: stringValue}
	readOnlyPort = knob{flag: "read-only-port", key: "readOnlyPort", kind: intValue,
		def: "0", flagDef: "10255", hasFlagDef: true}
	streamingIdleTimeout = knob{flag: "streaming-connection-idle-timeout", key: "streamingConnectionIdleTimeout",
		kind: durationValue, def: "4h0m0s", zeroIsDefault: true}
	makeIPTablesUtilChains = knob{flag: "make-iptables-util-chains", key: "makeIPTablesUtilChains", kind: boolValue, def: "true"}
	eventRecordQPS         = knob{flag: "event-qps", key: "eventRecordQPS", kind: intValue, def: "50"}
	tlsCertFile            = knob{flag: "tls-cert-file", key: "tlsCertFile", kind: stringValue}
	tlsPrivateKeyFile      = knob{flag: "tls-private-key-file", key: "tlsPrivateKeyFile", kind: stringValue}
	serverTLSBootstrap     = knob{flag: "rotate-server-certificates", key: "serverTLSBootstrap", kind: boolValue, def: "false"}
	rotateCertificates     = knob{flag: "rotate-certificates", key: "rotateCertificates", kind: boolValue, def: "false"}
	// RotateKubeletServerCertificate is a beta gate, on by default.
	rotateServerCertificateGate = knob{flag: "feature-gates", key: "featureGates.RotateKubeletServerCertificate",
		gate: "RotateKubeletServerCertificate", kind: boolValue, def: "true"}
	tlsCipherSuites = knob{flag: "tls-cipher-suites", key: "tlsCipherSuites", kind: listValue}
	tlsMinVersion   = knob{flag: "tls-min-version", key: "tlsMinVersion", kind: stringValue}
	podPidsLimit    = knob{flag: "pod-max-pids", key: "podPidsLimit", kind: intValue, def: "-1", defNote: "no limit"}
	// --seccomp-default and seccompDefault are two settings: either turns it on.
	seccompDefault = knob{flag: "seccomp-default", key: "seccompDefault", kind: boolValue, def: "false", either: true}
)

// kubeletWant passes when the effective setting is good; want is the value the remedy
// proposes.
func kubeletWant(k *knob, want string, good func(setting) bool) func(*Set) Result {
	return func(s *Set) Result {
		st, r := kubeletSetting(s, k)
		if r != nil {
			return *r
		}
		if good(st) {
			return st.result(true, "%s", st.describe())
		}
		return st.result(false, "%s; %s", st.describe(), st.remedy(want))
	}
}

// kubeletAuthorization is 4.2.2. The kubelet knows two modes: Webhook (ask the API
// server) and AlwaysAllow.
func kubeletAuthorization(s *Set) Result {
	st, r := kubeletSetting(s, &kubeletAuthorizationMode)
	if r != nil {
		return *r
	}
	switch st.value {
	case "Webhook":
		return st.result(true, "%s", st.describe())
	case "AlwaysAllow":
		return st.result(false, "%s, so anyone who reaches the kubelet's API may use it; %s", st.describe(), st.remedy("Webhook"))
	}
	return st.result(false, "%s, which is not a mode the kubelet knows (Webhook or AlwaysAllow); %s", st.describe(), st.remedy("Webhook"))
}

// hostnameOverride is 4.2.7: --hostname-override, a flag only, is not set (an empty
// value leaves the hostname as it is).
func hostnameOverride(s *Set) Result {
	const flag = "hostname-override"
	v, ok := s.Lookup(flag)
	if !ok || strings.TrimSpace(v.Value) == "" {
		return pass(flag, "--hostname-override is not set")
	}
	return fail(flag, "%s: the node registers under a name other than its hostname, which its serving certificate "+
		"and the API server's node authorization must then match; remove it unless the cloud provider requires it", show(flag, v))
}

// eventQPS is 4.2.8: the kubelet's event rate limit. A negative value is refused; 0 means
// the client default of 5 events per second.
func eventQPS(s *Set) Result {
	st, r := kubeletSetting(s, &eventRecordQPS)
	if r != nil {
		return *r
	}
	switch n := st.int(); {
	case n < 0:
		return st.result(false, "%s, which is negative and refused by the kubelet; %s", st.describe(), st.remedy("50"))
	case n == 0:
		return st.result(true, "%s: 0 means the client default of 5 events per second", st.describe())
	}
	return st.result(true, "%s events per second", st.describe())
}

// kubeletServingCert is 4.2.9: the kubelet serves with --tls-cert-file and
// --tls-private-key-file, or with a certificate it asks the cluster to sign
// (serverTLSBootstrap); with neither, it makes a self-signed one.
func kubeletServingCert(s *Set) Result {
	st, r := kubeletSettings(s, &tlsCertFile, &tlsPrivateKeyFile, &serverTLSBootstrap)
	if r != nil {
		return *r
	}
	cert, key, boot := st[0], st[1], st[2]
	hasCert, hasKey := strings.TrimSpace(cert.value) != "", strings.TrimSpace(key.value) != ""
	switch {
	case hasCert && hasKey:
		return cert.result(true, "%s; %s", cert.describe(), key.describe())
	case hasCert:
		return key.result(false, "%s while the certificate is set; %s", key.describe(), key.remedy("<path to the key>"))
	case hasKey:
		return cert.result(false, "%s while the key is set; %s", cert.describe(), cert.remedy("<path to the certificate>"))
	}
	if boot.bool() {
		return boot.result(true, "the kubelet requests its serving certificate from the cluster: %s", boot.describe())
	}
	return cert.result(false, "%s, and %s, so the kubelet serves a certificate it signs itself; %s, or %s",
		cert.describe(), boot.describe(), cert.remedy("<path to the certificate>"), boot.remedy("true"))
}

// kubeletCiphers is 4.2.12: the kubelet's TLS cipher suites are all strong, or it
// accepts only TLS 1.3.
func kubeletCiphers(s *Set) Result {
	st, r := kubeletSettings(s, &tlsCipherSuites, &tlsMinVersion)
	if r != nil {
		return *r
	}
	suites, minVersion := st[0], st[1]
	ok, why := cipherVerdict(suites.list, minVersion.value)
	switch {
	case ok && minVersion.value == "VersionTLS13":
		return minVersion.result(true, "%s: %s", minVersion.describe(), why)
	case ok:
		return suites.result(true, "%s: %s", suites.describe(), why)
	}
	sep := ": "
	if len(suites.list) == 0 {
		sep = ", "
	}
	return suites.result(false, "%s%s%s; %s", suites.describe(), sep, why, suites.remedy(strongList))
}

// ProtectKernelDefaults is not a CIS 1.12 item (older benchmarks had it): the kubelet
// refuses to start when a kernel tunable it relies on differs from its default, instead
// of changing it (practice A5). The node audit's KN rule runs it.
var ProtectKernelDefaults = &Check{Component: Kubelet, Title: "the kubelet protects kernel defaults",
	Eval: kubeletWant(&protectKernelDefaults, "true", setting.bool)}

var protectKernelDefaults = knob{flag: "protect-kernel-defaults", key: "protectKernelDefaults", kind: boolValue, def: "false"}
