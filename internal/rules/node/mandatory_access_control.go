package node

import (
	"errors"
	"io/fs"
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

// MandatoryAccessControl is KN-0036.
var MandatoryAccessControl = &Rule{
	Meta: rule.Meta{
		ID:        "KN-0036",
		Slug:      "mandatory-access-control",
		Title:     "The node must enforce SELinux or AppArmor",
		Severity:  rule.Medium,
		Practices: []string{"A2"},
		Rationale: "SELinux and AppArmor confine processes beyond what user IDs and capabilities do: the container " +
			"runtime gives every container a profile (container_t, or the runtime's default AppArmor profile) that " +
			"keeps it from the host's files even when it runs as root or escapes its mount namespace. With SELinux " +
			"permissive or AppArmor off, that layer only logs, or is gone, and the pods' seLinuxOptions and " +
			"appArmorProfile fields protect nothing.",
		Remediation: "SELinux distributions: set SELINUX=enforcing in /etc/selinux/config and run setenforce 1 " +
			"(relabel first if SELinux was disabled: touch /.autorelabel and reboot). AppArmor distributions: " +
			"enable it on the kernel command line (apparmor=1 security=apparmor) if needed, start the apparmor " +
			"service so its profiles load, and check with aa-status.",
		References: []string{
			"https://kubernetes.io/docs/tutorials/security/apparmor/",
			"https://kubernetes.io/docs/tasks/configure-pod-container/security-context/#assign-selinux-labels-to-a-container",
		},
		Since:   "0.1.0",
		Default: true,
	},
	// One verdict for the node, first match wins:
	//   - SELinux enforcing (/sys/fs/selinux/enforce is 1): Pass, unless
	//     /etc/selinux/config sets another mode for the next boot (Fail at that line);
	//   - AppArmor enabled (/sys/module/apparmor/parameters/enabled is Y) with at least
	//     one profile in enforce (or kill) mode: Pass; enabled with none: Fail;
	//     enabled but its profile list unreadable: Error;
	//   - SELinux permissive, AppArmor disabled, or SELINUX=disabled in the config:
	//     Fail;
	//   - neither state readable (no /sys/fs/selinux, no AppArmor module: neither is
	//     in the kernel, or /sys is not mounted under the audited root): Error.
	Check: func(f *node.Facts) []Finding {
		se, aa := &f.OS.SELinux, &f.OS.AppArmor
		seState := strings.TrimSpace(se.Enforce.Value)
		if se.Enforce.Err == nil && seState == "1" {
			if se.ConfigErr == nil && se.Mode.Key != "" && !strings.EqualFold(se.Mode.Value, "enforcing") {
				return []Finding{verdict(rule.Fail, "", se.Mode.Pos.File, se.Mode.Pos.Line, "SELinux is enforcing now, but this "+
					"line sets SELINUX=%s for the next boot; want enforcing", se.Mode.Value)}
			}
			return []Finding{verdict(rule.Pass, "", se.Enforce.Path, 0, "SELinux is enforcing")}
		}
		aaState := strings.TrimSpace(aa.Enabled.Value)
		if aa.Enabled.Err == nil && aaState == "Y" {
			const profiles = "/sys/kernel/security/apparmor/profiles"
			if aa.ProfilesErr != nil {
				return []Finding{verdict(rule.Error, "", profiles, 0, "AppArmor is enabled, but its loaded profiles cannot be "+
					"read: %s", errText(aa.ProfilesErr))}
			}
			enforced, total := aa.Profiles["enforce"]+aa.Profiles["kill"], 0
			for _, n := range aa.Profiles {
				total += n
			}
			if enforced == 0 {
				return []Finding{verdict(rule.Fail, "", profiles, 0, "AppArmor is enabled, but none of its %d loaded profiles "+
					"is in enforce mode: nothing is confined", total)}
			}
			return []Finding{verdict(rule.Pass, "", profiles, 0, "AppArmor is enabled, %d of its %d loaded profiles in enforce mode",
				enforced, total)}
		}
		switch {
		case se.Enforce.Err == nil && seState == "0":
			return []Finding{verdict(rule.Fail, "", se.Enforce.Path, 0, "SELinux is permissive: it logs what it would deny and "+
				"denies nothing; want enforcing")}
		case aa.Enabled.Err == nil:
			return []Finding{verdict(rule.Fail, "", aa.Enabled.Path, 0, "AppArmor is in the kernel but disabled (enabled is %q), "+
				"and SELinux is not enforcing", aaState)}
		case se.ConfigErr == nil && strings.EqualFold(se.Mode.Value, "disabled"):
			return []Finding{verdict(rule.Fail, "", se.Mode.Pos.File, se.Mode.Pos.Line, "SELinux is disabled by this line, and "+
				"AppArmor is not in the kernel")}
		case se.Enforce.Err == nil:
			return []Finding{verdict(rule.Error, "", se.Enforce.Path, 0, "SELinux's state %q is neither 1 nor 0", seState)}
		}
		seErr, aaErr := se.Enforce.Err, aa.Enabled.Err
		if !errors.Is(seErr, fs.ErrNotExist) {
			return []Finding{verdict(rule.Error, "", se.Enforce.Path, 0, "cannot read SELinux's state: %s", errText(seErr))}
		}
		if !errors.Is(aaErr, fs.ErrNotExist) {
			return []Finding{verdict(rule.Error, "", aa.Enabled.Path, 0, "cannot read AppArmor's state: %s", errText(aaErr))}
		}
		return []Finding{verdict(rule.Error, "", "", 0, "neither SELinux (%s) nor AppArmor (%s) shows a state: neither is in "+
			"the kernel, or /sys is not mounted under the audited root", se.Enforce.Path, aa.Enabled.Path)}
	},
}
