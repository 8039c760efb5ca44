//go:build linux

package cluster_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kharden/kharden/internal/testkit/cluster"
)

func TestMain(m *testing.M) {
	os.Exit(cluster.Main(m, cluster.Options{ControllerManager: true}))
}

func clientset(t *testing.T, c *cluster.Cluster) *kubernetes.Clientset {
	t.Helper()
	cs, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func createNamespace(t *testing.T, cs kubernetes.Interface, prefix string) string {
	t.Helper()
	ns, err := cs.CoreV1().Namespaces().Create(context.Background(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	return ns.Name
}

func TestObjectsAndEncryptionAtRest(t *testing.T) {
	c := cluster.Shared(t)
	cs := clientset(t, c)
	ctx := context.Background()
	ns := createNamespace(t, cs, "objects")

	const plainSecret, plainConfig = "s3cr3t-value-that-must-not-be-in-etcd", "visible-config-value"
	if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "settings"},
		Data:       map[string]string{"key": plainConfig},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create configmap: %v", err)
	}
	if _, err := cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "token"},
		StringData: map[string]string{"password": plainSecret},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create secret: %v", err)
	}
	got, err := cs.CoreV1().Secrets(ns).Get(ctx, "token", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get secret: %v", err)
	}
	if string(got.Data["password"]) != plainSecret {
		t.Errorf("secret reads back as %q", got.Data["password"])
	}

	stored, err := c.EtcdGet(ctx, "/registry/secrets/"+ns+"/token")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(stored, []byte(cluster.EncryptionPrefix)) {
		t.Errorf("secret in etcd does not start with %q: %.60q", cluster.EncryptionPrefix, stored)
	}
	if bytes.Contains(stored, []byte(plainSecret)) {
		t.Error("secret value is in plain text in etcd")
	}
	// The control: ConfigMaps are not encrypted, so the same read shows their value.
	storedConfig, err := c.EtcdGet(ctx, "/registry/configmaps/"+ns+"/settings")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(storedConfig, []byte(plainConfig)) {
		t.Errorf("configmap value not found in etcd: %.80q", storedConfig)
	}
	if missing, err := c.EtcdGet(ctx, "/registry/secrets/"+ns+"/absent"); err != nil || missing != nil {
		t.Errorf("EtcdGet of a missing key = %q, %v; want nil, nil", missing, err)
	}
}

func TestAnonymousRequestsAreRejected(t *testing.T) {
	c := cluster.Shared(t)
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(c.Config().CAData) {
		t.Fatal("no CA in the admin config")
	}
	// Verifies the server but presents no client certificate.
	client := &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}},
		Timeout:   10 * time.Second,
	}
	for _, path := range []string{"/api/v1/namespaces", "/readyz", "/version"} {
		resp, err := client.Get(c.Host + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("anonymous GET %s: %s, want 401", path, resp.Status)
		}
	}
}

func TestUnprivilegedUserIsForbidden(t *testing.T) {
	c := cluster.Shared(t)
	cfg, err := c.ConfigFor("jane", "developers")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cs.CoreV1().Secrets("kube-system").List(context.Background(), metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("jane lists kube-system secrets: %v, want Forbidden", err)
	}
	if !strings.Contains(err.Error(), `"jane"`) {
		t.Errorf("error does not name the user: %v", err)
	}
}

