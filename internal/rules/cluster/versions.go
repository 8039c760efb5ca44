package cluster

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/kharden/kharden/internal/source/cluster"
)

// The release tables the version rules (KC-0014 to KC-0018) judge against. They are data
// to refresh with every Kubernetes minor release and patch train, and every kernel.org
// longterm change: https://kubernetes.io/releases/ and
// https://www.kernel.org/category/releases.html. The rules compare against TableDate,
// never the clock, so their verdicts do not change while the binary stays the same; a
// version newer than the tables know is not reported.

// TableDate is the day the tables below were last brought up to date.
const TableDate = "2026-11-24"

// KubernetesRelease is one minor release line of Kubernetes (1.Minor).
type KubernetesRelease struct {
	Minor int
	// Released and EndOfLife are dates (YYYY-MM-DD): the .0 release and the end of
	// patch support.
	Released, EndOfLife string
	// LatestPatch is the newest patch known at TableDate (1.Minor.LatestPatch). Where
	// unsure, the table errs low: a cluster ahead of it is never reported.
	LatestPatch int
}

// Supported tells whether the line still gets patches at TableDate.
func (r KubernetesRelease) Supported() bool { return r.EndOfLife > TableDate }

// KubernetesReleases lists recent minor lines, newest first. At TableDate 1.35, 1.36 and
// 1.37 are supported; 1.34 reached its end of life on 2026-10-27.
var KubernetesReleases = []KubernetesRelease{
	{Minor: 37, Released: "2026-08-26", EndOfLife: "2027-10-28", LatestPatch: 2},
	{Minor: 36, Released: "2026-04-22", EndOfLife: "2027-06-28", LatestPatch: 5},
	{Minor: 35, Released: "2025-12-17", EndOfLife: "2027-02-28", LatestPatch: 9},
	// Lines past their end of life: their patches no longer matter.
	{Minor: 34, Released: "2025-08-27", EndOfLife: "2026-10-27"},
	{Minor: 33, Released: "2025-04-23", EndOfLife: "2026-06-28"},
	{Minor: 32, Released: "2024-12-11", EndOfLife: "2026-02-28"},
}

// kubeletSkew is how many minors a kubelet may be older than its API server (never
// newer), since Kubernetes 1.28.
const kubeletSkew = 3

// KernelLine is a kernel.org longterm line (Major.Minor) and the month its maintenance
// ends (YYYY-MM).
type KernelLine struct {
	Major, Minor int
	EndOfLife    string
}

// KernelLongterm lists the longterm lines kernel.org maintains or recently stopped
// maintaining, newest first. A line whose EndOfLife month is before TableDate's is no
// longer maintained.
var KernelLongterm = []KernelLine{
	{6, 18, "2027-12"},
	{6, 12, "2026-12"},
	{6, 6, "2026-12"},
	{6, 1, "2027-12"},
	{5, 15, "2026-12"},
	{5, 10, "2026-12"},
	{5, 4, "2025-12"},
	{4, 19, "2024-12"},
}

// vendorKernelFloor is the oldest kernel line a distribution still maintains under its
// standard support at TableDate: 4.18, the kernel of RHEL 8 (maintained until 2029).
// Older distribution kernels (3.10 of RHEL/CentOS 7, 4.4 and 4.15 of Ubuntu 16.04 and
// 18.04) are patched only under paid extended support, if at all.
var vendorKernelFloor = [2]int{4, 18}

// Maintained tells whether the line is maintained at TableDate.
func (l KernelLine) Maintained() bool { return l.EndOfLife >= TableDate[:7] }

func (l KernelLine) String() string { return fmt.Sprintf("%d.%d", l.Major, l.Minor) }

// release returns the table's entry of a minor line.
func release(minor int) (KubernetesRelease, bool) {
	for _, r := range KubernetesReleases {
		if r.Minor == minor {
			return r, true
		}
	}
	return KubernetesRelease{}, false
}

// supportedMinors renders the supported lines: "1.35, 1.36, 1.37".
func supportedMinors() string {
	var out []string
	for i := len(KubernetesReleases) - 1; i >= 0; i-- {
		if r := KubernetesReleases[i]; r.Supported() {
			out = append(out, fmt.Sprintf("1.%d", r.Minor))
		}
	}
	return strings.Join(out, ", ")
}

// newestMinor is the newest line the table knows.
func newestMinor() int { return KubernetesReleases[0].Minor }

var semver = regexp.MustCompile(`^v?(\d+)\.(\d+)(?:\.(\d+))?`)

// kubeVersion is a parsed Kubernetes version: v1.35.2, v1.30.4-eks-a737599,
// v1.31.1+k3s1 (the distribution suffix is kept for messages).
type kubeVersion struct {
	Major, Minor, Patch int
	HasPatch            bool
	Text                string
}

