package cluster

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Names of the binaries that hack/k8sbins/build.sh builds.
const (
	EtcdBinary              = "etcd"
	APIServerBinary         = "kube-apiserver"
	ControllerManagerBinary = "kube-controller-manager"
)

// Environment variables read by the package.
const (
	// EnvBinDir names a directory holding the three binaries; it overrides the build cache.
	EnvBinDir = "KHARDEN_K8SBINS_DIR"
	// EnvCache is the root of build.sh's cache (default $HOME/.cache/kharden/k8sbins).
	EnvCache = "KHARDEN_K8SBINS_CACHE"
	// EnvSkip, set to 1, turns "the binaries are missing" from a test failure into a skip.
	EnvSkip = "KHARDEN_SKIP_CLUSTER_TESTS"
	// EnvKeep, set to 1, keeps each cluster's directory (PKI, logs, etcd data) after Stop.
	EnvKeep = "KHARDEN_CLUSTER_KEEP"
)

// ErrBinariesMissing is wrapped by the error BinDir returns when the binaries are not built.
var ErrBinariesMissing = errors.New("kube-apiserver, etcd and kube-controller-manager are not built: run ./hack/k8sbins/build.sh (a cold build takes several minutes)")

// BinDir returns the directory that holds etcd, kube-apiserver and kube-controller-manager: the
// value of KHARDEN_K8SBINS_DIR, or else the directory hack/k8sbins/build.sh builds into,
// ${KHARDEN_K8SBINS_CACHE:-$HOME/.cache/kharden/k8sbins}/<sha256 of hack/k8sbins/go.sum>.
// The error wraps ErrBinariesMissing when a binary is not there.
func BinDir() (string, error) {
	dir := os.Getenv(EnvBinDir)
	if dir == "" {
		var err error
		if dir, err = cacheDir(); err != nil {
			return "", err
		}
	}
	for _, b := range []string{EtcdBinary, APIServerBinary, ControllerManagerBinary} {
		fi, err := os.Stat(filepath.Join(dir, b))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return "", fmt.Errorf("%w (no executable %s in %s)", ErrBinariesMissing, b, dir)
		}
	}
	return dir, nil
}

// cacheDir computes build.sh's output directory from hack/k8sbins/go.sum, found by walking up
// from the working directory (go test runs in the package's directory).
func cacheDir() (string, error) {
	sumFile, err := findUp(filepath.Join("hack", "k8sbins", "go.sum"))
	if err != nil {
		return "", err
	}
	sum, err := os.ReadFile(sumFile)
	if err != nil {
		return "", err
	}
	root := os.Getenv(EnvCache)
	if root == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("locate the k8sbins cache: %w (or set %s)", err, EnvCache)
		}
		root = filepath.Join(home, ".cache", "kharden", "k8sbins")
	}
	h := sha256.Sum256(sum)
	return filepath.Join(root, hex.EncodeToString(h[:])), nil
}

func findUp(rel string) (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no %s in %s or above (set %s to the directory of the binaries)", rel, wd, EnvBinDir)
		}
		dir = parent
	}
}

// skipRequested reports whether KHARDEN_SKIP_CLUSTER_TESTS asks to skip instead of failing.
func skipRequested() bool {
	v := strings.TrimSpace(os.Getenv(EnvSkip))
	return v == "1" || strings.EqualFold(v, "true")
}
