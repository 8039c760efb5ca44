package node

import (
	"errors"
	"io/fs"
	"slices"
	"strings"

	"github.com/kharden/kharden/internal/rules/flags"
)

// kubeletConfigFiles are where installers put the kubelet's config file, in the order
// they are tried when no process or unit says which one the kubelet reads: kubeadm's,
// then the paths other distributions use (EKS, GKE, kubeadm-style hand installs).
var kubeletConfigFiles = []string{
	"/var/lib/kubelet/config.yaml",
	"/var/lib/kubelet/config.yml",
	"/etc/kubernetes/kubelet-config.yaml",
	"/etc/kubernetes/kubelet/kubelet-config.json",
	"/home/kubernetes/kubelet-config.yaml",
}

// kubeletEnvFiles are the environment files installers fill with kubelet flags, and the
// variable each sets: kubeadm writes its flags to kubeadm-flags.env, and packages leave
// KUBELET_EXTRA_ARGS to the administrator. kubeadm's unit expands them in this order.
var kubeletEnvFiles = []struct{ path, variable string }{
	{"/var/lib/kubelet/kubeadm-flags.env", "KUBELET_KUBEADM_ARGS"},
	{"/etc/default/kubelet", "KUBELET_EXTRA_ARGS"},
	{"/etc/sysconfig/kubelet", "KUBELET_EXTRA_ARGS"},
}

// kubeletFromDefaults reads the kubelet's settings from its default files when neither a
// process nor a unit of it was found, as on a node image audited offline: the first
// config file of kubeletConfigFiles that exists becomes --config, and the flags of the
// environment files come before it. It reports false when none of them exists.
func (c *collector) kubeletFromDefaults() (Component, bool) {
	var used []string
	var argv []string
	var at []Pos // where each argument was read
	argv, at = append(argv, Kubelet), append(at, Pos{})
	comp := Component{Name: Kubelet, Kind: FromDefaults}
	for _, ef := range kubeletEnvFiles {
		b, err := c.h.ReadFile(ef.path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		used = append(used, ef.path)
		if err != nil {
			comp.fileError(ef.path, err)
			continue
		}
		if v, ok := parseEnvFile(ef.path, b)[ef.variable]; ok {
			for _, w := range splitWords(v.value) {
				argv, at = append(argv, w.text), append(at, v.pos)
			}
		}
	}
	config := ""
	for _, p := range kubeletConfigFiles {
		if _, err := c.h.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			config = p
			break
		}
	}
	if config == "" && len(used) == 0 {
		return Component{}, false
	}
	comp.Flags = flags.Parse(Kubelet, "", argv)
	if _, set := comp.Flags.Lookup("config"); !set && config != "" {
		used = append([]string{config}, used...)
		argv, at = append(argv, "--config="+config), append(at, Pos{File: config})
	}
	comp.Path = used[0]
	comp.Source = "default files " + strings.Join(slices.Compact(used), ", ")
	comp.Flags = flags.Parse(Kubelet, comp.Source, argv)
	placeFlags(comp.Flags, func(arg int) (string, int) { return at[arg].File, at[arg].Line })
	return comp, true
}
