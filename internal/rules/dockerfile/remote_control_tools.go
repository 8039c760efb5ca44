package dockerfile

import (
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// remoteControlPackages are the packages that install a remote login or remote desktop
// server.
var remoteControlPackages = map[string]bool{
	"openssh-server": true, "ssh": true, "openssh": true, "dropbear": true, "tinysshd": true,
	"telnetd": true, "telnet-server": true, "inetutils-telnetd": true, "telnetd-ssl": true,
	"tightvncserver": true, "tigervnc-server": true, "tigervnc-standalone-server": true,
	"x11vnc": true, "vnc4server": true, "xrdp": true, "teamviewer": true, "anydesk": true,
}

// isRemoteControlPackage tells whether an installed package is a remote access server.
// Alpine's and openSUSE's openssh include sshd; the RPM family's openssh is only the
// common files (the server is openssh-server), and only Debian has the ssh metapackage.
func isRemoteControlPackage(p *installedPkg) bool {
	switch p.name {
	case "openssh":
		return p.by.family == "apk" || p.by.family == "zypper"
	case "ssh":
		return p.by.family == "apt"
	}
	return remoteControlPackages[p.name]
}

// remoteControlDaemons are the programs of those servers, as a CMD or ENTRYPOINT runs them.
var remoteControlDaemons = []string{"sshd", "dropbear", "telnetd", "in.telnetd", "x11vnc", "vncserver",
	"Xvnc", "xrdp", "tightvncserver"}

// RemoteControlTools is DF-0033.
var RemoteControlTools = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0033",
		Slug:      "remote-control-tools",
		Title:     "The image must not install or start an SSH, telnet or VNC server",
		Severity:  rule.High,
		Practices: []string{"B16"},
		Rationale: "A remote login server in a container is a second way in that bypasses the orchestrator: it " +
			"needs its own keys or passwords (often baked into the image), it is rarely patched, and it makes the " +
			"container a pet that people change by hand. docker exec and kubectl exec already give operators an " +
			"authenticated, audited shell.",
		Remediation: "Remove openssh-server, telnetd, VNC and RDP servers from the image and do not start them in " +
			"CMD or ENTRYPOINT. Use kubectl exec, kubectl debug or docker exec for interactive access, and run one " +
			"process per container.",
		References: []string{
			"https://docs.docker.com/engine/security/#other-kernel-security-features",
			"hadolint DL3001: For some bash commands it makes no sense running them in a Docker container",
			"trivy-checks DS-0004 (DS004): Port 22 exposed",
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		var out []rule.Finding
		for _, g := range pkgFindings(f, isRemoteControlPackage) {
			out = append(out, atCommand(g.by.cmd, "%q installs the remote access server %s into the running image",
				g.by.verb(), joinAnd(g.names)))
		}
		// The process the container starts: the last ENTRYPOINT and CMD of the running stages.
		var last []*dockerfile.Instruction
		for _, kind := range []string{"ENTRYPOINT", "CMD"} {
			var in *dockerfile.Instruction
			for _, s := range f.RunningStages() {
				for i := range s.Kind(kind) {
					in = i
				}
			}
			if in != nil {
				last = append(last, in)
			}
		}
		for _, in := range last {
			for _, c := range in.Commands {
				if d := startsDaemon(c); d != "" {
					out = append(out, atCommand(c, "%s starts the remote access server %s", in.Kind, d))
					break
				}
			}
		}
		return out
	},
}

// startsDaemon returns the remote access server a command starts, or "": sshd,
// `service ssh start`, `/etc/init.d/ssh start`, `rc-service sshd start`.
func startsDaemon(c *dockerfile.Command) string {
	u := c.Unwrap()
	if u.Is(remoteControlDaemons...) {
		return u.Base()
	}
	ops := u.Operands()
	switch {
	case u.Is("service", "rc-service") && len(ops) >= 2 && (ops[1] == "start" || ops[1] == "restart"):
		if isRemoteService(ops[0]) {
			return ops[0]
		}
	case strings.HasPrefix(u.Name, "/etc/init.d/") && len(ops) >= 1 && (ops[0] == "start" || ops[0] == "restart"):
		if isRemoteService(u.Base()) {
			return u.Base()
		}
	case u.Is("systemctl") && len(ops) >= 2 && (ops[0] == "start" || ops[0] == "restart"):
		name := strings.TrimSuffix(ops[1], ".service")
		if isRemoteService(name) {
			return name
		}
	}
	return ""
}

func isRemoteService(name string) bool {
	switch name {
	case "ssh", "sshd", "dropbear", "telnetd", "xrdp", "vncserver", "x11vnc":
		return true
	}
	return false
}
