package audit_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/audit"
	"github.com/kharden/kharden/internal/benchmark"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
	kcluster "github.com/kharden/kharden/internal/testkit/cluster"
)

// The node audit of real processes: the test cluster's kube-apiserver and etcd, running
// on this machine, are read through /proc like any node's, with their flags and the
// files those name; a second API server started with weak flags fails where it should.

// auditProcesses audits this machine's processes with the given PIDs, at cis-1.12.
func auditProcesses(t *testing.T, pids ...int) map[string][]rule.Result {
	t.Helper()
	a, err := audit.NewNode(audit.NodeOptions{Benchmark: "cis-1.12", PIDs: pids})
	if err != nil {
		t.Fatal(err)
	}
	h, err := node.Open("/")
	if err != nil {
		t.Fatal(err)
	}
	facts := node.Collect(h)
	if facts.ProcessesErr != nil {
		t.Fatalf("processes: %v", facts.ProcessesErr)
	}
	results := a.Evaluate(facts)
	var b bytes.Buffer
	if _, err := audit.WriteBenchmark(&b, a.Benchmark(), "real processes", results); err != nil {
		t.Fatal(err)
	}
	t.Logf("benchmark report:\n%s", b.String())
	return audit.ByControl(results)
}

// want checks the verdict on CIS items, and that it rests on the given process.
func want(t *testing.T, by map[string][]rule.Result, status rule.Status, pid int, items ...string) {
	t.Helper()
	for _, id := range items {
		rs := by[id]
		if got := audit.ControlStatus(rs); got != status {
			t.Errorf("CIS %s: %s, want %s: %v", id, got, status, messages(rs))
			continue
		}
		proc := "/proc/" + strconv.Itoa(pid) + "/"
		found := false
		for _, r := range rs {
			if r.Status == status && (strings.HasPrefix(r.Location.File, proc) || strings.Contains(r.Message, "process "+strconv.Itoa(pid))) {
				found = true
			}
		}
		if !found {
			t.Errorf("CIS %s: no %s verdict on process %d: %v", id, status, pid, messages(rs))
		}
	}
}

func messages(rs []rule.Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, string(r.Status)+" "+r.Location.String()+" "+r.Message)
	}
	return out
}

func TestNodeAuditRealProcesses(t *testing.T) {
	c := kcluster.Shared(t)
	by := auditProcesses(t, c.APIServer.PID, c.Etcd.PID)
	// The harness's hardening: anonymous auth off, Node and RBAC, admission, profiling off,
	// audit log and policy, service accounts, TLS to clients, kubelets and etcd, Secrets
	// encrypted with secretbox; etcd with TLS and client certificates on both ports.
	want(t, by, rule.Pass, c.APIServer.PID, "1.2.1", "1.2.2", "1.2.4", "1.2.5", "1.2.6", "1.2.7", "1.2.8",
		"1.2.10", "1.2.12", "1.2.13", "1.2.14", "1.2.15", "1.2.16", "1.2.17", "1.2.18", "1.2.19",
		"1.2.21", "1.2.22", "1.2.23", "1.2.24", "1.2.25", "1.2.26", "1.2.27", "1.2.28", "3.2.1")
	want(t, by, rule.Pass, c.Etcd.PID, "2.1", "2.2", "2.3", "2.4", "2.5", "2.6")
	// Components the harness does not run are skipped, never failed.
	for _, id := range []string{"1.3.2", "1.4.1", "4.2.1"} {
		if got := audit.ControlStatus(by[id]); got != rule.Skipped {
			t.Errorf("CIS %s: %s, want skipped: %v", id, got, messages(by[id]))
		}
	}

	// A second API server, weakened: the same checks fail, pointing at its process.
	weak := kcluster.Start(t, kcluster.Options{APIServerFlags: map[string]string{
		"anonymous-auth":                "true",
		"authorization-mode":            "AlwaysAllow",
		"profiling":                     "true",
		"enable-admission-plugins":      "AlwaysAdmit",
		"encryption-provider-config":    "",
		"audit-log-path":                "",
		"audit-policy-file":             "",
		"audit-log-maxage":              "",
		"audit-log-maxbackup":           "",
		"audit-log-maxsize":             "",
		"service-account-lookup":        "false",
		"kubelet-certificate-authority": "",
	}})
	by = auditProcesses(t, weak.APIServer.PID)
	want(t, by, rule.Fail, weak.APIServer.PID, "1.2.1", "1.2.5", "1.2.6", "1.2.7", "1.2.8", "1.2.10", "1.2.14",
		"1.2.15", "1.2.16", "1.2.17", "1.2.18", "1.2.19", "1.2.21", "1.2.27", "3.2.1")
	want(t, by, rule.Pass, weak.APIServer.PID, "1.2.2", "1.2.4", "1.2.23", "1.2.24")
	// Every automated item of the API server's group has a verdict on the process.
	for _, it := range benchmark.CIS112().Items {
		if it.Group == "1.2" && it.Automated() && len(by[it.ID]) == 0 {
			t.Errorf("CIS %s: no verdict", it.ID)
		}
	}
}
