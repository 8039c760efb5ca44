package node

import (
	"errors"
	"path"
	"slices"
	"strings"
)

// The configuration directories of sysctl.d(5) and modprobe.d(5), highest priority
// first.
var (
	sysctlDirs   = []string{"/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d"}
	modprobeDirs = []string{"/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d", "/lib/modprobe.d"}
)

// confFiles returns the files matching pattern in dirs in the order they are applied:
// sorted by file name, a name in an earlier directory hiding the same name in later
// ones. Directories that exist but cannot be listed are returned as errors.
func (c *collector) confFiles(dirs []string, pattern string) ([]string, []FileError) {
	var out []string
	var errs []FileError
	seen := map[string]bool{}
	for _, d := range dirs {
		files, err := c.h.Glob(path.Join(d, pattern))
		if err != nil {
			errs = append(errs, fileError(d, err))
		}
		for _, f := range files {
			if b := path.Base(f); !seen[b] {
				seen[b] = true
				out = append(out, f)
			}
		}
	}
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(path.Base(a), path.Base(b)) })
	return out, errs
}

// fileError returns err as a FileError, naming p when it does not name a path itself.
func fileError(p string, err error) FileError {
	var fe FileError
	if errors.As(err, &fe) {
		return fe
	}
	return FileError{Path: p, Err: err}
}

// text reads a one-value file such as /proc/sys/kernel/osrelease.
func (c *collector) text(p string) Text {
	b, err := c.h.ReadFile(p)
	return Text{Path: p, Value: strings.TrimSpace(string(b)), Err: err}
}

// logicalLines calls fn for each line of b, trimmed, with the lines ending in a
// backslash joined to the next by sep, and the number of the first.
func logicalLines(b []byte, sep string, fn func(line string, n int)) {
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		start := i + 1
		line := strings.TrimSpace(lines[i])
		for strings.HasSuffix(line, "\\") && i+1 < len(lines) {
			i++
			line = strings.TrimSpace(strings.TrimSuffix(line, "\\")) + sep + strings.TrimSpace(lines[i])
		}
		fn(line, start)
	}
}

func (c *collector) collectOS() {
	o := &c.f.OS
	o.Kernel = c.text("/proc/sys/kernel/osrelease")
	if o.Kernel.Err != nil {
		if v := c.text("/proc/version"); v.Err == nil {
			if fs := strings.Fields(v.Value); len(fs) >= 3 {
				o.Kernel = Text{Path: v.Path, Value: fs[2]}
			}
		}
	}
	c.osRelease()
	keys := c.o.Sysctls
	if keys == nil {
		keys = DefaultSysctls
	}
	o.Sysctls = map[string]Text{}
	for _, k := range keys {
		o.Sysctls[k] = c.text("/proc/sys/" + swapDots(k))
	}
	c.sysctlConf()
	c.modprobe()
	c.modules()
	c.sshd()
	c.sudoers()
	c.pam()
	c.mac()
	c.packages()
}

func (c *collector) osRelease() {
	r := &c.f.OS.Release
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		b, err := c.h.ReadFile(p)
		if err != nil {
			if r.Err == nil {
				r.Path, r.Err = p, err
			}
			continue
		}
		vars := parseEnvFile(p, b)
		*r = OSRelease{Path: p, ID: vars["ID"].value, VersionID: vars["VERSION_ID"].value, PrettyName: vars["PRETTY_NAME"].value}
		return
	}
}

// sysctlConf reads the persisted sysctl settings.
func (c *collector) sysctlConf() {
	o := &c.f.OS
	files, errs := c.confFiles(sysctlDirs, "*.conf")
	o.SysctlConfErrors = errs
	files = append(files, "/etc/sysctl.conf")
	seen := map[string]bool{} // by resolved path: /etc/sysctl.d/99-sysctl.conf is often a link to /etc/sysctl.conf
	for _, f := range files {
		if rel, err := c.h.resolve(f); err == nil {
			if seen[rel] {
				continue
			}
			seen[rel] = true
		}
		b, err := c.h.ReadFile(f)
		if err != nil {
			if exists(err) {
				o.SysctlConfErrors = append(o.SysctlConfErrors, fileError(f, err))
			}
			continue
		}
		logicalLines(b, " ", func(line string, n int) {
			if line == "" || line[0] == '#' || line[0] == ';' {
				return
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				return
			}
			k = sysctlKey(strings.TrimPrefix(strings.TrimSpace(k), "-"))
			o.SysctlConf = append(o.SysctlConf, Setting{Key: k, Value: strings.TrimSpace(v), Pos: Pos{f, n}})
		})
	}
}

// sysctlKey writes a key with dots: sysctl.d accepts "/" as the separator when it comes
// first, and then a "." is part of a name.
func sysctlKey(k string) string {
	slash, dot := strings.IndexByte(k, '/'), strings.IndexByte(k, '.')
	if slash < 0 || dot >= 0 && dot < slash {
		return k
	}
	return swapDots(k)
}

// swapDots exchanges "." and "/": a dotted sysctl key and its path under /proc/sys
// ("net.ipv4.conf.eth0/100.rp_filter", "net/ipv4/conf/eth0.100/rp_filter").
func swapDots(k string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '/':
			return '.'
		case '.':
			return '/'
		}
		return r
	}, k)
}

