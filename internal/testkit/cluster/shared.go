package cluster

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
)

// One cluster per test binary, started by the first test that asks for it.
var shared struct {
	sync.Mutex
	inMain  bool
	opts    Options
	once    sync.Once
	cluster *Cluster
	err     error
}

// Main runs a package's tests around one shared cluster and returns the exit code. Call it from
// TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(cluster.Main(m, cluster.Options{})) }
//
// The cluster starts on the first call of Shared, so a run that selects none of the tests that
// need it (go test -run) starts nothing, and it is stopped after the last test.
func Main(m *testing.M, opts Options) int {
	shared.Lock()
	shared.inMain, shared.opts = true, opts
	shared.Unlock()
	code := m.Run()
	if shared.cluster != nil {
		if err := shared.cluster.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "cluster: stop: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// Shared returns the package's cluster, starting it on first use with the options given to Main.
// It fails the test when the cluster cannot start (every later caller fails with the same error),
// and skips it only when the binaries are missing and KHARDEN_SKIP_CLUSTER_TESTS=1.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	shared.Lock()
	inMain, opts := shared.inMain, shared.opts
	shared.Unlock()
	if !inMain {
		t.Fatal("cluster.Shared needs the package's TestMain to call cluster.Main, which stops the cluster")
	}
	shared.once.Do(func() {
		bin, err := BinDir()
		if err != nil {
			shared.err = err
			return
		}
		shared.cluster, shared.err = New(bin, opts)
	})
	if shared.err != nil {
		if skipRequested() && errors.Is(shared.err, ErrBinariesMissing) {
			t.Skipf("%v; skipped because %s=1", shared.err, EnvSkip)
		}
		t.Fatalf("start the shared cluster: %v", shared.err)
	}
	return shared.cluster
}
