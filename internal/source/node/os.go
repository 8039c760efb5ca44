package node

import (
	"fmt"
	"strings"
)

// Pos is a line of a file on the host.
type Pos struct {
	File string
	Line int
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Setting is a key and value read from a line of a configuration file.
type Setting struct {
	Key, Value string
	Pos        Pos
}

// Text is a value read from a file on the host (trimmed of surrounding white space), or
// why it could not be read.
type Text struct {
	Path  string
	Value string
	Err   error
}

// FileError is a file that could not be read, and why.
type FileError struct {
	Path string
	Err  error
}

func (e FileError) Error() string { return e.Path + ": " + e.Err.Error() }

// Unwrap returns the reason, so that errors.Is(err, fs.ErrNotExist) works.
func (e FileError) Unwrap() error { return e.Err }

// OSFacts are the operating system's facts.
type OSFacts struct {
	// Kernel is the kernel release: /proc/sys/kernel/osrelease, else the third word of
	// /proc/version.
	Kernel Text
	// Release is /etc/os-release (else /usr/lib/os-release).
	Release OSRelease
	// Sysctls holds the running value of each key asked for (Options.Sysctls), read
	// from /proc/sys; a key the kernel does not have has an fs.ErrNotExist error.
	Sysctls map[string]Text
	// SysctlConf holds the persisted sysctl settings, in the order they are applied
	// (a later setting of a key wins): the *.conf files of /etc/sysctl.d, /run/sysctl.d,
	// /usr/local/lib/sysctl.d, /usr/lib/sysctl.d and /lib/sysctl.d, by file name (a name
	// in an earlier directory hides the same name in later ones), then /etc/sysctl.conf.
	// Keys are written with dots.
	SysctlConf []Setting
	// SysctlConfErrors are the sysctl files that exist but could not be read.
	SysctlConfErrors []FileError
	// Modprobe holds the blacklist and install directives of the *.conf files of
	// /etc/modprobe.d, /run/modprobe.d, /usr/local/lib/modprobe.d, /usr/lib/modprobe.d and
	// /lib/modprobe.d (a name in an earlier directory hides the same name in later ones),
	// in the order modprobe reads them.
	Modprobe []ModprobeRule
	// ModprobeErrors are the modprobe.d files that exist but could not be read.
	ModprobeErrors []FileError
	// Modules are the names of the loaded kernel modules (/proc/modules).
	Modules []string
	// ModulesErr says why /proc/modules could not be read.
	ModulesErr error
	// SSHD is the OpenSSH server's configuration.
	SSHD SSHDConfig
	// Sudoers is the sudo policy: /etc/sudoers and the files it includes.
	Sudoers []SudoersFile
	// PAM holds the files of /etc/pam.d.
	PAM []PAMFile
	// PAMErr says why /etc/pam.d could not be listed (fs.ErrNotExist when absent).
	PAMErr error
	// SELinux and AppArmor are the mandatory access control states.
	SELinux  SELinux
	AppArmor AppArmor
	// Packages are the installed packages of the dpkg and apk databases, by manager then
	// name. The rpm database (Berkeley DB or SQLite) is not read: PackagesErrors says so
	// when it is present.
	Packages []Package
	// PackagesErrors are the package databases that could not be read.
	PackagesErrors []FileError
}

// Sysctl returns the running value of a sysctl key, if it was read.
func (o *OSFacts) Sysctl(key string) (Text, bool) {
	t, ok := o.Sysctls[key]
	return t, ok
}

// PersistedSysctl returns the setting of key that wins among the persisted files.
func (o *OSFacts) PersistedSysctl(key string) (Setting, bool) {
	for i := len(o.SysctlConf) - 1; i >= 0; i-- {
		if o.SysctlConf[i].Key == key {
			return o.SysctlConf[i], true
		}
	}
	return Setting{}, false
}

// OSRelease is the operating system's identification.
type OSRelease struct {
	Path       string
	ID         string
	VersionID  string
	PrettyName string
	Err        error
}

// DefaultSysctls are the sysctl keys Collect reads when Options.Sysctls is nil: kernel
// hardening, the kubelet's --protect-kernel-defaults keys, and network settings.
var DefaultSysctls = []string{
	"kernel.randomize_va_space", "kernel.kptr_restrict", "kernel.dmesg_restrict",
	"kernel.yama.ptrace_scope", "kernel.unprivileged_bpf_disabled", "net.core.bpf_jit_harden",
	"kernel.kexec_load_disabled", "kernel.modules_disabled", "kernel.sysrq",
	"kernel.perf_event_paranoid", "kernel.unprivileged_userns_clone", "user.max_user_namespaces",
	"fs.protected_hardlinks", "fs.protected_symlinks", "fs.protected_fifos", "fs.protected_regular",
	"fs.suid_dumpable",
	"vm.overcommit_memory", "vm.panic_on_oom", "kernel.panic", "kernel.panic_on_oops",
	"kernel.keys.root_maxkeys", "kernel.keys.root_maxbytes",
	"net.ipv4.ip_forward", "net.ipv4.conf.all.accept_redirects", "net.ipv4.conf.default.accept_redirects",
	"net.ipv4.conf.all.secure_redirects", "net.ipv4.conf.all.send_redirects",
	"net.ipv4.conf.default.send_redirects", "net.ipv4.conf.all.accept_source_route",
	"net.ipv4.conf.default.accept_source_route", "net.ipv4.conf.all.rp_filter",
	"net.ipv4.conf.all.log_martians", "net.ipv4.icmp_echo_ignore_broadcasts",
	"net.ipv4.icmp_ignore_bogus_error_responses", "net.ipv4.tcp_syncookies",
	"net.ipv6.conf.all.accept_ra", "net.ipv6.conf.default.accept_ra",
	"net.ipv6.conf.all.accept_redirects", "net.ipv6.conf.all.accept_source_route",
	"net.bridge.bridge-nf-call-iptables",
}

// ModprobeRule is a blacklist or install directive of modprobe.d.
type ModprobeRule struct {
	// Kind is "blacklist" or "install".
	Kind string
	// Module is the module's name as written.
	Module string
	// Command is an install directive's command line.
	Command string
	Pos     Pos
}

// Disables tells whether an install directive makes loading the module do nothing or
// fail: its command is /bin/false, /bin/true, /usr/bin/false or /usr/bin/true (with
// or without arguments).
func (r ModprobeRule) Disables() bool {
	if r.Kind != "install" {
		return false
	}
	cmd, _, _ := strings.Cut(strings.TrimSpace(r.Command), " ")
	switch cmd {
	case "/bin/false", "/bin/true", "/usr/bin/false", "/usr/bin/true", "false", "true":
		return true
	}
	return false
}

// ModuleName normalizes a module name as modprobe does: "-" and "_" are the same.
func ModuleName(name string) string { return strings.ReplaceAll(name, "-", "_") }

// ModprobeFor returns the directives that name module (after ModuleName).
func (o *OSFacts) ModprobeFor(module string) []ModprobeRule {
	var out []ModprobeRule
	for _, r := range o.Modprobe {
		if ModuleName(r.Module) == ModuleName(module) {
			out = append(out, r)
		}
	}
	return out
}

// ModuleLoaded tells whether module is in /proc/modules.
func (o *OSFacts) ModuleLoaded(module string) bool {
	for _, m := range o.Modules {
		if ModuleName(m) == ModuleName(module) {
			return true
		}
	}
	return false
}

// SSHDConfig is /etc/ssh/sshd_config with the files it includes.
type SSHDConfig struct {
	// Path is /etc/ssh/sshd_config; Err says why it could not be read.
	Path string
	Err  error
	// Settings are the global settings, every occurrence in the order sshd reads them,
	// keys in lower case. sshd uses the first occurrence of a key: see Get.
	Settings []Setting
	// Match holds the Match blocks, not applied to the global settings.
	Match []SSHDMatch
	// Errors are included files that could not be read.
	Errors []FileError
}

// SSHDMatch is a Match block of sshd_config.
type SSHDMatch struct {
	// Criteria is the rest of the Match line ("User alice").
	Criteria string
	Pos      Pos
	Settings []Setting
}

// Get returns the global setting of key (any case) that sshd uses: its first occurrence.
func (c *SSHDConfig) Get(key string) (Setting, bool) {
	key = strings.ToLower(key)
	for _, s := range c.Settings {
		if s.Key == key {
			return s, true
		}
	}
	return Setting{}, false
}

// SudoersFile is one file of the sudo policy.
type SudoersFile struct {
	Path string
	// File is the file's owner and mode, when Err is nil.
	File File
	// Err says why the file could not be read.
	Err error
	// Lines are the file's logical lines (continuations joined), comments dropped.
	Lines []SudoersLine
}

// The kinds of sudoers lines.
const (
	SudoDefaults   = "defaults"
	SudoAlias      = "alias"
	SudoInclude    = "include"
	SudoIncludeDir = "includedir"
	SudoRule       = "rule"
)

// SudoersLine is one logical line of a sudoers file.
type SudoersLine struct {
	// Kind is one of SudoDefaults, SudoAlias, SudoInclude, SudoIncludeDir, SudoRule.
	Kind string
	// Text is the line as written (continuations joined with a space).
	Text string
	// Who is a rule's user list ("%sudo", "alice"); for an include, the path named.
	Who string
	// NoPasswd is set for a rule with a NOPASSWD tag.
	NoPasswd bool
	// AllCommands is set for a rule that allows the command ALL.
	AllCommands bool
	Pos         Pos
}

// PAMFile is one file of /etc/pam.d.
type PAMFile struct {
	Path  string
	Err   error
	Lines []PAMLine
}

// PAMLine is one rule of a PAM file: "type control module args", or an @include.
type PAMLine struct {
	// Type is auth, account, password or session (a leading "-" is kept), or "@include".
	Type    string
	Control string
	// Module is the module path or name; for @include, the included file.
	Module string
	Args   []string
	Pos    Pos
}

// SELinux is SELinux's state.
type SELinux struct {
	// Enforce is /sys/fs/selinux/enforce: "1" enforcing, "0" permissive; an
	// fs.ErrNotExist error when SELinux is disabled or absent.
	Enforce Text
	// Mode is the SELINUX= setting of /etc/selinux/config, with ConfigErr when that file
	// could not be read.
	Mode      Setting
	Type      Setting
	ConfigErr error
}

// AppArmor is AppArmor's state.
type AppArmor struct {
	// Enabled is /sys/module/apparmor/parameters/enabled ("Y" or "N").
	Enabled Text
	// Profiles counts the loaded profiles by mode ("enforce", "complain", ...), from
	// /sys/kernel/security/apparmor/profiles; ProfilesErr says why it could not be read.
	Profiles    map[string]int
	ProfilesErr error
}

// Package is an installed package.
type Package struct {
	// Manager is "dpkg" or "apk".
	Manager string
	Name    string
	Version string
	Pos     Pos
}
