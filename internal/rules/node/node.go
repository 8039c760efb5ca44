// Package node holds the rules of kharden audit node (the KN rules): pure checks over
// the facts package source/node collects once from a node — its Kubernetes components'
// flags and configuration files, the owner and mode of the files the CIS Kubernetes
// Benchmark names, and the operating system's hardening.
//
// A check returns findings of every status, passes included: a node audit is read item
// by item against the benchmark, so each CIS item a rule covers gets a verdict of its
// own (Finding.Control), with the evidence in the message. A fact that could not be read
// gives Error, a component or file that is not on the node gives Skipped: neither is
// ever a Fail.
//
// The control-plane rules of package rules/cluster (KC-0019 to KC-0035) run here too,
// over the processes, static pod manifests and unit files of the node instead of the
// static pods the API shows (FromCluster): one rule, one verdict, for both audits.
package node

import (
	"fmt"
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

// Rule is a check over one node's facts.
type Rule struct {
	rule.Meta
	// Flags are the CIS items whose flag checks (package flags) the rule runs over the
	// node's components; Check is set from them by All and FromCluster.
	Flags []string
	Check func(*node.Facts) []Finding
}

// Finding is one verdict of a node rule.
type Finding struct {
	// Status is Pass, Fail, Error, Manual or Skipped; empty means Fail.
	Status rule.Status
	// Control is the CIS item the verdict is about; empty for rules outside the benchmark.
	Control string
	// File and Line locate the evidence on the node: the file and line of the offending
	// setting, the file whose mode is wrong, /proc/<pid>/cmdline for a process's flags.
	// Empty File means the node as a whole.
	File    string
	Line    int
	Message string
}

func (f Finding) String() string {
	loc := f.File
	if f.Line > 0 {
		loc = fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	return fmt.Sprintf("%s %s %s: %s", f.Status, f.Control, loc, f.Message)
}

func verdict(status rule.Status, control, file string, line int, format string, a ...any) Finding {
	return Finding{Status: status, Control: control, File: file, Line: line, Message: fmt.Sprintf(format, a...)}
}

// errText is an error's text for a message, on one line.
func errText(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }
