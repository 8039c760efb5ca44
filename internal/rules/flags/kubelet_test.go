package flags

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/rule"
)

// kc is a kubelet config file /k.yaml holding body after its header (lines 1 and 2),
// with any other files given as path, content pairs.
func kc(body string, more ...string) map[string]string {
	files := map[string]string{"/k.yaml": "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n" + body}
	for i := 0; i+1 < len(more); i += 2 {
		files[more[i]] = more[i+1]
	}
	return files
}

// dropIn is a --config-dir drop-in file.
func dropIn(body string) string {
	return "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n" + body
}

const anon = "authentication:\n  anonymous:\n    enabled: %s\n" // the value is on line 5 of kc

// fileCase is a check run on a command line and files: the verdict, the flag it rests on,
// a regexp its message matches, and where in a file it points ("" for nowhere, else
// "file:line").
type fileCase struct {
	cis   string
	args  string
	files map[string]string
	want  rule.Status
	flag  string
	msg   string
	at    string
}

func runFileCases(t *testing.T, cases []fileCase) {
	t.Helper()
	for _, c := range cases {
		r := run(t, c.cis, c.args, c.files)
		at := ""
		if r.File != "" {
			at = fmt.Sprintf("%s:%d", r.File, r.Line)
		}
		if r.Status != c.want || r.Flag != c.flag || !regexp.MustCompile(c.msg).MatchString(r.Message) || at != c.at {
			t.Errorf("%s %q %v:\n got %s %s %q at %q\nwant %s %s /%s/ at %q", c.cis, c.args, c.files,
				r.Status, r.Flag, r.Message, at, c.want, c.flag, c.msg, c.at)
		}
	}
}

func TestKubeletPrecedence(t *testing.T) {
	const cfg = "--config=/k.yaml"
	runFileCases(t, []fileCase{
		// Default alone: without a config file the command line's defaults apply.
		{"4.2.1", "", nil, rule.Fail, "anonymous-auth", `^--anonymous-auth is not set and defaults to true; set --anonymous-auth=false$`, ""},
		// With a config file that does not set it, the file's default applies.
		{"4.2.1", cfg, kc(""), rule.Pass, "config", `^neither --anonymous-auth nor authentication.anonymous.enabled in /k.yaml is set, and it defaults to false$`, "/k.yaml:0"},
		// The config file overrides the default.
		{"4.2.1", cfg, kc(fmt.Sprintf(anon, "true")), rule.Fail, "config",
			`^authentication.anonymous.enabled is true in /k.yaml:5; set authentication.anonymous.enabled: false in /k.yaml$`, "/k.yaml:5"},
		{"4.2.1", cfg, kc(fmt.Sprintf(anon, "no")), rule.Pass, "config", `is false in /k.yaml:5`, "/k.yaml:5"},
		// The flag overrides the config file, both ways.
		{"4.2.1", cfg + " --anonymous-auth=false", kc(fmt.Sprintf(anon, "true")), rule.Pass, "anonymous-auth", `^--anonymous-auth=false$`, ""},
		{"4.2.1", "--anonymous-auth " + cfg, kc(fmt.Sprintf(anon, "false")), rule.Fail, "anonymous-auth", `^--anonymous-auth; set --anonymous-auth=false$`, ""},
		{"4.2.1", "--anonymous-auth=maybe", nil, rule.Fail, "anonymous-auth", `not a boolean, and the kubelet does not start`, ""},
		// A file that is not visible leaves it to a person, unless the flag decides.
		{"4.2.1", cfg, nil, rule.Manual, "config", `--config file /k.yaml, which is not visible here`, ""},
		{"4.2.1", cfg + " --anonymous-auth=false", nil, rule.Pass, "anonymous-auth", ``, ""},
		// A file that does not parse is an error, with its line.
		{"4.2.1", cfg, kc("authentication: [\n"), rule.Error, "config", `^/k.yaml: line 3: did not find expected node content$`, "/k.yaml:3"},
		{"4.2.1", cfg, kc("authentication:\n  anonymous:\n    enabled: \"false\"\n"), rule.Error, "config",
			`^/k.yaml: line 5: authentication.anonymous.enabled: "false" is not a boolean$`, "/k.yaml:5"},
		{"4.2.1", cfg, kc("authentication: true\n"), rule.Error, "config", `^/k.yaml: line 3: authentication: is not a mapping$`, "/k.yaml:3"},
		{"4.2.1", cfg, map[string]string{"/k.yaml": ""}, rule.Error, "config", `^/k.yaml: the file is empty`, "/k.yaml:0"},
		{"4.2.1", cfg, map[string]string{"/k.yaml": "- a\n"}, rule.Error, "config", `^/k.yaml: line 1: the file is not a mapping`, "/k.yaml:1"},
		{"4.2.1", cfg, map[string]string{"/k.yaml": "kind: KubeProxyConfiguration\n"}, rule.Error, "config", `is not KubeletConfiguration`, "/k.yaml:1"},
		// JSON is YAML.
		{"4.2.1", cfg, map[string]string{"/k.yaml": `{"kind": "KubeletConfiguration", "authentication": {"anonymous": {"enabled": false}}}`},
			rule.Pass, "config", `is false in /k.yaml:1`, "/k.yaml:1"},
	})
}