// modprobe reads the blacklist and install directives of modprobe.d.
func (c *collector) modprobe() {
	o := &c.f.OS
	files, errs := c.confFiles(modprobeDirs, "*.conf")
	o.ModprobeErrors = errs
	for _, f := range files {
		b, err := c.h.ReadFile(f)
		if err != nil {
			o.ModprobeErrors = append(o.ModprobeErrors, fileError(f, err))
			continue
		}
		logicalLines(b, " ", func(line string, n int) {
			fields := strings.Fields(line)
			if len(fields) < 2 || strings.HasPrefix(fields[0], "#") {
				return
			}
			switch fields[0] {
			case "blacklist":
				o.Modprobe = append(o.Modprobe, ModprobeRule{Kind: "blacklist", Module: fields[1], Pos: Pos{f, n}})
			case "install":
				cmd := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line[len("install"):]), fields[1]))
				o.Modprobe = append(o.Modprobe, ModprobeRule{Kind: "install", Module: fields[1], Command: cmd, Pos: Pos{f, n}})
			}
		})
	}
}

// modules reads the loaded kernel modules.
func (c *collector) modules() {
	o := &c.f.OS
	b, err := c.h.ReadFile("/proc/modules")
	if err != nil {
		o.ModulesErr = err
		return
	}
	o.Modules = []string{}
	for line := range strings.Lines(string(b)) {
		if fs := strings.Fields(line); len(fs) > 0 {
			o.Modules = append(o.Modules, fs[0])
		}
	}
}

// mac reads the SELinux and AppArmor states.
func (c *collector) mac() {
	o := &c.f.OS
	o.SELinux.Enforce = c.text("/sys/fs/selinux/enforce")
	const selinuxConfig = "/etc/selinux/config"
	if b, err := c.h.ReadFile(selinuxConfig); err != nil {
		o.SELinux.ConfigErr = err
	} else {
		vars := parseEnvFile(selinuxConfig, b)
		for key, s := range map[string]*Setting{"SELINUX": &o.SELinux.Mode, "SELINUXTYPE": &o.SELinux.Type} {
			if v, ok := vars[key]; ok {
				*s = Setting{Key: key, Value: v.value, Pos: v.pos}
			}
		}
	}
	o.AppArmor.Enabled = c.text("/sys/module/apparmor/parameters/enabled")
	b, err := c.h.ReadFile("/sys/kernel/security/apparmor/profiles")
	if err != nil {
		o.AppArmor.ProfilesErr = err
		return
	}
	o.AppArmor.Profiles = map[string]int{}
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if i := strings.LastIndex(line, " ("); i >= 0 && strings.HasSuffix(line, ")") {
			o.AppArmor.Profiles[line[i+2:len(line)-1]]++
		}
	}
}

// maxPackageDB is the most read of a package database, which is larger than the files
// MaxFileSize is meant for.
const maxPackageDB = 64 << 20

// The package databases.
const (
	dpkgStatus   = "/var/lib/dpkg/status"
	apkInstalled = "/lib/apk/db/installed"
)

// packages reads the dpkg and apk databases. The rpm database (Berkeley DB or SQLite)
// would need a database reader this module does not have: its presence is reported as
// not read.
func (c *collector) packages() {
	o := &c.f.OS
	read := func(p string) []byte {
		b, err := c.h.readFile(p, maxPackageDB)
		if err != nil && exists(err) {
			o.PackagesErrors = append(o.PackagesErrors, fileError(p, err))
		}
		return b
	}
	if b := read(dpkgStatus); b != nil {
		o.Packages = append(o.Packages, parseStanzas(b, dpkgStatus, "dpkg", "Package:", "Version:", "Status:")...)
	}
	if b := read(apkInstalled); b != nil {
		o.Packages = append(o.Packages, parseStanzas(b, apkInstalled, "apk", "P:", "V:", "")...)
	}
	for _, p := range []string{"/var/lib/rpm", "/usr/lib/sysimage/rpm"} {
		if _, err := c.h.Stat(p); err == nil {
			o.PackagesErrors = append(o.PackagesErrors, FileError{Path: p, Err: errors.New("the rpm database is not read")})
			break
		}
	}
	slices.SortStableFunc(o.Packages, func(a, b Package) int {
		if a.Manager != b.Manager {
			return strings.Compare(a.Manager, b.Manager)
		}
		return strings.Compare(a.Name, b.Name)
	})
}

// parseStanzas reads a database of blank-line separated stanzas of "Key: value" (dpkg)
// or "K:value" (apk) lines. With a status key, only stanzas whose status ends in
// "installed" as its third word count ("install ok installed").
func parseStanzas(b []byte, file, manager, nameKey, versionKey, statusKey string) []Package {
	var out []Package
	var cur Package
	status := ""
	flush := func() {
		if cur.Name != "" && (statusKey == "" || fieldN(status, 2) == "installed") {
			out = append(out, cur)
		}
		cur, status = Package{Manager: manager}, ""
	}
	flush()
	n := 0
	for line := range strings.Lines(string(b)) {
		n++
		line = strings.TrimRight(line, "\r\n")
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case strings.HasPrefix(line, nameKey):
			cur.Name, cur.Pos = strings.TrimSpace(line[len(nameKey):]), Pos{file, n}
		case strings.HasPrefix(line, versionKey):
			cur.Version = strings.TrimSpace(line[len(versionKey):])
		case statusKey != "" && strings.HasPrefix(line, statusKey):
			status = strings.TrimSpace(line[len(statusKey):])
		}
	}
	flush()
	return out
}

func fieldN(s string, i int) string {
	if fs := strings.Fields(s); i < len(fs) {
		return fs[i]
	}
	return ""
}
