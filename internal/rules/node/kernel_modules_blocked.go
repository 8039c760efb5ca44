package node

import (
	"strings"

	"github.com/kharden/kharden/internal/profile/modules"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

// KernelModulesBlocked is KN-0038.
var KernelModulesBlocked = &Rule{
	Meta: rule.Meta{
		ID:        "KN-0038",
		Slug:      "kernel-modules-blocked",
		Title:     "Risky kernel modules must not load on demand",
		Severity:  rule.Medium,
		Practices: []string{"A6"},
		Rationale: "Opening a socket of an unusual family, setting a line discipline on a terminal or mounting a " +
			"filesystem makes the kernel load the module behind it, and any pod can do the first two. Rarely used " +
			"protocols such as DCCP, RDS and TIPC have had bugs that gave root from an unprivileged process; a " +
			"module that cannot load cannot be exploited. blacklist alone is not enough: it only stops a module's " +
			"own aliases from matching, and the module still loads by name or as a dependency of another (a DCCP " +
			"socket loads dccp_ipv4, which pulls in dccp).",
		Remediation: "Run kharden profile modules to write /etc/modprobe.d/kharden-blacklist.conf, which answers each " +
			"listed module with install <module> /bin/false (add --keep-loaded to spare modules in use, --exclude " +
			"for one the node needs, such as sctp for SCTP Services); unload the ones loaded with modprobe -r or " +
			"reboot. A node that loads nothing after boot can set kernel.modules_disabled=1 instead.",
		References: []string{
			"https://man7.org/linux/man-pages/man5/modprobe.d.5.html",
			"https://docs.kernel.org/admin-guide/sysctl/kernel.html#modules-disabled",
		},
		Since:   "0.1.0",
		Default: true,
	},
	// With kernel.modules_disabled=1 running, no module can load: one Pass for the node.
	// Otherwise one verdict per module of the list of kharden profile modules
	// (modules.List): Pass when the first install directive for it in modprobe.d (the one
	// modprobe runs) makes loading fail or do nothing (/bin/false, /bin/true), at that
	// line; Fail when that directive runs something else, when only blacklist names it
	// (at the blacklist line), or when nothing does. A module found in /proc/modules is
	// said to be loaded already, whatever the verdict. With modprobe.d files that could
	// not be read, a module without a blocking directive is an Error, not a Fail.
	Check: func(f *node.Facts) []Finding {
		o := &f.OS
		loadedNote := func(m string) string {
			if o.ModuleLoaded(m) {
				return "; it is loaded now, until modprobe -r " + m + " or a reboot"
			}
			return ""
		}
		if t, ok := o.Sysctl("kernel.modules_disabled"); ok && t.Err == nil && strings.TrimSpace(t.Value) == "1" {
			var loaded []string
			for _, m := range modules.List() {
				if o.ModuleLoaded(m.Name) {
					loaded = append(loaded, m.Name)
				}
			}
			note := ""
			if len(loaded) > 0 {
				note = "; loaded before it was set, and staying until a reboot: " + strings.Join(loaded, ", ")
			}
			return []Finding{verdict(rule.Pass, "", t.Path, 0, "kernel.modules_disabled is 1: no module can be loaded%s", note)}
		}
		var unread []string
		for _, e := range o.ModprobeErrors {
			unread = append(unread, e.Path)
		}
		var out []Finding
		for _, m := range modules.List() {
			var install, blacklist *node.ModprobeRule
			for _, r := range o.ModprobeFor(m.Name) {
				switch {
				case r.Kind == "install" && install == nil:
					install = &r
				case r.Kind == "blacklist" && blacklist == nil:
					blacklist = &r
				}
			}
			switch {
			case install != nil && install.Disables():
				out = append(out, verdict(rule.Pass, "", install.Pos.File, install.Pos.Line, "%s cannot be loaded: install %s %s%s",
					m.Name, install.Module, install.Command, loadedNote(m.Name)))
			case install != nil:
				out = append(out, verdict(rule.Fail, "", install.Pos.File, install.Pos.Line, "loading %s runs %q instead, which may "+
					"load it; want install %s /bin/false%s", m.Name, install.Command, m.Name, loadedNote(m.Name)))
			case len(unread) > 0:
				out = append(out, verdict(rule.Error, "", unread[0], 0, "no modprobe.d file read blocks %s, but %s could not be "+
					"read", m.Name, strings.Join(unread, ", ")))
			case blacklist != nil:
				out = append(out, verdict(rule.Fail, "", blacklist.Pos.File, blacklist.Pos.Line, "%s is only blacklisted: it still "+
					"loads by name or as another module's dependency; want install %s /bin/false%s", m.Name, m.Name, loadedNote(m.Name)))
			default:
				out = append(out, verdict(rule.Fail, "", "", 0, "nothing in modprobe.d blocks %s, which loads on demand; want "+
					"install %s /bin/false (kharden profile modules)%s", m.Name, m.Name, loadedNote(m.Name)))
			}
		}
		return out
	},
}