func parseKubeVersion(s string) (kubeVersion, bool) {
	m := semver.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return kubeVersion{}, false
	}
	v := kubeVersion{Text: strings.TrimSpace(s)}
	v.Major, _ = strconv.Atoi(m[1])
	v.Minor, _ = strconv.Atoi(m[2])
	if m[3] != "" {
		v.Patch, _ = strconv.Atoi(m[3])
		v.HasPatch = true
	}
	return v, v.Major == 1
}

// serverVersion parses the API server's version: its gitVersion, else major and minor
// ("1", "35+").
func serverVersion(s *cluster.Snapshot) (kubeVersion, bool) {
	if s.Server == nil {
		return kubeVersion{}, false
	}
	if v, ok := parseKubeVersion(s.Server.GitVersion); ok {
		return v, true
	}
	major, err1 := strconv.Atoi(strings.TrimSuffix(s.Server.Major, "+"))
	minor, err2 := strconv.Atoi(strings.TrimSuffix(s.Server.Minor, "+"))
	if err1 != nil || err2 != nil || major != 1 {
		return kubeVersion{}, false
	}
	return kubeVersion{Major: 1, Minor: minor, Text: fmt.Sprintf("v%s.%s", s.Server.Major, s.Server.Minor)}, true
}

// serverMinor returns the API server's minor version.
func serverMinor(s *cluster.Snapshot) (int, bool) {
	v, ok := serverVersion(s)
	return v.Minor, ok
}

// unsupportedText explains why a minor line is not supported, or returns "" when it is
// (or is newer than the table).
func unsupportedText(minor int) string {
	if minor > newestMinor() {
		return ""
	}
	if r, ok := release(minor); ok {
		if r.Supported() {
			return ""
		}
		return fmt.Sprintf("1.%d reached its end of life on %s", minor, r.EndOfLife)
	}
	return fmt.Sprintf("1.%d reached its end of life long ago", minor)
}

var (
	kernelVersion = regexp.MustCompile(`^(\d+)\.(\d+)`)
	// vendorKernel matches the release strings of distribution kernels, which their
	// vendors maintain on a frozen line with backported fixes: RHEL and its rebuilds
	// (.el8, .el9...), Amazon Linux (.amzn2, .amzn2023), Azure Linux (.cm2, .azl3),
	// Ubuntu (5.15.0-1051-aws, 6.8.0-45-generic), SUSE (-default) and Debian (-amd64,
	// -cloud-arm64).
	vendorKernel = regexp.MustCompile(`\.el\d|\.amzn\d|\.cm\d|\.azl\d|^\d+\.\d+\.0-\d+-[a-z]|-default$|-(cloud-)?(amd64|arm64)$`)
	// vendorOS matches the OS images of the same distributions, for kernels built
	// without the usual suffix.
	vendorOS = regexp.MustCompile(`(?i)red hat|centos|rocky|almalinux|oracle linux|ubuntu|suse|debian|amazon linux|azure linux|mariner`)
)

// KernelVerdict judges a node's kernel from its release (uname -r) and the name of its
// operating system (the node's status.nodeInfo.osImage, or os-release's PRETTY_NAME);
// it returns "" when the kernel is fine or cannot be judged (not Linux, not parsable,
// newer than the tables). The node audit (KN rules) uses it too.
func KernelVerdict(release, osImage string) string {
	m := kernelVersion.FindStringSubmatch(release)
	if m == nil {
		return ""
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	older := func(a, b [2]int) bool { return a[0] < b[0] || a[0] == b[0] && a[1] < b[1] }
	v := [2]int{major, minor}
	if vendorKernel.MatchString(release) || vendorOS.MatchString(osImage) {
		if older(v, vendorKernelFloor) {
			return fmt.Sprintf("is older than %d.%d, the oldest distribution kernel line still under standard support",
				vendorKernelFloor[0], vendorKernelFloor[1])
		}
		return ""
	}
	var maintained []string
	for _, l := range KernelLongterm {
		if l.Maintained() {
			maintained = append(maintained, l.String())
		}
	}
	newest := KernelLongterm[0]
	if !older([2]int{newest.Major, newest.Minor}, v) {
		for _, l := range KernelLongterm {
			if l.Major == major && l.Minor == minor {
				if l.Maintained() {
					return ""
				}
				return fmt.Sprintf("is on the %s longterm line, which kernel.org stopped maintaining in %s (maintained longterm lines: %s)",
					l, l.EndOfLife, strings.Join(maintained, ", "))
			}
		}
		return fmt.Sprintf("is on the %d.%d line, which kernel.org no longer maintains (maintained longterm lines: %s)",
			major, minor, strings.Join(maintained, ", "))
	}
	return ""
}
