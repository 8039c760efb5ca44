package image

import (
	"fmt"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/image"
)

// remoteControlServers are the programs of remote login and remote desktop servers.
var remoteControlServers = []string{
	"sshd", "dropbear", "tinysshd",
	"telnetd", "in.telnetd", "utelnetd", "rlogind", "in.rlogind", "rshd", "in.rshd",
	"x11vnc", "Xvnc", "Xtightvnc", "Xtigervnc", "vncserver", "tightvncserver", "tigervncserver", "x0vncserver",
	"xrdp", "xrdp-sesman", "teamviewerd", "anydesk",
}

// RemoteControlServers is IM-0006.
var RemoteControlServers = &Rule{
	Meta: rule.Meta{
		ID:        "IM-0006",
		Slug:      "image-remote-control-servers",
		Title:     "The image must not ship an SSH, telnet, VNC or RDP server",
		Severity:  rule.High,
		Practices: []string{"B16"},
		Rationale: "A remote login server in a container is a second way in that bypasses the orchestrator: it needs " +
			"its own keys or passwords (often baked into the image), it is rarely patched, and it makes the container " +
			"a pet that people change by hand. kubectl exec and docker exec already give operators an authenticated, " +
			"audited shell. The rule looks for the servers' programs (sshd, dropbear, telnetd, rlogind, x11vnc, Xvnc, " +
			"vncserver, xrdp, teamviewerd, anydesk...) in the image's PATH and the usual bin directories of the final " +
			"filesystem, busybox applet links included; the Dockerfile rule remote-control-tools sees only what a " +
			"Dockerfile installs, this one also what the base image brought.",
		Remediation: "Remove the server's package in the step that installed it (apt-get purge openssh-server, apk del " +
			"dropbear) or build from a base without it, and do not start it in CMD or ENTRYPOINT. Use kubectl exec, " +
			"kubectl debug or docker exec for interactive access.",
		References: []string{
			"https://kubernetes.io/docs/tasks/debug/debug-application/debug-running-pod/#ephemeral-container",
			"CIS Docker Benchmark 5.7: Ensure sshd is not run within containers",
		},
		Standards: rule.Standards{CIS: []string{"5.7"}},
		Since:     "0.2.0",
		Default:   true,
	},
	Check: func(im *image.Image) []Finding {
		var out []Finding
		for _, c := range findCommands(im, remoteControlServers) {
			out = append(out, Finding{Path: c.path, Layer: c.entry.Layer,
				Message: fmt.Sprintf("the remote access server %s is in the image at %s, added by %s", c.what(), c.path, im.Short(c.entry.Layer))})
		}
		return out
	},
}
