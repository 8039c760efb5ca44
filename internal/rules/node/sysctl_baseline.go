package node

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

// SysctlSetting is one kernel setting of the baseline KN-0035 checks: the values it
// accepts, the one to set, and why.
type SysctlSetting struct {
	Key string
	// Min and Max bound the accepted values, inclusive; Max is math.MaxInt for "Min or
	// more".
	Min, Max int
	// Set is the value the remediation writes.
	Set int
	// Reason says what the accepted values do, as a verb phrase ("hides kernel
	// addresses..."), for messages and docs.
	Reason string
}

// Want renders the accepted values: "1", "1 or more", "1 to 2".
func (s SysctlSetting) Want() string {
	switch {
	case s.Min == s.Max:
		return strconv.Itoa(s.Min)
	case s.Max == math.MaxInt:
		return fmt.Sprintf("%d or more", s.Min)
	default:
		return fmt.Sprintf("%d to %d", s.Min, s.Max)
	}
}

// Accepts tells whether a value, as /proc/sys or a sysctl.d file writes it, is in the
// baseline; ok is false when it is not an integer.
func (s SysctlSetting) Accepts(value string) (accepted, ok bool) {
	n, err := strconv.Atoi(strings.TrimSpace(value))
	if err != nil {
		return false, false
	}
	return n >= s.Min && n <= s.Max, true
}

const atLeast = math.MaxInt

// BaselineSysctls is the kernel baseline of KN-0035, in the order findings come. Every key
// is in node.DefaultSysctls, so Collect reads it. A key the running kernel does not have
// is Skipped: kernel.yama.ptrace_scope without Yama, the net.ipv6 keys with IPv6 off,
// net.bridge.bridge-nf-call-iptables without br_netfilter (a CNI plugin that uses no
// Linux bridge). Left out on purpose:
// net.ipv4.ip_forward and net.ipv4.conf.*.forwarding (a node routes its pods' traffic),
// net.ipv4.conf.all.rp_filter (several CNI plugins need it loose or off on their
// interfaces), net.ipv6.conf.*.accept_ra (IPv6 nodes may take their address from router
// advertisements), and the settings the kubelet itself wants (vm.overcommit_memory,
// kernel.panic...: KN-0029).
var BaselineSysctls = []SysctlSetting{
	{"kernel.kptr_restrict", 1, 2, 1, "hides kernel addresses (/proc/kallsyms, /proc/modules) from unprivileged processes, " +
		"which would otherwise use them to defeat address randomization in a kernel exploit"},
	{"kernel.dmesg_restrict", 1, 1, 1, "keeps the kernel log, which leaks addresses and hardware details, to processes " +
		"with CAP_SYSLOG"},
	{"kernel.unprivileged_bpf_disabled", 1, 2, 1, "stops unprivileged processes from loading eBPF programs, the way " +
		"in of many verifier bugs turned into root exploits"},
	{"kernel.randomize_va_space", 2, 2, 2, "randomizes the addresses of the stack, the heap, mappings and the vDSO of " +
		"every process"},
	{"kernel.yama.ptrace_scope", 1, 3, 1, "lets a process trace only its own descendants, so one compromised process " +
		"cannot read the memory of the user's other processes"},
	{"kernel.perf_event_paranoid", 2, atLeast, 2, "keeps unprivileged processes from profiling the kernel through " +
		"perf events, an interface with a record of exploitable bugs"},
	{"fs.protected_hardlinks", 1, 1, 1, "stops users from hard-linking files they do not own, the basis of many " +
		"race attacks on privileged programs"},
	{"fs.protected_symlinks", 1, 1, 1, "makes privileged programs refuse to follow other users' symbolic links in " +
		"world-writable sticky directories such as /tmp"},
	{"fs.suid_dumpable", 0, 0, 0, "keeps set-user-ID programs from writing core dumps, which may hold secrets read " +
		"with their privileges"},
	{"net.ipv4.conf.all.accept_redirects", 0, 0, 0, "ignores ICMP redirects, which let whoever can send packets to the " +
		"node change its routes"},
	{"net.ipv4.conf.default.accept_redirects", 0, 0, 0, "does the same for interfaces created later, pods' virtual " +
		"interfaces among them"},
	{"net.ipv4.conf.all.secure_redirects", 0, 0, 0, "ignores ICMP redirects even from the interface's gateways"},
	{"net.ipv4.conf.all.send_redirects", 0, 0, 0, "stops the node from sending ICMP redirects, which only routers " +
		"meant to steer their neighbours send"},
	{"net.ipv4.conf.default.send_redirects", 0, 0, 0, "does the same for interfaces created later"},
	{"net.ipv4.conf.all.accept_source_route", 0, 0, 0, "drops source-routed packets, whose senders choose the path " +
		"past filters"},
	{"net.ipv4.conf.default.accept_source_route", 0, 0, 0, "does the same for interfaces created later"},
	{"net.ipv4.icmp_echo_ignore_broadcasts", 1, 1, 1, "ignores pings to broadcast addresses, the amplifier of smurf " +
		"attacks"},
	{"net.ipv4.icmp_ignore_bogus_error_responses", 1, 1, 1, "ignores malformed ICMP error replies rather than filling " +
		"the log with them"},
	{"net.ipv4.tcp_syncookies", 1, 1, 1, "keeps the node accepting connections during a SYN flood"},
	{"net.ipv6.conf.all.accept_redirects", 0, 0, 0, "ignores ICMPv6 redirects"},
	{"net.ipv6.conf.all.accept_source_route", 0, 0, 0, "drops IPv6 source-routed packets"},
	{"net.bridge.bridge-nf-call-iptables", 1, 1, 1, "passes traffic between pods on one bridge through iptables, so that " +
		"Services and network policies written as iptables rules apply to it"},
}

