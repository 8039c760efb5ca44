// Package cluster runs a real Kubernetes control plane for tests: etcd, kube-apiserver and
// optionally kube-controller-manager as child processes on 127.0.0.1, with generated PKI.
//
// The binaries come from hack/k8sbins/build.sh, which builds them from the Go module proxy into a
// cache keyed by the hash of hack/k8sbins/go.sum (see BinDir); this package never imports
// k8s.io/kubernetes. When they are missing the tests fail and say to run the script, unless
// KHARDEN_SKIP_CLUSTER_TESTS=1 asks to skip.
//
// The control plane is configured the way a hardened cluster is: client-certificate
// authentication only (--anonymous-auth=false), --authorization-mode=Node,RBAC, Secrets encrypted
// at rest (secretbox), an audit policy and log, etcd with TLS and client-certificate auth for
// clients and peers, keys written with mode 0600. Each component's flags are sorted
// "--name=value" arguments, exposed as Process.Args, and are exactly its /proc/<pid>/cmdline, so
// audits of a running node can be tested against it; Options can override or remove any flag.
//
// A package shares one cluster between its tests:
//
//	func TestMain(m *testing.M) { os.Exit(cluster.Main(m, cluster.Options{})) }
//
//	func TestSomething(t *testing.T) {
//		c := cluster.Shared(t)
//		cs, err := kubernetes.NewForConfig(c.Config())
//		...
//	}
//
// Tests that need a private or differently configured control plane call Start, which stops it
// when the test ends. Tests share the cluster, so they should work in namespaces of their own
// (namespace deletion needs kube-controller-manager).
package cluster
