package cluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// Options configures a cluster. The zero value starts etcd and kube-apiserver.
type Options struct {
	// ControllerManager also starts kube-controller-manager, which tests need for the default
	// ServiceAccount of new namespaces, Deployment -> ReplicaSet -> Pod, or namespace deletion.
	ControllerManager bool

	// EtcdFlags, APIServerFlags and ControllerManagerFlags are merged over the default flags of
	// each component (names without the leading dashes). An empty value removes a default flag,
	// so a test can start a deliberately weak control plane, e.g. {"encryption-provider-config": ""}.
	EtcdFlags              map[string]string
	APIServerFlags         map[string]string
	ControllerManagerFlags map[string]string

	// StartTimeout bounds the whole start; the default is two minutes.
	StartTimeout time.Duration
}

// EncryptionPrefix starts every Secret that kube-apiserver writes to etcd under the default
// encryption provider config.
const EncryptionPrefix = "k8s:enc:secretbox:v1:key1:"

// Cluster is a running etcd and kube-apiserver (and optionally kube-controller-manager) on
// 127.0.0.1, each a child process with its own process group.
type Cluster struct {
	Dir                  string // state directory: pki/, etcd data, configs, logs, audit log
	Host                 string // https://127.0.0.1:<port> of kube-apiserver
	KubeconfigPath       string // admin kubeconfig, credentials embedded
	EtcdURL              string // https://127.0.0.1:<port>; needs an etcd client cert (EtcdTLS)
	AuditLogPath         string
	EncryptionConfigPath string
	AuditPolicyPath      string
	PKI                  *PKI

	Etcd              *Process
	APIServer         *Process
	ControllerManager *Process // nil unless Options.ControllerManager

	adminConfig *rest.Config
	stopOnce    sync.Once
	stopErr     error
}

// Start starts a cluster for one test and stops it when the test ends. It fails the test when the
// binaries are missing (it skips instead when KHARDEN_SKIP_CLUSTER_TESTS=1). Most packages want
// one cluster for all their tests: see Main and Shared.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	bin, err := BinDir()
	if err != nil {
		if skipRequested() && errors.Is(err, ErrBinariesMissing) {
			t.Skipf("%v; skipped because %s=1", err, EnvSkip)
		}
		t.Fatal(err)
	}
	c, err := New(bin, opts)
	if err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("stop cluster: %v", err)
		}
	})
	return c
}

// New starts a cluster from the binaries in bin (see BinDir). The caller must call Stop.
// Ports are picked free on 127.0.0.1; a start that loses a port to another process is retried.
func New(bin string, opts Options) (*Cluster, error) {
	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		var c *Cluster
		c, err = start(ctx, bin, opts)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, errPortTaken) {
			return nil, err
		}
	}
	return nil, err
}

var errPortTaken = errors.New("port taken")

