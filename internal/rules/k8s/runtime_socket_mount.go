package k8s

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/kharden/kharden/internal/rule"
)

// RuntimeSocketMount is KM-0012.
var RuntimeSocketMount = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0012",
		Slug:      "runtime-socket-mount",
		Title:     "Pods must not mount the container runtime socket",
		Severity:  rule.Critical,
		Practices: []string{"C12"},
		Rationale: "Whoever can talk to the container runtime (Docker, containerd, CRI-O, Podman) can start a " +
			"privileged container with the node's root filesystem mounted: a mounted runtime socket, the " +
			"directory that holds it, or the runtime's state directory is root on the node, whatever the pod's " +
			"own securityContext says.",
		Remediation: "Remove the hostPath volume. Build images with a daemonless builder (BuildKit rootless, " +
			"kaniko, buildah) and read container metadata through the Kubernetes API instead of the runtime.",
		References: []string{
			"https://kubernetes.io/docs/concepts/storage/volumes/#hostpath",
			"https://kubernetes.io/docs/concepts/security/security-checklist/",
		},
		Standards: rule.Standards{
			CIS: []string{"5.2.12"},
			PSS: []string{"baseline:hostPathVolumes"},
			NSA: []string{"Kubernetes Pod security: Pod security enforcement"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(in *Input) []rule.Finding {
		w := in.Workload
		if w == nil {
			return nil
		}
		var out []rule.Finding
		for i, v := range w.Spec.Volumes {
			if v.HostPath == nil {
				continue
			}
			target, exact := runtimeSocketIn(v.HostPath.Path)
			if target == "" {
				continue
			}
			p := w.Field(fmt.Sprintf("volumes[%d].hostPath.path", i))
			if exact {
				out = append(out, finding(p, "volume %q mounts the container runtime's %s", v.Name, target))
			} else {
				out = append(out, finding(p, "volume %q mounts host path %q, which contains the container runtime's %s",
					v.Name, v.HostPath.Path, target))
			}
		}
		return out
	},
}

// runtimeSockets are the host paths that give control of a container runtime: its API
// sockets and state directories. A "<uid>" component matches any user ID.
var runtimeSockets = []string{
	"/var/run/docker.sock", "/run/docker.sock",
	"/var/run/dockershim.sock", "/run/dockershim.sock",
	"/var/run/cri-dockerd.sock", "/run/cri-dockerd.sock",
	"/var/run/containerd/containerd.sock", "/run/containerd/containerd.sock",
	"/var/run/docker/containerd/containerd.sock", "/run/docker/containerd/containerd.sock",
	"/run/k3s/containerd/containerd.sock",
	"/var/snap/microk8s/common/run/containerd.sock",
	"/var/run/crio/crio.sock", "/run/crio/crio.sock",
	"/var/run/podman/podman.sock", "/run/podman/podman.sock",
	"/run/user/<uid>/docker.sock", "/run/user/<uid>/podman/podman.sock",
	"/var/lib/docker", "/var/lib/containerd", "/var/lib/containers",
}

// runtimeWindowsPipes are the named pipes of the runtimes on Windows nodes.
var runtimeWindowsPipes = []string{`\\.\pipe\docker_engine`, `\\.\pipe\containerd-containerd`}

// runtimeSocketIn tells whether a hostPath gives access to a container runtime. It
// returns what it reaches ("socket /run/docker.sock"), or "" when nothing, and whether
// the hostPath is that socket or directory itself rather than a directory above it.
func runtimeSocketIn(hostPath string) (target string, exact bool) {
	if strings.HasPrefix(hostPath, `\\`) || strings.HasPrefix(hostPath, "//./") {
		p := strings.ToLower(strings.ReplaceAll(hostPath, "/", `\`))
		for _, pipe := range runtimeWindowsPipes {
			if p == pipe {
				return "named pipe " + pipe, true
			}
		}
		return "", false
	}
	if !strings.HasPrefix(hostPath, "/") {
		return "", false
	}
	have := components(path.Clean(hostPath))
	for _, s := range runtimeSockets {
		want := components(s)
		if len(have) > len(want) || !matchComponents(have, want[:len(have)]) {
			continue
		}
		kind := "socket "
		if !strings.HasSuffix(s, ".sock") {
			kind = "state directory "
		}
		return kind + "/" + strings.Join(slices.Concat(have, want[len(have):]), "/"), len(have) == len(want)
	}
	return "", false
}

func components(p string) []string {
	if p = strings.Trim(p, "/"); p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func matchComponents(have, want []string) bool {
	for i, w := range want {
		if w == "<uid>" {
			if have[i] == "" || strings.Trim(have[i], "0123456789") != "" {
				return false
			}
		} else if have[i] != w {
			return false
		}
	}
	return true
}
