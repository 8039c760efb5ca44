package flags

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/rule"
)

func TestParse(t *testing.T) {
	s := Parse(APIServer, "test", []string{
		"kube-apiserver", // 0: the program
		"--a=b",          // 1
		"--c", "d",       // 2, 3
		"--profiling",           // 4: bare boolean
		"--anonymous-auth", "x", // 5: a boolean does not take the next argument; x is positional
		"-single=1",                // 7
		"--repeat=1", "--repeat=2", // 8, 9
		"--empty=",         // 10
		"--last",           // 11: bare at the end
		"--", "--after=no", // 12: end of flags
	})
	want := map[string][]Value{
		"a":              {{Value: "b", Origin: Origin{Arg: 1}}},
		"c":              {{Value: "d", Origin: Origin{Arg: 2}}},
		"profiling":      {{Value: "true", Bare: true, Origin: Origin{Arg: 4}}},
		"anonymous-auth": {{Value: "true", Bare: true, Origin: Origin{Arg: 5}}},
		"single":         {{Value: "1", Origin: Origin{Arg: 7}}},
		"repeat":         {{Value: "1", Origin: Origin{Arg: 8}}, {Value: "2", Origin: Origin{Arg: 9}}},
		"empty":          {{Value: "", Origin: Origin{Arg: 10}}},
		"last":           {{Value: "true", Bare: true, Origin: Origin{Arg: 11}}},
	}
	if !reflect.DeepEqual(s.Values, want) {
		t.Errorf("Parse:\n got %+v\nwant %+v", s.Values, want)
	}
	if v, _ := s.Lookup("repeat"); v.Value != "2" {
		t.Errorf("the last occurrence wins: got %q", v.Value)
	}
	if s.Has("empty") || !s.Has("a") || s.Has("after") {
		t.Error("Has")
	}
}

func TestList(t *testing.T) {
	s := Parse(APIServer, "", []string{"--enable-admission-plugins=NodeRestriction, EventRateLimit", "--enable-admission-plugins", "AlwaysPullImages,,"})
	if got := s.List("enable-admission-plugins"); !reflect.DeepEqual(got, []string{"NodeRestriction", "EventRateLimit", "AlwaysPullImages"}) {
		t.Errorf("List = %q", got)
	}
}

func TestEnv(t *testing.T) {
	s := Parse(Etcd, "", []string{"etcd", "--cert-file=/a"})
	s.AddEnv("ETCD_CERT_FILE", "/env", Origin{})
	s.AddEnv("ETCD_CLIENT_CERT_AUTH", "true", Origin{})
	s.AddEnv("HOME", "/root", Origin{})
	if v, _ := s.Lookup("cert-file"); v.Value != "/a" {
		t.Errorf("a flag overrides the environment: %q", v.Value)
	}
	if v, ok := s.Lookup("client-cert-auth"); !ok || v.Value != "true" || v.Origin.Env != "ETCD_CLIENT_CERT_AUTH" || v.Origin.Arg != -1 {
		t.Errorf("env value %+v", v)
	}
	a := Parse(APIServer, "", nil)
	a.AddEnv("ETCD_CERT_FILE", "/x", Origin{})
	if a.Has("cert-file") {
		t.Error("the API server reads no flags from the environment")
	}
}

func TestComponentOf(t *testing.T) {
	for in, want := range map[string]string{"/usr/local/bin/kube-apiserver": APIServer, "etcd": Etcd, "/usr/bin/kubelet": Kubelet,
		"kube-proxy": Proxy, "kubectl": "", "": ""} {
		if got := ComponentOf(in); got != want {
			t.Errorf("ComponentOf(%q) = %q", in, got)
		}
	}
}

// kubeadm is the command line kubeadm writes for each component (v1.3x), which fails
// only the items kubeadm leaves to the operator.
var kubeadm = map[string][]string{
	APIServer: strings.Fields(`kube-apiserver --advertise-address=10.0.0.1 --allow-privileged=true --authorization-mode=Node,RBAC
		--client-ca-file=/etc/kubernetes/pki/ca.crt --enable-admission-plugins=NodeRestriction --enable-bootstrap-token-auth=true
		--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt --etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt
		--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key --etcd-servers=https://127.0.0.1:2379
		--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt
		--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key --secure-port=6443
		--service-account-issuer=https://kubernetes.default.svc.cluster.local --service-account-key-file=/etc/kubernetes/pki/sa.pub
		--service-account-signing-key-file=/etc/kubernetes/pki/sa.key --tls-cert-file=/etc/kubernetes/pki/apiserver.crt
		--tls-private-key-file=/etc/kubernetes/pki/apiserver.key`),
	ControllerManager: strings.Fields(`kube-controller-manager --authentication-kubeconfig=/etc/kubernetes/controller-manager.conf
		--bind-address=127.0.0.1 --client-ca-file=/etc/kubernetes/pki/ca.crt --kubeconfig=/etc/kubernetes/controller-manager.conf
		--leader-elect=true --root-ca-file=/etc/kubernetes/pki/ca.crt --service-account-private-key-file=/etc/kubernetes/pki/sa.key
		--use-service-account-credentials=true`),
	Scheduler: strings.Fields(`kube-scheduler --authentication-kubeconfig=/etc/kubernetes/scheduler.conf --bind-address=127.0.0.1
		--kubeconfig=/etc/kubernetes/scheduler.conf --leader-elect=true`),
	Etcd: strings.Fields(`etcd --advertise-client-urls=https://10.0.0.1:2379 --cert-file=/etc/kubernetes/pki/etcd/server.crt
		--client-cert-auth=true --data-dir=/var/lib/etcd --key-file=/etc/kubernetes/pki/etcd/server.key
		--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt --peer-client-cert-auth=true --peer-key-file=/etc/kubernetes/pki/etcd/peer.key
		--peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt`),
	Kubelet: strings.Fields(`/usr/bin/kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf
		--kubeconfig=/etc/kubernetes/kubelet.conf --config=/var/lib/kubelet/config.yaml
		--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.10`),
	Proxy: strings.Fields(`/usr/local/bin/kube-proxy --config=/var/lib/kube-proxy/config.conf --hostname-override=node1`),
}

