package flags

import (
	"path"
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// controllerManagerChecks are section 1.3 (kube-controller-manager).
var controllerManagerChecks = []*Check{
	{CIS: "1.3.1", Component: ControllerManager, Title: "terminated pods are garbage collected at a threshold the site chose",
		Eval: terminatedPodGC},
	{CIS: "1.3.2", Component: ControllerManager, Title: "--profiling is false", Eval: boolIs("profiling", false, true)},
	{CIS: "1.3.3", Component: ControllerManager, Title: "--use-service-account-credentials is true",
		Eval: boolIs("use-service-account-credentials", true, false)},
	{CIS: "1.3.4", Component: ControllerManager, Title: "--service-account-private-key-file is set",
		Eval: required("service-account-private-key-file")},
	{CIS: "1.3.5", Component: ControllerManager, Title: "--root-ca-file is set", Eval: required("root-ca-file")},
	{CIS: "1.3.6", Component: ControllerManager, Title: "RotateKubeletServerCertificate is not turned off", Eval: rotateKubeletServerCertificate},
	{CIS: "1.3.7", Component: ControllerManager, Title: "--bind-address is 127.0.0.1", Eval: loopback("bind-address", "0.0.0.0")},
}

// schedulerChecks are section 1.4 (kube-scheduler).
var schedulerChecks = []*Check{
	{CIS: "1.4.1", Component: Scheduler, Title: "--profiling is false", Eval: schedulerProfiling},
	{CIS: "1.4.2", Component: Scheduler, Title: "--bind-address is 127.0.0.1", Eval: loopback("bind-address", "0.0.0.0")},
}

// etcdChecks are section 2 (etcd).
var etcdChecks = []*Check{
	{CIS: "2.1", Component: Etcd, Title: "--cert-file and --key-file are set", Eval: etcd(required("cert-file", "key-file"))},
	{CIS: "2.2", Component: Etcd, Title: "--client-cert-auth is true", Eval: etcd(boolIs("client-cert-auth", true, false))},
	{CIS: "2.3", Component: Etcd, Title: "--auto-tls is not true", Eval: etcd(boolIs("auto-tls", false, false))},
	{CIS: "2.4", Component: Etcd, Title: "--peer-cert-file and --peer-key-file are set", Eval: etcd(required("peer-cert-file", "peer-key-file"))},
	{CIS: "2.5", Component: Etcd, Title: "--peer-client-cert-auth is true", Eval: etcd(boolIs("peer-client-cert-auth", true, false))},
	{CIS: "2.6", Component: Etcd, Title: "--peer-auto-tls is not true", Eval: etcd(boolIs("peer-auto-tls", false, false))},
	{CIS: "2.7", Component: Etcd, Title: "etcd trusts a certificate authority of its own", Eval: etcd(etcdCA)},
}

// clusterCAs are where installers keep the Kubernetes cluster CA, which must not be the
// CA etcd trusts: every certificate it signs (each kubelet's, each user's) would be an
// etcd client.
var clusterCAs = []string{"/etc/kubernetes/pki/ca.crt", "/var/lib/rancher/rke2/server/tls/server-ca.crt",
	"/var/lib/rancher/k3s/server/tls/server-ca.crt"}

// etcdCA is 2.7: etcd has a --trusted-ca-file, and it is not the cluster CA. Whether
// that CA signs anything besides etcd's certificates is for a person to check.
func etcdCA(s *Set) Result {
	const flag = "trusted-ca-file"
	v, ok := s.Lookup(flag)
	if !ok || strings.TrimSpace(v.Value) == "" {
		return fail(flag, "--trusted-ca-file is not set, so etcd has no CA to verify its clients with; "+
			"create a CA for etcd alone and set --trusted-ca-file to it")
	}
	if slices.Contains(clusterCAs, path.Clean(strings.TrimSpace(v.Value))) {
		return fail(flag, "%s is the Kubernetes cluster CA, so every certificate it signs is also an etcd client; "+
			"create a CA for etcd alone", show(flag, v))
	}
	return manual(flag, "%s: check that this CA signs only etcd's own certificates and the API server's etcd client "+
		"certificate, not the cluster CA's", show(flag, v))
}

// terminatedPodGC is 1.3.1: the threshold is the site's to size, but 0 or less turns the
// collector off and the default (12500) suits only large clusters.
func terminatedPodGC(s *Set) Result {
	const flag = "terminated-pod-gc-threshold"
	v, ok := s.Lookup(flag)
	if !ok {
		return manual(flag, "--terminated-pod-gc-threshold is not set and defaults to 12500 terminated pods kept; "+
			"judge whether the cluster can hold that many, and set a threshold sized to it")
	}
	n, err := strconv.Atoi(strings.TrimSpace(v.Value))
	switch {
	case err != nil:
		return fail(flag, "%s is not an integer", show(flag, v))
	case n <= 0:
		return fail(flag, "%s turns off the garbage collection of terminated pods; set a positive threshold", show(flag, v))
	}
	return pass(flag, "%s", show(flag, v))
}

// etcd evaluates a check on etcd's effective settings: with --config-file, etcd ignores
// its other flags and its environment and reads the file, which must then be supplied.
func etcd(check func(*Set) Result) func(*Set) Result {
	return func(s *Set) Result {
		if !s.Has("config-file") {
			return check(s)
		}
		content, file, ok := s.File("config-file")
		if !ok {
			return manual("config-file", "etcd reads its settings from the --config-file file %s, which is not visible here", file)
		}
		cs, err := etcdConfigSet(s, file, content)
		if err != nil {
			return manual("config-file", "the etcd --config-file file %s does not parse: %v", file, err)
		}
		r := check(cs)
		r.Message = strings.ReplaceAll(r.Message, "--", file+": ")
		return r
	}
}

// rotateKubeletServerCertificate fails a --feature-gates that turns the gate off.
func rotateKubeletServerCertificate(s *Set) Result {
	const flag = "feature-gates"
	for _, g := range s.List(flag) {
		k, v, _ := strings.Cut(g, "=")
		if strings.TrimSpace(k) == "RotateKubeletServerCertificate" && strings.EqualFold(strings.TrimSpace(v), "false") {
			return fail(flag, "--feature-gates turns RotateKubeletServerCertificate off")
		}
	}
	return pass(flag, "RotateKubeletServerCertificate is not turned off")
}

// schedulerProfiling reads --profiling, which the scheduler ignores when it reads a
// --config file: then the file's enableProfiling decides (default true).
func schedulerProfiling(s *Set) Result {
	if !s.Has("config") {
		return boolIs("profiling", false, true)(s)
	}
	content, file, ok := s.File("config")
	if !ok {
		return manual("config", "the scheduler reads enableProfiling from the --config file %s, which is not visible here; "+
			"check that it is false", file)
	}
	var c schedulerConfig
	if err := yaml.Unmarshal(content, &c); err != nil {
		return manual("config", "the scheduler --config file %s does not parse: %v", file, err)
	}
	if c.EnableProfiling != nil && !*c.EnableProfiling {
		return pass("config", "the --config file %s sets enableProfiling: false", file)
	}
	return fail("config", "the --config file %s does not set enableProfiling: false (it defaults to true)", file)
}