// SysctlBaseline is KN-0035.
var SysctlBaseline = &Rule{
	Meta: rule.Meta{
		ID:        "KN-0035",
		Slug:      "sysctl-baseline",
		Title:     "Kernel settings must meet the node hardening baseline",
		Severity:  rule.Medium,
		Practices: []string{"A2"},
		Rationale: "The kernel's own defaults favour compatibility: kernel addresses and logs readable by every " +
			"process, eBPF open to unprivileged users, routes that an ICMP redirect can change. Containers share " +
			"the node's kernel, so these settings are part of every pod's attack surface. A setting counts only if " +
			"it survives a reboot, so the value persisted in sysctl.d matters as much as the running one.",
		Remediation: "Write the baseline to a file such as /etc/sysctl.d/90-kharden.conf (one \"key = value\" line each; " +
			"the docs list the table with its reasons), apply it with sysctl --system, and check that no file read " +
			"later (a higher name, or /etc/sysctl.conf) sets the key back.",
		References: []string{
			"https://docs.kernel.org/admin-guide/sysctl/kernel.html",
			"https://docs.kernel.org/admin-guide/sysctl/fs.html",
			"https://docs.kernel.org/networking/ip-sysctl.html",
			"https://man7.org/linux/man-pages/man5/sysctl.d.5.html",
		},
		Since:   "0.1.0",
		Default: true,
	},
	// One verdict per key of BaselineSysctls, judged on the running value (/proc/sys)
	// and on the setting sysctl.d applies at boot (the last one read wins):
	//   - running value outside the baseline: Fail;
	//   - running value in it, persisted value outside it: Fail (the next boot undoes it);
	//   - both in it: Pass; running value in it, nothing persisted: Pass, the message
	//     noting it (the kernel's default is good, or someone set it since boot);
	//   - a key this kernel does not have: Skipped; unreadable or not an integer: Error.
	// The finding points at the persisted line when there is one, else at
	// /proc/sys/<key>. Each sysctl.d file that could not be read is one Error more.
	Check: func(f *node.Facts) []Finding {
		var out []Finding
		for _, s := range BaselineSysctls {
			out = append(out, judgeSysctl(&f.OS, s))
		}
		for _, e := range f.OS.SysctlConfErrors {
			out = append(out, verdict(rule.Error, "", e.Path, 0, "cannot read %s: the values persisted for the next boot may "+
				"differ from those reported: %s", e.Path, errText(e.Err)))
		}
		return out
	},
}

func judgeSysctl(o *node.OSFacts, s SysctlSetting) Finding {
	proc := "/proc/sys/" + strings.ReplaceAll(s.Key, ".", "/")
	run, ok := o.Sysctl(s.Key)
	switch {
	case !ok:
		return verdict(rule.Error, "", proc, 0, "%s was not collected", s.Key)
	case run.Err != nil && errors.Is(run.Err, fs.ErrNotExist):
		return verdict(rule.Skipped, "", proc, 0, "this kernel has no %s", s.Key)
	case run.Err != nil:
		return verdict(rule.Error, "", proc, 0, "cannot read %s: %s", s.Key, errText(run.Err))
	}
	if run.Path != "" {
		proc = run.Path
	}
	good, valid := s.Accepts(run.Value)
	if !valid {
		return verdict(rule.Error, "", proc, 0, "%s is %q, not a number", s.Key, run.Value)
	}
	set, persisted := o.PersistedSysctl(s.Key)
	if !persisted {
		if good {
			return verdict(rule.Pass, "", proc, 0, "%s is %s (want %s), though no sysctl.d file sets it: it holds by the kernel's "+
				"default or a change since boot", s.Key, run.Value, s.Want())
		}
		return verdict(rule.Fail, "", proc, 0, "%s is %s; want %s, a value that %s; set %s = %d in /etc/sysctl.d",
			s.Key, run.Value, s.Want(), s.Reason, s.Key, s.Set)
	}
	setGood, _ := s.Accepts(set.Value)
	file, line := set.Pos.File, set.Pos.Line
	switch {
	case good && setGood:
		return verdict(rule.Pass, "", file, line, "%s is %s (want %s), set at boot by this line", s.Key, run.Value, s.Want())
	case good:
		return verdict(rule.Fail, "", file, line, "%s is %s now, but this line sets it to %s at the next boot; want %s, a value that %s",
			s.Key, run.Value, set.Value, s.Want(), s.Reason)
	case setGood:
		return verdict(rule.Fail, "", file, line, "%s is %s; want %s, a value that %s: this line sets %s, but the running kernel does not "+
			"have it (sysctl --system was not run, or something changed it since)", s.Key, run.Value, s.Want(), s.Reason, set.Value)
	default:
		return verdict(rule.Fail, "", file, line, "%s is %s, as this line sets it; want %s, a value that %s", s.Key, run.Value, s.Want(), s.Reason)
	}
}