func TestKubeletDropIns(t *testing.T) {
	const both = "--config=/k.yaml --config-dir=/d"
	runFileCases(t, []fileCase{
		// A drop-in overrides the config file; the last in lexical order wins.
		{"4.2.1", both, kc(fmt.Sprintf(anon, "false"), "/d", "", "/d/10-a.conf", dropIn(fmt.Sprintf(anon, "true"))),
			rule.Fail, "config", `is true in /d/10-a.conf:5`, "/d/10-a.conf:5"},
		{"4.2.1", both, kc(fmt.Sprintf(anon, "false"), "/d/20-b.conf", dropIn(fmt.Sprintf(anon, "false")), "/d/10-a.conf", dropIn(fmt.Sprintf(anon, "true"))),
			rule.Pass, "config", `is false in /d/20-b.conf:5`, "/d/20-b.conf:5"},
		// Files not ending in .conf are not read.
		{"4.2.1", both, kc(fmt.Sprintf(anon, "false"), "/d/99.yaml", dropIn(fmt.Sprintf(anon, "true"))), rule.Pass, "config", `in /k.yaml:5`, "/k.yaml:5"},
		// A mapping merges key by key: a drop-in that sets another key keeps the file's.
		{"4.2.1", both, kc(fmt.Sprintf(anon, "true"), "/d/a.conf", dropIn("authentication:\n  webhook:\n    enabled: true\n")),
			rule.Fail, "config", `in /k.yaml:5`, "/k.yaml:5"},
		// null removes the setting, leaving the file default.
		{"4.2.1", both, kc(fmt.Sprintf(anon, "true"), "/d/a.conf", dropIn("authentication:\n  anonymous: null\n")),
			rule.Pass, "config", `defaults to false \(/d/a.conf removes it\)`, "/d/a.conf:0"},
		// Subdirectories are walked in place: /d/a/ comes before /d/a.conf.
		{"4.2.1", both, kc("", "/d/a.conf", dropIn(fmt.Sprintf(anon, "false")), "/d/a/x.conf", dropIn(fmt.Sprintf(anon, "true"))),
			rule.Pass, "config", `in /d/a.conf:5`, "/d/a.conf:5"},
		// Without --config, drop-ins merge over the command line's defaults.
		{"4.2.1", "--config-dir=/d/", map[string]string{"/d": "", "/d/a.conf": dropIn("readOnlyPort: 0\n")},
			rule.Fail, "config-dir", `^neither --anonymous-auth nor authentication.anonymous.enabled in /d/a.conf is set, and it defaults to true`, "/d/a.conf:0"},
		{"4.2.4", "--config-dir=/d", map[string]string{"/d": "", "/d/a.conf": dropIn("readOnlyPort: 0\n")},
			rule.Pass, "config-dir", `readOnlyPort is 0 in /d/a.conf:3`, "/d/a.conf:3"},
		{"4.2.4", "--config-dir=/d", map[string]string{"/d": ""}, rule.Fail, "config-dir", `in a drop-in file in /d is set, and it defaults to 10255; set readOnlyPort: 0 in a drop-in file in /d$`, ""},
		// A directory that was not read leaves it to a person; a drop-in that does not
		// parse is an error.
		{"4.2.1", both, kc(fmt.Sprintf(anon, "false")), rule.Manual, "config-dir", `--config-dir /d over its settings, and that directory is not visible`, ""},
		{"4.2.1", both, kc("", "/d/a.conf", "authentication: {\n"), rule.Error, "config-dir", `^/d/a.conf: line 1: `, "/d/a.conf:1"},
		// The flag still wins.
		{"4.2.1", both + " --anonymous-auth=false", kc(fmt.Sprintf(anon, "true"), "/d/a.conf", dropIn(fmt.Sprintf(anon, "true"))),
			rule.Pass, "anonymous-auth", ``, ""},
	})
}

