package node

import (
	"regexp"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/rules/cluster"
	"github.com/kharden/kharden/internal/source/node"
)

// KernelVersion is KN-0037.
var KernelVersion = &Rule{
	Meta: rule.Meta{
		ID:        "KN-0037",
		Slug:      "kernel-version",
		Title:     "The node must run a maintained Linux kernel line",
		Severity:  rule.High,
		Practices: []string{"A4"},
		Rationale: "Every container on the node shares its kernel, so a kernel vulnerability is a way out of every " +
			"container at once. A kernel line that neither kernel.org nor a distribution maintains any more keeps " +
			"its vulnerabilities for good.",
		Remediation: "Move the node to a maintained kernel: a supported release of its distribution with updates " +
			"applied, or a kernel.org longterm line still maintained; keep it patched, and reboot into new kernels " +
			"(or roll out new node images) rather than only installing them.",
		References: []string{
			"https://www.kernel.org/category/releases.html",
			"https://kubernetes.io/docs/reference/node/kernel-version-requirements/",
		},
		Since:   "0.1.0",
		Default: true,
	},
	// The running kernel's release (/proc/sys/kernel/osrelease) and os-release's
	// PRETTY_NAME are judged as KC-0018 judges a node's status: with the tables of
	// rules/cluster (cluster.KernelVerdict). A distribution kernel passes unless its line
	// is older than the oldest still under a vendor's standard support; another kernel
	// must be on a maintained kernel.org longterm line or newer than the newest one.
	// An unreadable or unparsable release is an Error.
	Check: func(f *node.Facts) []Finding {
		k := f.OS.Kernel
		file := k.Path
		if file == "" {
			file = "/proc/sys/kernel/osrelease"
		}
		if k.Err != nil {
			return []Finding{verdict(rule.Error, "", file, 0, "cannot read the kernel's release: %s", errText(k.Err))}
		}
		if !kernelRelease.MatchString(k.Value) {
			return []Finding{verdict(rule.Error, "", file, 0, "kernel release %q is not a version", k.Value)}
		}
		osName := f.OS.Release.PrettyName
		about := ""
		if osName != "" {
			about = " (" + osName + ")"
		}
		if why := cluster.KernelVerdict(k.Value, osName); why != "" {
			return []Finding{verdict(rule.Fail, "", file, 0, "kernel %s%s %s", k.Value, about, why)}
		}
		return []Finding{verdict(rule.Pass, "", file, 0, "kernel %s%s is on a maintained line (tables of %s)", k.Value, about, cluster.TableDate)}
	},
}

var kernelRelease = regexp.MustCompile(`^\d+\.\d+`)