// kubeadmFiles are the files kubeadm writes that the flags above name.
var kubeadmFiles = map[string][]byte{
	"/var/lib/kubelet/config.yaml": []byte(kubeadmKubeletConfig),
	"/var/lib/kube-proxy/config.conf": []byte(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
bindAddress: 0.0.0.0
clientConnection:
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
kind: KubeProxyConfiguration
metricsBindAddress: ""
mode: ""
`),
}

// kubeadmKubeletConfig is the kubelet configuration kubeadm writes: the zero durations
// are replaced by the kubelet's defaults.
const kubeadmKubeletConfig = `apiVersion: kubelet.config.k8s.io/v1beta1
authentication:
  anonymous:
    enabled: false
  webhook:
    cacheTTL: 0s
    enabled: true
  x509:
    clientCAFile: /etc/kubernetes/pki/ca.crt
authorization:
  mode: Webhook
  webhook:
    cacheAuthorizedTTL: 0s
    cacheUnauthorizedTTL: 0s
cgroupDriver: systemd
clusterDNS:
- 10.96.0.10
clusterDomain: cluster.local
containerRuntimeEndpoint: ""
cpuManagerReconcilePeriod: 0s
healthzBindAddress: 127.0.0.1
healthzPort: 10248
kind: KubeletConfiguration
rotateCertificates: true
runtimeRequestTimeout: 0s
staticPodPath: /etc/kubernetes/manifests
streamingConnectionIdleTimeout: 0s
syncFrequency: 0s
`

func TestKubeadmDefaults(t *testing.T) {
	wantFail := map[string]bool{
		"1.2.1": true, "1.2.5": true, "1.2.15": true, "1.2.16": true, "1.2.17": true, "1.2.18": true, "1.2.19": true,
		"1.2.27": true, "1.2.28": true, "1.2.30": true, "3.2.1": true, "1.3.2": true, "1.4.1": true,
		// Admission plugins, ciphers and the audit policy kubeadm leaves to the operator.
		"1.2.3": true, "1.2.9": true, "1.2.11": true, "1.2.29": true, "3.2.2": true,
		// The kubelet serves a self-signed certificate with Go's default ciphers, without a
		// pod PID limit or the default seccomp profile.
		"4.2.9": true, "4.2.12": true, "4.2.13": true, "4.2.14": true,
	}
	wantManual := map[string]bool{"1.2.20": true, "1.3.1": true, "2.7": true}
	for _, c := range All() {
		s := Parse(c.Component, "kubeadm", kubeadm[c.Component])
		s.Files = kubeadmFiles
		r := c.Run(s)
		if got := r.Status == rule.Fail; got != wantFail[c.CIS] || (r.Status == rule.Manual) != wantManual[c.CIS] {
			t.Errorf("%s %s: %s: %s", c.CIS, c.Title, r.Status, r.Message)
		}
		if r.Flag == "" || r.Message == "" {
			t.Errorf("%s: no flag or message: %+v", c.CIS, r)
		}
	}
}

func TestChecks(t *testing.T) {
	cases := []struct {
		cis   string
		args  string
		files map[string]string
		want  rule.Status
		flag  string
		msg   string // regexp
	}{
		{"1.2.1", "--anonymous-auth=false", nil, rule.Pass, "anonymous-auth", ""},
		{"1.2.1", "--anonymous-auth=FALSE", nil, rule.Pass, "anonymous-auth", ""},
		{"1.2.1", "", nil, rule.Fail, "anonymous-auth", "not set and defaults to true"},
		{"1.2.1", "--anonymous-auth", nil, rule.Fail, "anonymous-auth", `^--anonymous-auth; set --anonymous-auth=false`},
		{"1.2.1", "--anonymous-auth=nope", nil, rule.Fail, "anonymous-auth", "not a boolean"},
		{"1.2.1", "--authentication-config=/a.yaml", nil, rule.Manual, "authentication-config", "not visible"},
		{"1.2.1", "--authentication-config=/a.yaml", map[string]string{"/a.yaml": "anonymous:\n  enabled: false\n"}, rule.Pass, "authentication-config", "disables"},
		{"1.2.1", "--authentication-config=/a.yaml", map[string]string{"/a.yaml": "anonymous:\n  enabled: true\n  conditions:\n  - path: /livez\n  - path: /readyz\n"},
			rule.Pass, "authentication-config", "only to /livez, /readyz"},
		{"1.2.1", "--authentication-config=/a.yaml", map[string]string{"/a.yaml": "anonymous:\n  enabled: true\n"}, rule.Fail, "authentication-config", "every path"},
		{"1.2.1", "--authentication-config=/a.yaml", map[string]string{"/a.yaml": "jwt: []\n"}, rule.Fail, "authentication-config", "no anonymous section"},
		{"1.2.1", "--authentication-config=/a.yaml", map[string]string{"/a.yaml": "anonymous: [\n"}, rule.Manual, "authentication-config", "does not parse"},
		{"1.2.2", "--token-auth-file=/t.csv", nil, rule.Fail, "token-auth-file", "--token-auth-file=/t.csv is set"},
		{"1.2.2", "", nil, rule.Pass, "token-auth-file", ""},
		{"1.2.4", "--kubelet-client-certificate=/c", nil, rule.Fail, "kubelet-client-key", `^--kubelet-client-key is not set$`},
		{"1.2.4", "", nil, rule.Fail, "kubelet-client-certificate", "--kubelet-client-certificate and --kubelet-client-key are not set"},
		{"1.2.4", "--kubelet-client-certificate=/c --kubelet-client-key=/k", nil, rule.Pass, "kubelet-client-certificate", ""},
		{"1.2.5", "--kubelet-certificate-authority=", nil, rule.Fail, "kubelet-certificate-authority", ""},
		{"1.2.6", "--authorization-mode=AlwaysAllow", nil, rule.Fail, "authorization-mode", "includes AlwaysAllow"},
		{"1.2.6", "--authorization-mode=Node,RBAC", nil, rule.Pass, "authorization-mode", ""},
		{"1.2.6", "", nil, rule.Fail, "authorization-mode", "defaults to AlwaysAllow"},
		{"1.2.7", "--authorization-mode=RBAC", nil, rule.Fail, "authorization-mode", "does not include Node"},
		{"1.2.7", "--authorization-mode Node,RBAC", nil, rule.Pass, "authorization-mode", ""},
		{"1.2.8", "--authorization-mode=Node,Webhook", nil, rule.Fail, "authorization-mode", "does not include RBAC"},
		{"1.2.8", "--authorization-config=/z.yaml", nil, rule.Manual, "authorization-config", "not visible"},
		{"1.2.8", "--authorization-config=/z.yaml", map[string]string{"/z.yaml": "authorizers:\n- type: Node\n  name: node\n- type: RBAC\n  name: rbac\n"},
			rule.Pass, "authorization-config", "includes RBAC"},
		{"1.2.6", "--authorization-config=/z.yaml", map[string]string{"/z.yaml": "authorizers:\n- type: AlwaysAllow\n  name: all\n"},
			rule.Fail, "authorization-config", "includes AlwaysAllow"},
		{"1.2.10", "--enable-admission-plugins=NodeRestriction,AlwaysAdmit", nil, rule.Fail, "enable-admission-plugins", "includes AlwaysAdmit"},
		{"1.2.10", "", nil, rule.Pass, "enable-admission-plugins", ""},
		{"1.2.12", "--disable-admission-plugins=ServiceAccount", nil, rule.Fail, "disable-admission-plugins", ""},
		{"1.2.13", "--disable-admission-plugins=NamespaceLifecycle,X", nil, rule.Fail, "disable-admission-plugins", ""},
		{"1.2.13", "--disable-admission-plugins=ServiceAccount", nil, rule.Pass, "disable-admission-plugins", ""},
		{"1.2.14", "", nil, rule.Fail, "enable-admission-plugins", "not set"},
		{"1.2.14", "--enable-admission-plugins=EventRateLimit", nil, rule.Fail, "enable-admission-plugins", "does not include NodeRestriction"},
		{"1.2.15", "--profiling=false", nil, rule.Pass, "profiling", ""},
		{"1.2.15", "--profiling=true --profiling=false", nil, rule.Pass, "profiling", ""},
		{"1.2.15", "--profiling=false --profiling=true", nil, rule.Fail, "profiling", ""},
		{"1.2.17", "--audit-log-path=/a --audit-log-maxage=7", nil, rule.Fail, "audit-log-maxage", "less than 30"},
		{"1.2.17", "--audit-log-path=/a --audit-log-maxage=30", nil, rule.Pass, "audit-log-maxage", ""},
		{"1.2.17", "--audit-log-path=/a --audit-log-maxage=x", nil, rule.Fail, "audit-log-maxage", "not an integer"},
		{"1.2.18", "--audit-log-path=- ", nil, rule.Pass, "audit-log-maxbackup", "standard output"},
		{"1.2.19", "--audit-log-maxsize=100", nil, rule.Pass, "audit-log-maxsize", ""},
		{"1.2.21", "--service-account-lookup=false", nil, rule.Fail, "service-account-lookup", ""},
		{"1.2.21", "", nil, rule.Pass, "service-account-lookup", "defaults to true"},
		{"1.2.27", "--encryption-provider-config=/e.yaml", nil, rule.Pass, "encryption-provider-config", ""},
		{"1.2.28", "", nil, rule.Fail, "encryption-provider-config", "unencrypted"},
		{"1.2.28", "--encryption-provider-config=/e.yaml", nil, rule.Manual, "encryption-provider-config", "not visible"},
		{"1.2.28", "--encryption-provider-config=/e.yaml", map[string]string{"/e.yaml": encryption("aescbc", "identity")},
			rule.Pass, "encryption-provider-config", "aescbc"},
		{"1.2.28", "--encryption-provider-config=/e.yaml", map[string]string{"/e.yaml": encryption("identity", "aescbc")},
			rule.Fail, "encryption-provider-config", "identity"},
		{"1.2.28", "--encryption-provider-config=/e.yaml", map[string]string{"/e.yaml": strings.Replace(encryption("kms", "identity"), "secrets", "configmaps", 1)},
			rule.Fail, "encryption-provider-config", "no entry for secrets"},
		{"1.2.28", "--encryption-provider-config=/e.yaml", map[string]string{"/e.yaml": strings.Replace(encryption("secretbox"), "secrets", "'*.*'", 1)},
			rule.Pass, "encryption-provider-config", "secretbox"},
		{"1.2.30", "--service-account-extend-token-expiration=false", nil, rule.Pass, "service-account-extend-token-expiration", ""},
		{"3.2.1", "--audit-policy-file=/p.yaml", nil, rule.Pass, "audit-policy-file", ""},
		{"1.3.3", "", nil, rule.Fail, "use-service-account-credentials", "defaults to false"},
		{"1.3.6", "--feature-gates=Foo=true,RotateKubeletServerCertificate=false", nil, rule.Fail, "feature-gates", ""},
		{"1.3.6", "--feature-gates=RotateKubeletServerCertificate=true", nil, rule.Pass, "feature-gates", ""},
		{"1.3.7", "", nil, rule.Fail, "bind-address", "defaults to 0.0.0.0"},
		{"1.3.7", "--bind-address=0.0.0.0", nil, rule.Fail, "bind-address", "not a loopback"},
		{"1.3.7", "--bind-address=::1", nil, rule.Pass, "bind-address", ""},
		{"1.4.1", "--config=/s.yaml --profiling=false", nil, rule.Manual, "config", "not visible"},
		{"1.4.1", "--config=/s.yaml", map[string]string{"/s.yaml": "enableProfiling: false\n"}, rule.Pass, "config", ""},
		{"1.4.1", "--config=/s.yaml", map[string]string{"/s.yaml": "leaderElection: {}\n"}, rule.Fail, "config", "defaults to true"},
		{"2.1", "--cert-file=/c", nil, rule.Fail, "key-file", ""},
		{"2.2", "--client-cert-auth", nil, rule.Pass, "client-cert-auth", ""},
		{"2.3", "--auto-tls=true", nil, rule.Fail, "auto-tls", ""},
		{"2.3", "", nil, rule.Pass, "auto-tls", ""},
		{"2.6", "--peer-auto-tls=false", nil, rule.Pass, "peer-auto-tls", ""},
		{"2.5", "--config-file=/etc/etcd.yaml", nil, rule.Manual, "config-file", "not visible"},
		{"2.5", "--config-file=/etc/etcd.yaml --peer-client-cert-auth=true",
			map[string]string{"/etc/etcd.yaml": "peer-transport-security:\n  client-cert-auth: false\n"}, rule.Fail, "peer-client-cert-auth", "/etc/etcd.yaml"},
		{"2.2", "--config-file=/etc/etcd.yaml",
			map[string]string{"/etc/etcd.yaml": "client-transport-security:\n  client-cert-auth: true\n"}, rule.Pass, "client-cert-auth", ""},
	}
	for _, c := range cases {
		r := run(t, c.cis, c.args, c.files)
		if r.Status != c.want || r.Flag != c.flag || !regexp.MustCompile(c.msg).MatchString(r.Message) {
			t.Errorf("%s %q: got %s %s %q, want %s %s /%s/", c.cis, c.args, r.Status, r.Flag, r.Message, c.want, c.flag, c.msg)
		}
	}
}

// run runs the check of a CIS item on a command line and files.
func run(t *testing.T, cis, args string, files map[string]string) Result {
	t.Helper()
	ch := Lookup(cis)
	if ch == nil {
		t.Fatalf("no check %s", cis)
	}
	s := Parse(ch.Component, "test", strings.Fields(args))
	if files != nil {
		s.Files = map[string][]byte{}
		for k, v := range files {
			s.Files[k] = []byte(v)
		}
	}
	return ch.Run(s)
}

func encryption(providers ...string) string {
	var b strings.Builder
	b.WriteString("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources:\n  - secrets\n  providers:\n")
	for _, p := range providers {
		b.WriteString("  - " + p + ": {}\n")
	}
	return b.String()
}

func TestCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range All() {
		if seen[c.CIS] {
			t.Errorf("duplicate check %s", c.CIS)
		}
		seen[c.CIS] = true
		if c.Title == "" || c.Eval == nil || ComponentOf(c.Component) == "" {
			t.Errorf("check %s is incomplete", c.CIS)
		}
		// Every check decides on an empty Set without panicking.
		if r := c.Run(New(c.Component, "")); r.Status == "" {
			t.Errorf("check %s: no status", c.CIS)
		}
	}
	if len(For(Etcd)) != 7 || len(For(Kubelet)) != 14 || len(For(Proxy)) != 1 || Lookup("9.9") != nil {
		t.Error("For / Lookup")
	}
}
