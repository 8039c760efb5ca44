package seccomp

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/seccomp"
)

// blocked are the syscalls Docker's default profile blocks (its documentation's list,
// dockerRef), with what each gives an attacker. clone is left out: Docker blocks only
// its namespace flags, which an argument condition expresses.
var blocked = map[string]string{
	"acct":              "switches process accounting on and off",
	"add_key":           "adds keys to the kernel keyring, which is not namespaced",
	"bpf":               "loads eBPF programs into the kernel",
	"clock_adjtime":     "changes the host's clock, which is not namespaced",
	"clock_settime":     "sets the host's clock, which is not namespaced",
	"create_module":     "loads kernel modules",
	"delete_module":     "unloads kernel modules",
	"finit_module":      "loads kernel modules",
	"get_kernel_syms":   "reads kernel symbols",
	"get_mempolicy":     "reads NUMA memory policy, a CAP_SYS_NICE matter",
	"init_module":       "loads kernel modules",
	"ioperm":            "gives access to I/O ports",
	"iopl":              "gives access to all I/O ports",
	"kcmp":              "inspects other processes' kernel resources",
	"kexec_file_load":   "loads a new kernel to boot",
	"kexec_load":        "loads a new kernel to boot",
	"keyctl":            "operates the kernel keyring, which is not namespaced",
	"lookup_dcookie":    "a tracing syscall that reads kernel paths",
	"mbind":             "changes NUMA memory policy, a CAP_SYS_NICE matter",
	"mount":             "mounts filesystems, the first step of many container escapes",
	"move_pages":        "moves other processes' memory between NUMA nodes",
	"name_to_handle_at": "makes file handles, the other half of open_by_handle_at",
	"nfsservctl":        "controls the kernel NFS server",
	"open_by_handle_at": "opens host files by handle, the syscall of a known container escape",
	"perf_event_open":   "traces and profiles the host, leaking kernel information",
	"personality":       "changes the execution domain, which can disable address-space randomisation",
	"pivot_root":        "changes the root filesystem",
	"process_vm_readv":  "reads other processes' memory",
	"process_vm_writev": "writes other processes' memory",
	"ptrace":            "traces other processes, and bypasses seccomp on kernels before 4.8",
	"query_module":      "reads kernel module information",
	"quotactl":          "manages disk quotas, which are not namespaced",
	"reboot":            "reboots the host",
	"request_key":       "reads the kernel keyring, which is not namespaced",
	"set_mempolicy":     "changes NUMA memory policy, a CAP_SYS_NICE matter",
	"setns":             "joins other namespaces",
	"settimeofday":      "sets the host's clock, which is not namespaced",
	"stime":             "sets the host's clock, which is not namespaced",
	"swapoff":           "turns swap off on the host",
	"swapon":            "turns swap on on the host",
	"sysfs":             "an obsolete syscall",
	"_sysctl":           "an obsolete syscall replaced by /proc/sys",
	"umount":            "unmounts filesystems",
	"umount2":           "unmounts filesystems",
	"unshare":           "creates namespaces, the first step of many container escapes",
	"uselib":            "an obsolete syscall with a history of vulnerabilities",
	"userfaultfd":       "handles page faults in user space, a tool of kernel exploits",
	"ustat":             "an obsolete syscall",
	"vm86":              "enters virtual 8086 mode, with a history of vulnerabilities",
	"vm86old":           "enters virtual 8086 mode, with a history of vulnerabilities",
}

// BlockedSyscalls is SP-0002.
var BlockedSyscalls = &Rule{
	Meta: rule.Meta{
		ID:        "SP-0002",
		Slug:      "seccomp-blocked-syscalls",
		Title:     "A seccomp profile must not allow the syscalls Docker's default profile blocks",
		Severity:  rule.High,
		Practices: []string{"C18", "D2"},
		Rationale: "Docker's default profile, which containerd's and CRI-O's RuntimeDefault follow, blocks about fifty " +
			"syscalls that ordinary programs do not need and that give an attacker the kernel's most dangerous parts: " +
			"namespaces (unshare, setns, mount), kernel modules and kexec, eBPF, the keyring, other processes' " +
			"memory, the host's clock. A Localhost profile that allows one of them is weaker than RuntimeDefault. " +
			"The rule flags an allow rule naming one of them without argument conditions (a rule with conditions, " +
			"like Docker's own for personality, allows only some calls), and a profile that allows by default " +
			"without denying them. A rule with Docker's includes or excludes counts: containerd and runc do not " +
			"read them, so they allow the syscall always.",
		Remediation: "Remove the syscall from the allow rule. If the program really needs it, record why (kharden " +
			"profile record shows which program made it), restrict it with argument conditions where the kernel " +
			"allows, and turn the rule off or lower it for that profile's repository in .kharden.yaml; with a default-allow profile, deny these syscalls " +
			"explicitly, or better, write an allow list (see seccomp-default-allow).",
		References: []string{
			dockerRef,
			"https://github.com/moby/profiles/blob/main/seccomp/default.json",
			"https://kubernetes.io/docs/tutorials/security/seccomp/",
		},
		Since:   "0.2.0",
		Default: true,
	},
	Check: func(p *seccomp.Profile) []rule.Finding {
		var out []rule.Finding
		denied := map[string]bool{}
		for i, s := range p.Syscalls {
			for j, n := range s.Names {
				why, bad := blocked[n]
				switch {
				case !bad:
				case denying(s.Action) && len(s.Args) == 0:
					denied[n] = true
				case allowing(s.Action) && len(s.Args) == 0:
					msg := fmt.Sprintf("%s allows %s, which Docker's default profile blocks: it %s", s.Action, n, why)
					if s.Conditional() {
						msg += " (Docker's includes and excludes restrict the rule under Docker and CRI-O only: containerd and runc ignore them)"
					}
					out = append(out, finding(fmt.Sprintf("syscalls[%d].names[%d]", i, j), "%s", msg))
				}
			}
		}
		if allowing(p.DefaultAction) {
			var open []string
			for n := range blocked {
				if !denied[n] {
					open = append(open, n)
				}
			}
			slices.Sort(open)
			if len(open) > 0 {
				out = append(out, finding("defaultAction", "defaultAction %s allows %d syscalls Docker's default profile blocks, which no rule denies: %s",
					p.DefaultAction, len(open), strings.Join(open, ", ")))
			}
		}
		return out
	},
}
