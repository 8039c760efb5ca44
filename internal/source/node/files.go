package node

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/kharden/kharden/internal/rules/flags"
)

// Default paths of the files CIS names, when no flag names them.
const (
	cniDir            = "/etc/cni/net.d"
	etcdDataDir       = "/var/lib/etcd"
	pkiDir            = "/etc/kubernetes/pki"
	kubeletKubeconfig = "/etc/kubernetes/kubelet.conf"
	kubeletConfig     = "/var/lib/kubelet/config.yaml"
)

// maxPKIEntries bounds the walk of the PKI directory.
const maxPKIEntries = 10000

// collectFiles fills f.Files.
func (c *collector) collectFiles() {
	for _, m := range []struct {
		role Role
		name string
	}{
		{RoleAPIServerManifest, APIServer}, {RoleControllerManagerManifest, ControllerManager},
		{RoleSchedulerManifest, Scheduler}, {RoleEtcdManifest, Etcd},
	} {
		c.manifestFile(m.role, m.name)
	}
	c.cniFiles()
	c.flagFile(RoleEtcdDataDir, Etcd, "data-dir", etcdDataDir)
	c.add(RoleAdminConf, "/etc/kubernetes/admin.conf", nil, c.h)
	c.add(RoleSuperAdminConf, "/etc/kubernetes/super-admin.conf", nil, c.h)
	c.flagFile(RoleSchedulerKubeconfig, Scheduler, "kubeconfig", "/etc/kubernetes/scheduler.conf")
	c.flagFile(RoleControllerManagerConfig, ControllerManager, "kubeconfig", "/etc/kubernetes/controller-manager.conf")
	c.pkiFiles()
	c.kubeletServiceFiles()
	c.proxyKubeconfig()
	c.flagFile(RoleKubeletKubeconfig, Kubelet, "kubeconfig", kubeletKubeconfig)
	c.kubeletClientCA()
	c.flagFile(RoleKubeletConfig, Kubelet, "config", kubeletConfig)
}

// add records the owner and mode of one file, as h sees it.
func (c *collector) add(role Role, p string, from *FlagRef, h *Host) {
	for _, ff := range c.f.Files {
		if ff.Role == role && ff.Path == p {
			return
		}
	}
	st, err := h.Stat(p)
	c.f.Files = append(c.f.Files, FileFact{Role: role, Path: p, File: st, Err: err, From: from})
}

// manifestFile records a control-plane component's pod manifest: the one its flags were
// read from, else the first that exists, else kubeadm's path.
func (c *collector) manifestFile(role Role, name string) {
	for _, comp := range c.f.Instances(name) {
		if comp.Kind == FromStaticPod {
			c.add(role, comp.Source, nil, c.h)
			return
		}
	}
	files := staticPodFiles(name, c.staticPodDirs(c.f.Instances(Kubelet)))
	for _, p := range files {
		if _, err := c.h.Stat(p); exists(err) {
			c.add(role, p, nil, c.h)
			return
		}
	}
	c.add(role, path.Join(defaultStaticPodDirs[0], name+".yaml"), nil, c.h)
}

// cniFiles records the files of /etc/cni/net.d, or the directory's error.
func (c *collector) cniFiles() {
	es, err := c.h.ReadDir(cniDir)
	if err != nil {
		c.f.Files = append(c.f.Files, FileFact{Role: RoleCNIConfig, Path: cniDir, Err: err})
		return
	}
	for _, e := range es {
		p := path.Join(cniDir, e.Name())
		if st, err := c.h.Stat(p); err != nil || !st.Dir {
			c.add(RoleCNIConfig, p, nil, c.h)
		}
	}
}

// flagFile records the file a component's flag names, for each instance that gives the
// flag (read as the component sees it), else the default path.
func (c *collector) flagFile(role Role, name, flag, def string) {
	found := false
	for _, comp := range c.f.Instances(name) {
		if ref, p := flagRef(comp, flag); ref != nil {
			c.add(role, p, ref, c.hostFor(comp))
			found = true
		}
	}
	if !found {
		c.add(role, def, nil, c.h)
	}
}

// flagRef returns the path a component's flag gives and where it was read; nil when
// the flag is not given.
func flagRef(comp Component, flag string) (*FlagRef, string) {
	v, ok := comp.Flags.Lookup(flag)
	if !ok || strings.TrimSpace(v.Value) == "" {
		return nil, ""
	}
	return &FlagRef{Component: comp.Name, Source: comp.Source, Flag: flag, Origin: v.Origin}, strings.TrimSpace(v.Value)
}

// pkiFiles records /etc/kubernetes/pki and everything under it.
func (c *collector) pkiFiles() {
	st, err := c.h.Stat(pkiDir)
	c.f.Files = append(c.f.Files, FileFact{Role: RolePKIDir, Path: pkiDir, File: st, Err: err})
	if err != nil || !st.Dir {
		return
	}
	n := 0
	var walk func(dir string, depth int)
	walk = func(dir string, depth int) {
		es, err := c.h.ReadDir(dir)
		if err != nil {
			for i := range c.f.Files {
				if c.f.Files[i].Path == dir && c.f.Files[i].Err == nil {
					c.f.Files[i].Err = err
				}
			}
			return
		}
		for _, e := range es {
			if n++; n > maxPKIEntries {
				c.f.Files = append(c.f.Files, FileFact{Role: RolePKIDir, Path: dir,
					Err: FileError{Path: pkiDir, Err: fmt.Errorf("more than %d entries, the rest not read", maxPKIEntries)}})
				return
			}
			p := path.Join(dir, e.Name())
			st, err := c.h.Stat(p)
			role := RolePKIOther
			switch {
			case err == nil && st.Dir:
				role = RolePKIDir
			case strings.HasSuffix(p, ".crt"):
				role = RolePKICert
			case strings.HasSuffix(p, ".key"):
				role = RolePKIKey
			}
			c.f.Files = append(c.f.Files, FileFact{Role: role, Path: p, File: st, Err: err})
			if role == RolePKIDir && depth < 8 {
				walk(p, depth+1)
			}
		}
	}
	walk(pkiDir, 0)
	c.sortRole(RolePKIDir, RolePKICert, RolePKIKey, RolePKIOther)
}