func TestKubeletChecks(t *testing.T) {
	const cfg = "--config=/k.yaml"
	strong := "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305"
	runFileCases(t, []fileCase{
		{"4.2.2", "", nil, rule.Fail, "authorization-mode", `defaults to AlwaysAllow, so anyone`, ""},
		{"4.2.2", cfg, kc(""), rule.Pass, "config", `defaults to Webhook$`, "/k.yaml:0"},
		{"4.2.2", cfg, kc("authorization:\n  mode: AlwaysAllow\n"), rule.Fail, "config", `authorization.mode is AlwaysAllow in /k.yaml:4.*set authorization.mode: Webhook in /k.yaml`, "/k.yaml:4"},
		{"4.2.2", cfg + " --authorization-mode=Webhook", kc("authorization:\n  mode: AlwaysAllow\n"), rule.Pass, "authorization-mode", ``, ""},
		{"4.2.2", "--authorization-mode=RBAC", nil, rule.Fail, "authorization-mode", `not a mode the kubelet knows`, ""},

		{"4.2.3", "", nil, rule.Fail, "client-ca-file", `^--client-ca-file is not set; set --client-ca-file=`, ""},
		{"4.2.3", "--client-ca-file=/ca.crt", nil, rule.Pass, "client-ca-file", ``, ""},
		{"4.2.3", cfg, kc("authentication:\n  x509:\n    clientCAFile: /ca.crt\n"), rule.Pass, "config", `clientCAFile is /ca.crt in /k.yaml:5`, "/k.yaml:5"},
		{"4.2.3", cfg, kc("authentication:\n  x509:\n    clientCAFile: 5\n"), rule.Error, "config", `"5" is not a string`, "/k.yaml:5"},
		{"4.2.3", cfg, kc(""), rule.Fail, "config", `set authentication.x509.clientCAFile: .* in /k.yaml`, "/k.yaml:0"},

		{"4.2.4", "", nil, rule.Fail, "read-only-port", `defaults to 10255; set --read-only-port=0`, ""},
		{"4.2.4", cfg, kc(""), rule.Pass, "config", `defaults to 0`, "/k.yaml:0"},
		{"4.2.4", cfg, kc("readOnlyPort: 10255\n"), rule.Fail, "config", `readOnlyPort is 10255 in /k.yaml:3`, "/k.yaml:3"},
		{"4.2.4", cfg + " --read-only-port 0", kc("readOnlyPort: 10255\n"), rule.Pass, "read-only-port", `^--read-only-port=0$`, ""},
		{"4.2.4", cfg, kc("readOnlyPort: \"0\"\n"), rule.Error, "config", `is not an integer`, "/k.yaml:3"},

		{"4.2.5", "", nil, rule.Pass, "streaming-connection-idle-timeout", `defaults to 4h0m0s`, ""},
		{"4.2.5", "--streaming-connection-idle-timeout=0", nil, rule.Fail, "streaming-connection-idle-timeout", `=0; set --streaming-connection-idle-timeout=5m`, ""},
		{"4.2.5", "--streaming-connection-idle-timeout=5m", nil, rule.Pass, "streaming-connection-idle-timeout", ``, ""},
		// kubeadm writes 0s, which the kubelet replaces by its default.
		{"4.2.5", cfg, kc("streamingConnectionIdleTimeout: 0s\n"), rule.Pass, "config", `is 4h0m0s in /k.yaml:3 \(the kubelet replaces a zero`, "/k.yaml:3"},
		{"4.2.5", cfg, kc("streamingConnectionIdleTimeout: 0\n"), rule.Error, "config", `"0" is not a duration`, "/k.yaml:3"},
		{"4.2.5", cfg + " --streaming-connection-idle-timeout=0s", kc("streamingConnectionIdleTimeout: 1h\n"), rule.Fail, "streaming-connection-idle-timeout", ``, ""},
		{"4.2.5", "--streaming-connection-idle-timeout=forever", nil, rule.Fail, "streaming-connection-idle-timeout", `not a duration`, ""},

		{"4.2.6", "", nil, rule.Pass, "make-iptables-util-chains", `defaults to true`, ""},
		{"4.2.6", "--make-iptables-util-chains=false", nil, rule.Fail, "make-iptables-util-chains", ``, ""},
		{"4.2.6", cfg, kc("makeIPTablesUtilChains: false\n"), rule.Fail, "config", ``, "/k.yaml:3"},
		{"4.2.6", cfg + " --make-iptables-util-chains", kc("makeIPTablesUtilChains: false\n"), rule.Pass, "make-iptables-util-chains", ``, ""},

		{"4.2.7", "", nil, rule.Pass, "hostname-override", ``, ""},
		{"4.2.7", "--hostname-override=node-a", nil, rule.Fail, "hostname-override", `^--hostname-override=node-a: `, ""},
		{"4.2.7", "--hostname-override=", nil, rule.Pass, "hostname-override", ``, ""},

		{"4.2.8", "", nil, rule.Pass, "event-qps", `defaults to 50 events per second`, ""},
		{"4.2.8", "--event-qps=0", nil, rule.Pass, "event-qps", `client default of 5`, ""},
		{"4.2.8", "--event-qps=-1", nil, rule.Fail, "event-qps", `negative`, ""},
		{"4.2.8", cfg, kc("eventRecordQPS: 0\n"), rule.Pass, "config", `eventRecordQPS is 0 in /k.yaml:3`, "/k.yaml:3"},
		{"4.2.8", cfg, kc("eventRecordQPS: -3\n"), rule.Fail, "config", `negative`, "/k.yaml:3"},

		{"4.2.9", "", nil, rule.Fail, "tls-cert-file", `signs itself; set --tls-cert-file=.*, or set --rotate-server-certificates=true`, ""},
		{"4.2.9", "--tls-cert-file=/c --tls-private-key-file=/k", nil, rule.Pass, "tls-cert-file", ``, ""},
		{"4.2.9", "--tls-cert-file=/c", nil, rule.Fail, "tls-private-key-file", `while the certificate is set`, ""},
		{"4.2.9", cfg, kc("tlsCertFile: /c\ntlsPrivateKeyFile: /k\n"), rule.Pass, "config", `tlsCertFile is /c in /k.yaml:3`, "/k.yaml:3"},
		{"4.2.9", cfg, kc("serverTLSBootstrap: true\n"), rule.Pass, "config", `requests its serving certificate`, "/k.yaml:3"},
		{"4.2.9", "--rotate-server-certificates", nil, rule.Pass, "rotate-server-certificates", ``, ""},
		{"4.2.9", cfg, kc(""), rule.Fail, "config", `set tlsCertFile: .* in /k.yaml, or set serverTLSBootstrap: true in /k.yaml`, "/k.yaml:0"},

		{"4.2.10", "", nil, rule.Fail, "rotate-certificates", `defaults to false`, ""},
		{"4.2.10", "--rotate-certificates", nil, rule.Pass, "rotate-certificates", ``, ""},
		{"4.2.10", cfg, kc("rotateCertificates: true\n"), rule.Pass, "config", ``, "/k.yaml:3"},
		{"4.2.10", cfg + " --rotate-certificates=false", kc("rotateCertificates: true\n"), rule.Fail, "rotate-certificates", ``, ""},

		{"4.2.11", "", nil, rule.Pass, "feature-gates", `does not set RotateKubeletServerCertificate, which defaults to true`, ""},
		{"4.2.11", "--feature-gates=A=true,RotateKubeletServerCertificate=false", nil, rule.Fail, "feature-gates",
			`sets RotateKubeletServerCertificate=false; set --feature-gates=RotateKubeletServerCertificate=true`, ""},
		{"4.2.11", cfg, kc("featureGates:\n  RotateKubeletServerCertificate: false\n"), rule.Fail, "config", `featureGates.RotateKubeletServerCertificate is false in /k.yaml:4`, "/k.yaml:4"},
		// --feature-gates merges with featureGates gate by gate.
		{"4.2.11", cfg + " --feature-gates=RotateKubeletServerCertificate=true", kc("featureGates:\n  RotateKubeletServerCertificate: false\n"), rule.Pass, "feature-gates", ``, ""},
		{"4.2.11", cfg + " --feature-gates=Other=true", kc("featureGates:\n  RotateKubeletServerCertificate: false\n"), rule.Fail, "config", ``, "/k.yaml:4"},
		{"4.2.11", cfg, kc(""), rule.Pass, "config", `neither --feature-gates nor /k.yaml sets`, "/k.yaml:0"},
		{"4.2.11", "--feature-gates=RotateKubeletServerCertificate=maybe", nil, rule.Fail, "feature-gates", `not a boolean`, ""},

		{"4.2.12", "", nil, rule.Fail, "tls-cipher-suites", `^--tls-cipher-suites is not set, so Go's default suites apply`, ""},
		{"4.2.12", "--tls-cipher-suites=" + strong, nil, rule.Pass, "tls-cipher-suites", `every cipher suite is strong`, ""},
		{"4.2.12", "--tls-cipher-suites=" + strong + ",TLS_RSA_WITH_AES_128_CBC_SHA", nil, rule.Fail, "tls-cipher-suites", `TLS_RSA_WITH_AES_128_CBC_SHA is not strong`, ""},
		{"4.2.12", "--tls-min-version=VersionTLS13", nil, rule.Pass, "tls-min-version", `only TLS 1.3`, ""},
		{"4.2.12", cfg, kc("tlsCipherSuites:\n- TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n"), rule.Pass, "config", ``, "/k.yaml:4"},
		{"4.2.12", cfg, kc("tlsCipherSuites: [TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA]\n"), rule.Fail, "config",
			`is not strong; set tlsCipherSuites: \[TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, `, "/k.yaml:3"},
		{"4.2.12", cfg, kc("tlsCipherSuites: TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n"), rule.Error, "config", `tlsCipherSuites: is not a list`, "/k.yaml:3"},
		{"4.2.12", cfg, kc("tlsMinVersion: VersionTLS13\n"), rule.Pass, "config", `tlsMinVersion is VersionTLS13 in /k.yaml:3`, "/k.yaml:3"},

		{"4.2.13", "", nil, rule.Fail, "pod-max-pids", `defaults to -1 \(no limit\)`, ""},
		{"4.2.13", "--pod-max-pids=4096", nil, rule.Pass, "pod-max-pids", ``, ""},
		{"4.2.13", cfg, kc("podPidsLimit: 100\n"), rule.Pass, "config", ``, "/k.yaml:3"},
		{"4.2.13", cfg, kc("podPidsLimit: -1\n"), rule.Fail, "config", `is -1 in /k.yaml:3 \(no limit\)`, "/k.yaml:3"},
		{"4.2.13", cfg + " --pod-max-pids=0", kc("podPidsLimit: 100\n"), rule.Fail, "pod-max-pids", ``, ""},

		{"4.2.14", "", nil, rule.Fail, "seccomp-default", `defaults to false`, ""},
		{"4.2.14", "--seccomp-default", nil, rule.Pass, "seccomp-default", ``, ""},
		{"4.2.14", cfg, kc("seccompDefault: true\n"), rule.Pass, "config", ``, "/k.yaml:3"},
		{"4.2.14", cfg, kc("seccompDefault: false\n"), rule.Fail, "config", ``, "/k.yaml:3"},
		// Either one turns it on: the flag at false does not turn the file's true off.
		{"4.2.14", cfg + " --seccomp-default=false", kc("seccompDefault: true\n"), rule.Pass, "config", `--seccomp-default=false does not turn off`, "/k.yaml:3"},
		{"4.2.14", cfg + " --seccomp-default=false", kc(""), rule.Fail, "seccomp-default", `^--seccomp-default=false; set --seccomp-default=true$`, ""},
		{"4.2.14", cfg + " --seccomp-default=true", kc("seccompDefault: false\n"), rule.Pass, "seccomp-default", ``, ""},
	})
}