func start(ctx context.Context, bin string, opts Options) (c *Cluster, err error) {
	dir, err := os.MkdirTemp("", "kharden-cluster-")
	if err != nil {
		return nil, err
	}
	c = &Cluster{Dir: dir}
	defer func() {
		if err != nil {
			if keep() {
				err = fmt.Errorf("%w (state kept in %s)", err, dir)
			}
			_ = c.Stop()
		}
	}()
	if c.PKI, err = newPKI(filepath.Join(dir, "pki")); err != nil {
		return c, fmt.Errorf("PKI: %w", err)
	}
	ports, err := freePorts(4)
	if err != nil {
		return c, err
	}
	etcdPort, peerPort, apiPort, kcmPort := ports[0], ports[1], ports[2], ports[3]
	c.EtcdURL = "https://127.0.0.1:" + strconv.Itoa(etcdPort)
	c.Host = "https://127.0.0.1:" + strconv.Itoa(apiPort)

	// etcd
	etcdFlags := c.etcdFlags(peerPort)
	c.Etcd, err = startProcess(EtcdBinary, filepath.Join(bin, EtcdBinary),
		renderFlags(etcdFlags, opts.EtcdFlags), filepath.Join(dir, "etcd.log"))
	if err != nil {
		return c, err
	}
	etcdClient, err := c.httpClient(c.PKI.EtcdCACert, c.PKI.EtcdClientCert, c.PKI.EtcdClientKey)
	if err != nil {
		return c, err
	}
	if err := waitFor(ctx, c.Etcd, func() bool {
		body, code, err := get(ctx, etcdClient, c.EtcdURL+"/health")
		return err == nil && code == http.StatusOK && bytes.Contains(body, []byte(`"health":"true"`))
	}); err != nil {
		return c, err
	}

	// kube-apiserver
	apiFlags, err := c.apiServerFlags(apiPort)
	if err != nil {
		return c, err
	}
	c.APIServer, err = startProcess(APIServerBinary, filepath.Join(bin, APIServerBinary),
		renderFlags(apiFlags, opts.APIServerFlags), filepath.Join(dir, "kube-apiserver.log"))
	if err != nil {
		return c, err
	}
	admin, err := c.httpClient(c.PKI.CACert, c.PKI.AdminCert, c.PKI.AdminKey)
	if err != nil {
		return c, err
	}
	if err := waitFor(ctx, c.APIServer, func() bool {
		_, code, err := get(ctx, admin, c.Host+"/readyz")
		return err == nil && code == http.StatusOK
	}); err != nil {
		return c, err
	}
	if c.adminConfig, err = c.configFor(c.PKI.AdminCert, c.PKI.AdminKey); err != nil {
		return c, err
	}
	c.KubeconfigPath = filepath.Join(dir, "admin.kubeconfig")
	if err := writeKubeconfig(c.KubeconfigPath, c.Host, c.PKI.CACert, c.PKI.AdminCert, c.PKI.AdminKey, "kharden-admin"); err != nil {
		return c, err
	}

	// kube-controller-manager
	if opts.ControllerManager {
		kubeconfig := filepath.Join(dir, "controller-manager.kubeconfig")
		if err := writeKubeconfig(kubeconfig, c.Host, c.PKI.CACert, c.PKI.ControllerManagerCert,
			c.PKI.ControllerManagerKey, "system:kube-controller-manager"); err != nil {
			return c, err
		}
		c.ControllerManager, err = startProcess(ControllerManagerBinary, filepath.Join(bin, ControllerManagerBinary),
			renderFlags(c.controllerManagerFlags(kcmPort, kubeconfig), opts.ControllerManagerFlags),
			filepath.Join(dir, "kube-controller-manager.log"))
		if err != nil {
			return c, err
		}
		// Ready when its service-account controller has given the default namespace its
		// ServiceAccount: then the controllers are running with working credentials.
		if err := waitFor(ctx, c.ControllerManager, func() bool {
			_, code, err := get(ctx, admin, c.Host+"/api/v1/namespaces/default/serviceaccounts/default")
			return err == nil && code == http.StatusOK
		}); err != nil {
			return c, err
		}
	}
	return c, nil
}

func (c *Cluster) etcdFlags(peerPort int) map[string]string {
	p := c.PKI
	peerURL := "https://127.0.0.1:" + strconv.Itoa(peerPort)
	return map[string]string{
		"name":                        "kharden",
		"data-dir":                    filepath.Join(c.Dir, "etcd"),
		"listen-client-urls":          c.EtcdURL,
		"advertise-client-urls":       c.EtcdURL,
		"listen-peer-urls":            peerURL,
		"initial-advertise-peer-urls": peerURL,
		"initial-cluster":             "kharden=" + peerURL,
		"initial-cluster-state":       "new",
		"cert-file":                   p.EtcdServerCert,
		"key-file":                    p.EtcdServerKey,
		"trusted-ca-file":             p.EtcdCACert,
		"client-cert-auth":            "true",
		"peer-cert-file":              p.EtcdServerCert,
		"peer-key-file":               p.EtcdServerKey,
		"peer-trusted-ca-file":        p.EtcdCACert,
		"peer-client-cert-auth":       "true",
		"unsafe-no-fsync":             "true", // test data: durability does not matter, speed does
		"log-level":                   "warn",
	}
}