func TestVersionAndKubeconfig(t *testing.T) {
	c := cluster.Shared(t)
	cfg, err := clientcmd.BuildConfigFromFlags("", c.KubeconfigPath)
	if err != nil {
		t.Fatalf("load %s: %v", c.KubeconfigPath, err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.Major != "1" || !strings.HasPrefix(v.GitVersion, "v1.") || strings.Contains(v.GitVersion, "master") {
		t.Errorf("server version %+v is not stamped", v)
	}
	t.Logf("server %s", v.GitVersion)
}

func TestAuditLog(t *testing.T) {
	c := cluster.Shared(t)
	cs := clientset(t, c)
	ns := createNamespace(t, cs, "audit")
	if _, err := cs.CoreV1().ConfigMaps(ns).Create(context.Background(), &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "audited"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	type event struct {
		Level     string `json:"level"`
		Verb      string `json:"verb"`
		Stage     string `json:"stage"`
		User      struct{ Username string }
		ObjectRef struct {
			Resource, Namespace, Name string
		} `json:"objectRef"`
	}
	// The log backend writes synchronously by default; poll briefly anyway.
	deadline := time.Now().Add(10 * time.Second)
	for {
		f, err := os.Open(c.AuditLogPath)
		if err != nil {
			t.Fatal(err)
		}
		var found *event
		lines := 0
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines++
			var e event
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("audit line %d is not JSON: %v", lines, err)
			}
			if e.Verb == "create" && e.ObjectRef.Resource == "configmaps" && e.ObjectRef.Namespace == ns && e.ObjectRef.Name == "audited" {
				found = &e
			}
		}
		f.Close()
		if found != nil {
			if found.Level != "Metadata" || found.User.Username != "kharden-admin" || found.Stage != "ResponseComplete" {
				t.Errorf("audit event %+v, want level Metadata by kharden-admin at ResponseComplete", *found)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no audit event for the configmap create in %d lines of %s", lines, c.AuditLogPath)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestControllerManagerCreatesServiceAccounts(t *testing.T) {
	c := cluster.Shared(t)
	if c.ControllerManager == nil {
		t.Fatal("the shared cluster of this package runs kube-controller-manager")
	}
	cs := clientset(t, c)
	ns := createNamespace(t, cs, "sa")
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := cs.CoreV1().ServiceAccounts(ns).Get(context.Background(), "default", metav1.GetOptions{})
		if err == nil {
			return
		}
		if !apierrors.IsNotFound(err) || time.Now().After(deadline) {
			t.Fatalf("default service account of %s: %v", ns, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The command lines are what a later audit reads through /proc: check they match Process.Args.
func TestProcessCommandLines(t *testing.T) {
	c := cluster.Shared(t)
	for _, p := range c.Processes() {
		raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p.PID), "cmdline"))
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		argv := strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00")
		want := append([]string{p.Path}, p.Args...)
		if strings.Join(argv, " ") != strings.Join(want, " ") {
			t.Errorf("%s: /proc cmdline\n%q\nwant\n%q", p.Name, argv, want)
		}
	}
	for _, want := range []struct{ flag, value string }{
		{"anonymous-auth", "false"},
		{"authorization-mode", "Node,RBAC"},
		{"encryption-provider-config", c.EncryptionConfigPath},
		{"audit-log-path", c.AuditLogPath},
	} {
		if v, ok := c.APIServer.Flag(want.flag); !ok || v != want.value {
			t.Errorf("kube-apiserver --%s = %q, %v; want %q", want.flag, v, ok, want.value)
		}
	}
	if v, _ := c.Etcd.Flag("client-cert-auth"); v != "true" {
		t.Errorf("etcd --client-cert-auth = %q", v)
	}
	fi, err := os.Stat(c.PKI.CAKey)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", c.PKI.CAKey, fi.Mode().Perm())
	}
}

// A second, private cluster with a flag removed; Stop must leave no process and no directory.
func TestStartAndStop(t *testing.T) {
	c := cluster.Start(t, cluster.Options{APIServerFlags: map[string]string{"encryption-provider-config": ""}})
	if _, ok := c.APIServer.Flag("encryption-provider-config"); ok {
		t.Error("the removed flag is still on the command line")
	}
	ctx := context.Background()
	cs := clientset(t, c)
	if _, err := cs.CoreV1().Secrets("default").Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "plain"},
		StringData: map[string]string{"k": "plaintext-without-encryption"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	stored, err := c.EtcdGet(ctx, "/registry/secrets/default/plain")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(stored, []byte("plaintext-without-encryption")) {
		t.Errorf("without an encryption config the secret should be stored in plain text: %.80q", stored)
	}

	ps := c.Processes()
	if len(ps) != 2 || c.ControllerManager != nil {
		t.Fatalf("processes %d, want etcd and kube-apiserver only", len(ps))
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	for _, p := range ps {
		if err := syscall.Kill(p.PID, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("%s (pid %d) still exists after Stop: kill(0) = %v", p.Name, p.PID, err)
		}
		if err := syscall.Kill(-p.PID, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process group %d of %s still exists after Stop: %v", p.PID, p.Name, err)
		}
		if !p.Exited() {
			t.Errorf("%s not reaped", p.Name)
		}
	}
	if _, err := os.Stat(c.Dir); !os.IsNotExist(err) {
		t.Errorf("state directory %s left behind: %v", c.Dir, err)
	}
}