func TestProxyMetrics(t *testing.T) {
	proxy := func(body string) map[string]string {
		return map[string]string{"/p.yaml": "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n" + body}
	}
	runFileCases(t, []fileCase{
		{"4.3.1", "", nil, rule.Pass, "metrics-bind-address", `defaults to 127.0.0.1:10249`, ""},
		{"4.3.1", "--metrics-bind-address=0.0.0.0:10249", nil, rule.Fail, "metrics-bind-address", `not a loopback address`, ""},
		{"4.3.1", "--metrics-bind-address=0.0.0.0", nil, rule.Fail, "metrics-bind-address", ``, ""},
		{"4.3.1", "--metrics-bind-address=127.0.0.1:10249", nil, rule.Pass, "metrics-bind-address", ``, ""},
		{"4.3.1", "--metrics-bind-address=[::1]:10249", nil, rule.Pass, "metrics-bind-address", ``, ""},
		{"4.3.1", "--metrics-bind-address=", nil, rule.Pass, "metrics-bind-address", `turns the metrics server off`, ""},
		{"4.3.1", "--metrics-port=0", nil, rule.Pass, "metrics-port", `off`, ""},
		{"4.3.1", "--config=/p.yaml", nil, rule.Manual, "config", `not visible`, ""},
		{"4.3.1", "--config=/p.yaml", proxy(""), rule.Pass, "config", `does not set metricsBindAddress, which defaults to 127.0.0.1:10249`, "/p.yaml:0"},
		{"4.3.1", "--config=/p.yaml", proxy("metricsBindAddress: \"\"\n"), rule.Pass, "config", `empty`, "/p.yaml:3"},
		{"4.3.1", "--config=/p.yaml", proxy("metricsBindAddress: 0.0.0.0:10249\n"), rule.Fail, "config", `not a loopback address`, "/p.yaml:3"},
		// With --config, kube-proxy ignores the flag.
		{"4.3.1", "--config=/p.yaml --metrics-bind-address=127.0.0.1", proxy("metricsBindAddress: 0.0.0.0:10249\n"), rule.Fail, "config", `ignores --metrics-bind-address`, "/p.yaml:3"},
		{"4.3.1", "--config=/p.yaml", proxy("metricsBindAddress: [\n"), rule.Error, "config", `^/p.yaml: line \d+: `, "/p.yaml:3"},
		{"4.3.1", "--config=/p.yaml", proxy("metricsBindAddress: 10249\n"), rule.Error, "config", `is not a string`, "/p.yaml:3"},
	})
}

