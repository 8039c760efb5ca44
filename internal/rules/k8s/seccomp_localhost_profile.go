package k8s

import (
	"fmt"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kharden/kharden/internal/rule"
)

// SeccompLocalhostProfile is KM-0058.
var SeccompLocalhostProfile = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0058",
		Slug:      "seccomp-localhost-profile",
		Title:     "A Localhost seccomp profile must exist in the nodes' seccomp directory and be a valid profile",
		Severity:  rule.Medium,
		Practices: []string{"C18", "D2"},
		Rationale: "A Localhost seccomp profile is a file the kubelet hands to the container runtime from its seccomp " +
			"directory (/var/lib/kubelet/seccomp unless --seccomp-profile-root says otherwise), at the path " +
			"localhostProfile names. When the file is missing, is a directory or is not a profile the runtime can " +
			"load, the container does not start: a rollout that renamed or forgot a profile stalls, and the quick way " +
			"out under pressure is Unconfined. The API server checks none of this; it refuses only a localhostProfile " +
			"that is missing, absolute or climbs out with \"..\".",
		Remediation: "Run kharden scan (or audit cluster) with --seccomp-dir DIR, DIR being the tree the nodes' seccomp " +
			"directory is installed from (the profiles a repository ships, or a copy of a node's /var/lib/kubelet/seccomp), " +
			"and make every localhostProfile a relative path to a valid OCI profile in it: generate one with " +
			"`kharden profile record`, install it on the nodes (docs/profiles.md), or correct the path. The rule runs " +
			"only when --seccomp-dir is given. A profile behind a symbolic link leading out of DIR, or larger than " +
			"1 MiB, is not read, and is reported as not checked.",
		References: []string{
			"https://kubernetes.io/docs/tutorials/security/seccomp/",
			"https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/",
			"https://github.com/opencontainers/runtime-spec/blob/main/config-linux.md#seccomp",
		},
		Standards: rule.Standards{CIS: []string{"5.7.2"}},
		Since:     "0.2.0",
		Default:   true,
	},
	Check: func(in *Input) []rule.Finding {
		dir := in.Settings.SeccompDir
		if dir == nil || in.Workload == nil || windowsPod(in) {
			return nil // not given a directory to look in; seccomp is a Linux feature
		}
		var out []rule.Finding
		if psc := in.Workload.Spec.SecurityContext; psc != nil {
			out = appendLocalhostFinding(out, in, psc.SeccompProfile, in.Workload.Field("securityContext.seccompProfile"), "the pod")
		}
		for _, c := range in.Workload.Containers() {
			if sc := c.SecurityContext; sc != nil {
				out = appendLocalhostFinding(out, in, sc.SeccompProfile, c.Field("securityContext.seccompProfile"), fmt.Sprintf("container %q", c.Name))
			}
		}
		return out
	},
}

// appendLocalhostFinding judges one seccompProfile field (at field path at, of who) and
// adds its finding, if any. Paths the API server refuses are reported without looking
// in the directory: a workload naming ../../etc/passwd makes kharden read nothing.
func appendLocalhostFinding(out []rule.Finding, in *Input, p *corev1.SeccompProfile, at, who string) []rule.Finding {
	if p == nil || p.Type != corev1.SeccompProfileTypeLocalhost {
		return out
	}
	field := at + ".localhostProfile"
	if p.LocalhostProfile == nil {
		return append(out, finding(field, "%s sets seccomp profile type Localhost without a localhostProfile, which the API server refuses: "+
			"name the profile's path relative to the nodes' seccomp directory", who))
	}
	name := *p.LocalhostProfile
	switch {
	case name == "":
		return append(out, finding(field, "%s names an empty Localhost seccomp profile: that is the seccomp directory %s itself, not a profile",
			who, in.Settings.SeccompDir.Name()))
	case path.IsAbs(name):
		return append(out, finding(field, "%s names Localhost seccomp profile %q, an absolute path, which the API server refuses: "+
			"give a path relative to the nodes' seccomp directory", who, name))
	case slices.Contains(strings.Split(name, "/"), ".."):
		return append(out, finding(field, "%s names Localhost seccomp profile %q, which contains \"..\" and which the API server refuses: "+
			"give a path inside the nodes' seccomp directory", who, name))
	}
	v := in.Settings.SeccompDir.Check(name)
	switch {
	case v.Problem == "":
		return out
	case v.Unchecked:
		f := finding(field, "%s names Localhost seccomp profile %q, which kharden could not check: %s", who, name, v.Problem)
		f.Status = rule.Error
		return append(out, f)
	}
	return append(out, finding(field, "%s names Localhost seccomp profile %q, but %s", who, name, v.Problem))
}