func (c *Cluster) apiServerFlags(port int) (map[string]string, error) {
	p := c.PKI
	c.EncryptionConfigPath = filepath.Join(c.Dir, "encryption-config.yaml")
	if err := writeEncryptionConfig(c.EncryptionConfigPath); err != nil {
		return nil, err
	}
	c.AuditPolicyPath = filepath.Join(c.Dir, "audit-policy.yaml")
	if err := writeFile(c.AuditPolicyPath, []byte(auditPolicy), 0o600); err != nil {
		return nil, err
	}
	c.AuditLogPath = filepath.Join(c.Dir, "audit", "audit.log")
	if err := os.MkdirAll(filepath.Dir(c.AuditLogPath), 0o700); err != nil {
		return nil, err
	}
	return map[string]string{
		"advertise-address":                  "127.0.0.1",
		"bind-address":                       "127.0.0.1",
		"secure-port":                        strconv.Itoa(port),
		"cert-dir":                           filepath.Join(c.Dir, "apiserver-certs"),
		"tls-cert-file":                      p.APIServerCert,
		"tls-private-key-file":               p.APIServerKey,
		"client-ca-file":                     p.CACert,
		"anonymous-auth":                     "false",
		"authorization-mode":                 "Node,RBAC",
		"enable-admission-plugins":           "NodeRestriction",
		"allow-privileged":                   "true", // else validation rejects privileged pods before any webhook sees them
		"profiling":                          "false",
		"etcd-servers":                       c.EtcdURL,
		"etcd-cafile":                        p.EtcdCACert,
		"etcd-certfile":                      p.APIServerEtcdClientCert,
		"etcd-keyfile":                       p.APIServerEtcdClientKey,
		"kubelet-client-certificate":         p.APIServerKubeletClientCert,
		"kubelet-client-key":                 p.APIServerKubeletKey,
		"kubelet-certificate-authority":      p.CACert,
		"requestheader-client-ca-file":       p.FrontProxyCACert,
		"requestheader-allowed-names":        "front-proxy-client",
		"requestheader-username-headers":     "X-Remote-User",
		"requestheader-group-headers":        "X-Remote-Group",
		"requestheader-extra-headers-prefix": "X-Remote-Extra-",
		"proxy-client-cert-file":             p.FrontProxyClientCert,
		"proxy-client-key-file":              p.FrontProxyClientKey,
		"service-account-issuer":             "https://kubernetes.default.svc.cluster.local",
		"service-account-key-file":           p.ServiceAccountPublicKey,
		"service-account-signing-key-file":   p.ServiceAccountKey,
		"service-account-lookup":             "true",
		"service-cluster-ip-range":           "10.0.0.0/24",
		"encryption-provider-config":         c.EncryptionConfigPath,
		"audit-policy-file":                  c.AuditPolicyPath,
		"audit-log-path":                     c.AuditLogPath,
		"audit-log-maxage":                   "30",
		"audit-log-maxbackup":                "10",
		"audit-log-maxsize":                  "100",
		"endpoint-reconciler-type":           "none", // no kubernetes Service endpoint for a loopback address
	}, nil
}

func (c *Cluster) controllerManagerFlags(port int, kubeconfig string) map[string]string {
	p := c.PKI
	return map[string]string{
		"kubeconfig":                       kubeconfig,
		"authentication-kubeconfig":        kubeconfig,
		"authorization-kubeconfig":         kubeconfig,
		"bind-address":                     "127.0.0.1",
		"secure-port":                      strconv.Itoa(port),
		"cert-dir":                         filepath.Join(c.Dir, "controller-manager-certs"),
		"leader-elect":                     "false",
		"use-service-account-credentials":  "true",
		"service-account-private-key-file": p.ServiceAccountKey,
		"root-ca-file":                     p.CACert,
		"cluster-signing-cert-file":        p.CACert,
		"cluster-signing-key-file":         p.CAKey,
		"cluster-name":                     "kharden",
		"controllers":                      "*,bootstrapsigner,tokencleaner",
		"profiling":                        "false",
		"terminated-pod-gc-threshold":      "10",
	}
}

const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
  resources:
  - group: ""
    resources: ["secrets", "configmaps"]
  - group: authentication.k8s.io
    resources: ["tokenreviews"]
- level: None
  nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"]
- level: Request
  verbs: ["create", "update", "patch", "delete", "deletecollection"]
- level: Metadata
`

func writeEncryptionConfig(path string) error {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	config := `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: ["secrets"]
  providers:
  - secretbox:
      keys:
      - name: key1
        secret: ` + base64.StdEncoding.EncodeToString(key) + `
  - identity: {}