func TestControlPlaneAdditions(t *testing.T) {
	strong := "TLS_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
	runFileCases(t, []fileCase{
		{"1.2.3", "", nil, rule.Fail, "enable-admission-plugins", `not set, so DenyServiceExternalIPs is not enabled.*external IP`, ""},
		{"1.2.3", "--enable-admission-plugins=NodeRestriction,DenyServiceExternalIPs", nil, rule.Pass, "enable-admission-plugins", ``, ""},
		{"1.2.9", "--enable-admission-plugins=NodeRestriction", nil, rule.Fail, "enable-admission-plugins", `does not include EventRateLimit`, ""},
		{"1.2.9", "--enable-admission-plugins=EventRateLimit", nil, rule.Pass, "enable-admission-plugins", ``, ""},
		{"1.2.11", "--enable-admission-plugins=NodeRestriction", nil, rule.Fail, "enable-admission-plugins", `AlwaysPullImages`, ""},
		{"1.2.11", "--enable-admission-plugins=AlwaysPullImages", nil, rule.Pass, "enable-admission-plugins", ``, ""},
		{"1.2.20", "", nil, rule.Manual, "request-timeout", `defaults to 1m0s; judge`, ""},
		{"1.2.20", "--request-timeout=300s", nil, rule.Manual, "request-timeout", `^--request-timeout=300s; judge`, ""},
		{"1.2.20", "--request-timeout=soon", nil, rule.Fail, "request-timeout", `not a duration`, ""},
		{"1.2.20", "--request-timeout=0s", nil, rule.Fail, "request-timeout", `not a positive duration`, ""},
		{"1.2.29", "", nil, rule.Fail, "tls-cipher-suites", `not set, so Go's default suites apply`, ""},
		{"1.2.29", "--tls-cipher-suites=" + strong, nil, rule.Pass, "tls-cipher-suites", ``, ""},
		{"1.2.29", "--tls-cipher-suites=TLS_RSA_WITH_3DES_EDE_CBC_SHA,TLS_RSA_WITH_AES_128_GCM_SHA256", nil, rule.Fail, "tls-cipher-suites",
			`TLS_RSA_WITH_3DES_EDE_CBC_SHA, TLS_RSA_WITH_AES_128_GCM_SHA256 are not strong`, ""},
		{"1.2.29", "--tls-min-version=VersionTLS13", nil, rule.Pass, "tls-min-version", ``, ""},
		{"1.3.1", "", nil, rule.Manual, "terminated-pod-gc-threshold", `defaults to 12500`, ""},
		{"1.3.1", "--terminated-pod-gc-threshold=10", nil, rule.Pass, "terminated-pod-gc-threshold", ``, ""},
		{"1.3.1", "--terminated-pod-gc-threshold=0", nil, rule.Fail, "terminated-pod-gc-threshold", `turns off`, ""},
		{"1.3.1", "--terminated-pod-gc-threshold=many", nil, rule.Fail, "terminated-pod-gc-threshold", `not an integer`, ""},
		{"2.7", "", nil, rule.Fail, "trusted-ca-file", `not set`, ""},
		{"2.7", "--trusted-ca-file=/etc/kubernetes/pki/ca.crt", nil, rule.Fail, "trusted-ca-file", `is the Kubernetes cluster CA`, ""},
		{"2.7", "--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt", nil, rule.Manual, "trusted-ca-file", `signs only etcd's own certificates`, ""},
		{"2.7", "--config-file=/e.yaml", map[string]string{"/e.yaml": "client-transport-security:\n  trusted-ca-file: /etc/kubernetes/pki/ca.crt\n"},
			rule.Fail, "trusted-ca-file", `^/e.yaml: trusted-ca-file=/etc/kubernetes/pki/ca.crt is the Kubernetes cluster CA`, ""},
	})
}