// sortRole moves the facts of the given roles into role order, keeping path order.
func (c *collector) sortRole(roles ...Role) {
	var keep []FileFact
	by := map[Role][]FileFact{}
	for _, ff := range c.f.Files {
		if slices.Contains(roles, ff.Role) {
			by[ff.Role] = append(by[ff.Role], ff)
		} else {
			keep = append(keep, ff)
		}
	}
	for _, r := range roles {
		keep = append(keep, by[r]...)
	}
	c.f.Files = keep
}

// kubeletServiceFiles records the kubelet's unit file and its drop-ins, or kubelet.service
// in /etc/systemd/system when there is none.
func (c *collector) kubeletServiceFiles() {
	u, ok := c.unit(Kubelet)
	if !ok {
		c.add(RoleKubeletService, path.Join(unitDirs[0], Kubelet+".service"), nil, c.h)
		return
	}
	c.add(RoleKubeletService, u.path, nil, c.h)
	for _, d := range u.dropIns {
		c.add(RoleKubeletServiceDropIn, d, nil, c.h)
	}
}

// proxyKubeconfig records kube-proxy's kubeconfig: its --kubeconfig, else its --config
// file's clientConnection.kubeconfig; nothing when it names none.
func (c *collector) proxyKubeconfig() {
	for _, comp := range c.f.Instances(Proxy) {
		if ref, p := flagRef(comp, "kubeconfig"); ref != nil {
			c.add(RoleProxyKubeconfig, p, ref, c.hostFor(comp))
			continue
		}
		if ref, p := configRef(comp, "config", "clientConnection.kubeconfig"); ref != nil {
			c.add(RoleProxyKubeconfig, p, ref, c.hostFor(comp))
		}
	}
}

// kubeletClientCA records the kubelet's client CA file: --client-ca-file, else
// authentication.x509.clientCAFile of its config file and drop-ins (the last one that
// sets it wins); nothing when neither is set.
func (c *collector) kubeletClientCA() {
	for _, comp := range c.f.Instances(Kubelet) {
		if ref, p := kubeletClientCARef(comp); ref != nil {
			c.add(RoleKubeletClientCA, p, ref, c.hostFor(comp))
		}
	}
}

// kubeletClientCARef returns the kubelet's client CA file and where it was set.
func kubeletClientCARef(comp Component) (*FlagRef, string) {
	return kubeletConfigRef(comp, "client-ca-file", "authentication.x509.clientCAFile")
}

// kubeletConfigRef returns a path the kubelet's flag gives, else the field of its config
// file and drop-ins (the last one that sets it wins); nil when neither is set.
func kubeletConfigRef(comp Component, flag, field string) (*FlagRef, string) {
	if ref, p := flagRef(comp, flag); ref != nil {
		return ref, p
	}
	ref, p := configRef(comp, "config", field)
	if r, q := dropInRef(comp, field); r != nil {
		ref, p = r, q
	}
	return ref, p
}

// configRef returns a path set by a field of the config file a component's flag names.
func configRef(comp Component, flag, field string) (*FlagRef, string) {
	b, file, ok := comp.Flags.File(flag)
	if !ok {
		return nil, ""
	}
	v, line := yamlString(b, field)
	if v == "" {
		return nil, ""
	}
	return &FlagRef{Component: comp.Name, Source: comp.Source, Flag: field, Origin: originAt(file, line)}, v
}

// dropInRef returns a path set by a field of the kubelet's --config-dir drop-ins: the
// last drop-in, in path order, that sets it.
func dropInRef(comp Component, field string) (*FlagRef, string) {
	v, ok := comp.Flags.Lookup("config-dir")
	if !ok {
		return nil, ""
	}
	prefix := path.Clean(strings.TrimSpace(v.Value)) + "/"
	var ref *FlagRef
	var p, last string
	for file, b := range comp.Flags.Files {
		if !strings.HasPrefix(file, prefix) || path.Ext(file) != ".conf" || (last != "" && pathOrder(file, last) < 0) {
			continue
		}
		if val, line := yamlString(b, field); val != "" {
			ref, p, last = &FlagRef{Component: comp.Name, Source: comp.Source, Flag: field, Origin: originAt(file, line)}, val, file
		}
	}
	return ref, p
}

// pathOrder compares paths directory by directory, the order the kubelet merges its
// drop-ins in.
func pathOrder(a, b string) int {
	return slices.Compare(strings.Split(a, "/"), strings.Split(b, "/"))
}

// originAt is the Origin of a value read from a file.
func originAt(file string, line int) flags.Origin {
	return flags.Origin{Arg: -1, File: file, Line: line}
}