`
	return writeFile(path, []byte(config), 0o600)
}

// Config returns a copy of the admin client configuration (user kharden-admin, group
// system:masters).
func (c *Cluster) Config() *rest.Config {
	return rest.CopyConfig(c.adminConfig)
}

// ConfigFor returns a client configuration that authenticates as user in groups, with a client
// certificate of the cluster CA, for tests of RBAC and admission as someone other than an admin.
func (c *Cluster) ConfigFor(user string, groups ...string) (*rest.Config, error) {
	certPEM, keyPEM, err := c.PKI.clientCert(user, groups)
	if err != nil {
		return nil, err
	}
	cfg := rest.CopyConfig(c.adminConfig)
	cfg.CertData, cfg.KeyData = certPEM, keyPEM
	return cfg, nil
}

func (c *Cluster) configFor(certFile, keyFile string) (*rest.Config, error) {
	ca, err := os.ReadFile(c.PKI.CACert)
	if err != nil {
		return nil, err
	}
	cert, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	return &rest.Config{
		Host:            c.Host,
		TLSClientConfig: rest.TLSClientConfig{CAData: ca, CertData: cert, KeyData: key},
		QPS:             100,
		Burst:           200,
	}, nil
}

// Processes returns the running components in start order.
func (c *Cluster) Processes() []*Process {
	var ps []*Process
	for _, p := range []*Process{c.Etcd, c.APIServer, c.ControllerManager} {
		if p != nil {
			ps = append(ps, p)
		}
	}
	return ps
}

// Stop kills every component's process group, waits for the processes to be reaped and removes
// the state directory (kept when KHARDEN_CLUSTER_KEEP=1). It is safe to call more than once.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		var errs []error
		ps := c.Processes()
		for i := len(ps) - 1; i >= 0; i-- {
			if err := ps[i].kill(); err != nil {
				errs = append(errs, err)
			}
		}
		if c.Dir != "" && !keep() {
			if err := os.RemoveAll(c.Dir); err != nil {
				errs = append(errs, err)
			}
		}
		c.stopErr = errors.Join(errs...)
	})
	return c.stopErr
}

// EtcdTLS returns a TLS client configuration for etcd with the harness's etcd client cert.
func (c *Cluster) EtcdTLS() (*tls.Config, error) {
	return tlsConfig(c.PKI.EtcdCACert, c.PKI.EtcdClientCert, c.PKI.EtcdClientKey)
}

// EtcdGet reads the raw value of key from etcd through its JSON gateway, bypassing
// kube-apiserver: /registry/secrets/<namespace>/<name> shows how a Secret is stored.
// It returns nil and no error when the key does not exist.
func (c *Cluster) EtcdGet(ctx context.Context, key string) ([]byte, error) {
	client, err := c.httpClient(c.PKI.EtcdCACert, c.PKI.EtcdClientCert, c.PKI.EtcdClientKey)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(map[string][]byte{"key": []byte(key)})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.EtcdURL+"/v3/kv/range", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("etcd range %s: %s: %s", key, resp.Status, data)
	}
	var out struct {
		KVs []struct {
			Value []byte `json:"value"`
		} `json:"kvs"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("etcd range %s: %w", key, err)
	}
	if len(out.KVs) == 0 {
		return nil, nil
	}
	return out.KVs[0].Value, nil
}

func (c *Cluster) httpClient(caFile, certFile, keyFile string) (*http.Client, error) {
	cfg, err := tlsConfig(caFile, certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return &http.Client{
		Transport: &http.Transport{TLSClientConfig: cfg, Proxy: nil, DisableKeepAlives: true},
		Timeout:   10 * time.Second,
	}, nil
}

func tlsConfig(caFile, certFile, keyFile string) (*tls.Config, error) {
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("no certificate in %s", caFile)
	}
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if certFile != "" {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

func get(ctx context.Context, client *http.Client, url string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return body, resp.StatusCode, err
}

// waitFor polls ready until it holds, the process exits, or ctx ends.
func waitFor(ctx context.Context, p *Process, ready func() bool) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if ready() {
			return nil
		}
		select {
		case <-p.done:
			err := p.exitError()
			if strings.Contains(err.Error(), "address already in use") {
				return fmt.Errorf("%w: %w", errPortTaken, err)
			}
			return err
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w\n--- last lines of %s ---\n%s", p.Name, ctx.Err(), p.LogPath, p.logTail(40))
		case <-tick.C:
		}
	}
}

// freePorts returns n distinct ports that are free on 127.0.0.1 now. Neither etcd nor
// kube-apiserver can listen on port 0 and report the port, so a port can still be lost to
// another process before the component binds it; New retries then.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func writeKubeconfig(path, host, caFile, certFile, keyFile, user string) error {
	var data [3][]byte
	for i, f := range []string{caFile, certFile, keyFile} {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		data[i] = b
	}
	b64 := base64.StdEncoding.EncodeToString
	config := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kharden
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: %q
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: kharden
  context:
    cluster: kharden
    user: %q
current-context: kharden
`, host, b64(data[0]), user, b64(data[1]), b64(data[2]), user)
	return writeFile(path, []byte(config), 0o600)
}

func keep() bool {
	v := strings.TrimSpace(os.Getenv(EnvKeep))
	return v == "1" || strings.EqualFold(v, "true")
}

// RestartAPIServer stops kube-apiserver and starts it again with the same flags and
// port, as an upgrade or a crash would, and waits until it is ready: clients' watches
// break and must be resumed. etcd keeps the data.
func (c *Cluster) RestartAPIServer(ctx context.Context) error {
	old := c.APIServer
	if err := old.kill(); err != nil {
		return err
	}
	p, err := startProcess(old.Name, old.Path, old.Args, old.LogPath)
	if err != nil {
		return err
	}
	c.APIServer = p
	admin, err := c.httpClient(c.PKI.CACert, c.PKI.AdminCert, c.PKI.AdminKey)
	if err != nil {
		return err
	}
	return waitFor(ctx, p, func() bool {
		_, code, err := get(ctx, admin, c.Host+"/readyz")
		return err == nil && code == http.StatusOK
	})
}