// auditHeader is the start of an audit policy: rules begin on line 4.
const auditHeader = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n"

// goodPolicy logs what 3.2.2 asks, and exempts kube-proxy's watches.
const goodPolicy = auditHeader + `- level: None
  users: ["system:kube-proxy"]
  verbs: ["watch"]
  resources:
  - group: ""
    resources: ["endpoints", "services", "secrets"]
- level: Metadata
  resources:
  - group: ""
    resources: ["secrets", "configmaps"]
  - group: authentication.k8s.io
    resources: ["tokenreviews"]
- level: RequestResponse
  resources:
  - group: ""
    resources: ["pods", "pods/exec", "pods/portforward", "pods/proxy", "services/proxy"]
  - group: apps
    resources: ["deployments"]
- level: Metadata
  omitStages: ["RequestReceived"]
`

func TestAuditPolicy(t *testing.T) {
	const args = "--audit-policy-file=/a.yaml"
	policy := func(s string) map[string]string { return map[string]string{"/a.yaml": s} }
	runFileCases(t, []fileCase{
		{"3.2.2", "", nil, rule.Fail, "audit-policy-file", `not set`, ""},
		{"3.2.2", args, nil, rule.Manual, "audit-policy-file", `not visible here; check that it logs Secrets`, ""},
		{"3.2.2", args, policy(goodPolicy), rule.Pass, "audit-policy-file", `logs Secrets at Metadata`, "/a.yaml:0"},
		{"3.2.2", args, policy(auditHeader), rule.Fail, "audit-policy-file", `has no rules, so it logs nothing`, "/a.yaml:0"},
		{"3.2.2", args, policy(auditHeader + "- level: None\n"), rule.Fail, "audit-policy-file",
			`requests to Secrets are not logged: get secrets in namespace default matches rule 1 \(line 4\) at level None; ` +
				`changes to pods and deployments are not logged: .*; pods/exec.* are not logged`, "/a.yaml:4"},
		// A catch-all at RequestResponse logs secrets with their content.
		{"3.2.2", args, policy(auditHeader + "- level: RequestResponse\n"), rule.Fail, "audit-policy-file",
			`^the audit policy /a.yaml: requests to Secrets are logged with their content: get secrets in namespace default matches rule 1 \(line 4\) ` +
				`at level RequestResponse; log them at Metadata; requests to ConfigMaps .*; TokenReviews are logged with their content: create tokenreviews.authentication.k8s.io matches`, "/a.yaml:4"},
		// A rule that drops pods/exec, before the catch-all.
		{"3.2.2", args, policy(strings.Replace(goodPolicy, "- level: None\n", "- level: None\n  resources:\n  - group: \"\"\n    resources: [\"pods/exec\"]\n- level: None\n", 1)),
			rule.Fail, "audit-policy-file", `^the audit policy /a.yaml: pods/exec, pods/portforward, pods/proxy and services/proxy are not logged: create pods/exec in namespace default matches rule 1 \(line 4\) at level None$`, "/a.yaml:4"},
		// Secrets in kube-system dropped by namespace.
		{"3.2.2", args, policy(auditHeader + "- level: None\n  namespaces: [kube-system]\n  resources:\n  - group: \"\"\n    resources: [secrets]\n" + goodPolicy[len(auditHeader):]),
			rule.Fail, "audit-policy-file", `get secrets in namespace kube-system matches rule 1`, "/a.yaml:4"},
		// A rule for everybody in system:authenticated applies to the probes; omitting every
		// stage logs nothing.
		{"3.2.2", args, policy(auditHeader + "- level: Metadata\n  userGroups: [system:authenticated]\n  omitStages: [RequestReceived, ResponseStarted, ResponseComplete]\n"),
			rule.Fail, "audit-policy-file", `requests to Secrets are not logged`, "/a.yaml:4"},
		// Non-resource rules and rules for other groups do not apply.
		{"3.2.2", args, policy(auditHeader + "- level: None\n  nonResourceURLs: [\"/healthz*\"]\n- level: None\n  resources:\n  - group: \"batch\"\n" +
			goodPolicy[len(auditHeader):]), rule.Pass, "audit-policy-file", ``, "/a.yaml:0"},
		// "*/exec" and "pods/*" cover the subresource.
		{"3.2.2", args, policy(auditHeader + "- level: None\n  resources:\n  - group: \"\"\n    resources: [\"*/portforward\"]\n" + goodPolicy[len(auditHeader):]),
			rule.Fail, "audit-policy-file", `create pods/portforward in namespace default matches rule 1`, "/a.yaml:4"},
		{"3.2.2", args, policy(auditHeader + "- level: None\n  verbs: [get]\n  resources:\n  - group: \"\"\n    resources: [\"services/*\"]\n" + goodPolicy[len(auditHeader):]),
			rule.Fail, "audit-policy-file", `get services/proxy in namespace default matches rule 1`, "/a.yaml:4"},
		{"3.2.2", args, policy(auditHeader + "- level: Everything\n"), rule.Error, "audit-policy-file", `^/a.yaml: line 4: rules\[0\].level: "Everything" is not None`, "/a.yaml:4"},
		{"3.2.2", args, policy(auditHeader + "- level: [\n"), rule.Error, "audit-policy-file", `^/a.yaml: line 4: `, "/a.yaml:4"},
		{"3.2.2", args, policy(auditHeader + "- level: Metadata\n  verbs: get\n"), rule.Error, "audit-policy-file", `^/a.yaml: line 5: cannot unmarshal`, "/a.yaml:5"},
		{"3.2.2", args, policy("kind: Policy\nrules: {}\n"), rule.Error, "audit-policy-file", `rules: is not a list`, "/a.yaml:2"},
	})
}
