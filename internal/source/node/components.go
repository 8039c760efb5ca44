package node

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kharden/kharden/internal/rules/flags"
)

// hyperkube is the all-in-one binary some distributions run components from
// ("hyperkube kubelet ..."); its first argument names the component.
var hyperkube = map[string]string{
	"apiserver": APIServer, "controller-manager": ControllerManager, "scheduler": Scheduler,
	"kubelet": Kubelet, "proxy": Proxy,
	APIServer: APIServer, ControllerManager: ControllerManager, Scheduler: Scheduler, Proxy: Proxy,
}

// componentOf returns the component a command line runs, or "".
func componentOf(argv []string) string {
	if len(argv) == 0 {
		return ""
	}
	b := path.Base(argv[0])
	if slices.Contains(ComponentNames, b) {
		return b
	}
	if b == "hyperkube" && len(argv) > 1 {
		return hyperkube[argv[1]]
	}
	return ""
}

// staticPodFiles returns the places a component's pod manifest is looked for, in order.
// dirs are the static pod directories (the kubelet's, then the usual ones).
func staticPodFiles(name string, dirs []string) []string {
	var out []string
	for _, d := range dirs {
		for _, ext := range []string{".yaml", ".yml", ".manifest"} {
			out = append(out, path.Join(d, name+ext))
		}
	}
	out = append(out, path.Join("/etc/kubernetes/manifests", "talos-"+name+".yaml"))
	if name == Proxy {
		out = append(out, "/etc/kubernetes/addons/kube-proxy-daemonset.yaml", "/etc/kubernetes/addons/kube-proxy-daemonset.yml")
	}
	return out
}

// defaultStaticPodDirs are the usual static pod directories: kubeadm's, RKE2's.
var defaultStaticPodDirs = []string{"/etc/kubernetes/manifests", "/var/lib/rancher/rke2/agent/pod-manifests"}

// collectComponents fills f.Components: processes first, else static pods, else units,
// else (for the kubelet) the files installers put at known paths.
// The kubelet is looked at first, since its flags may name another static pod directory.
func (c *collector) collectComponents() {
	procs, err := c.h.Processes()
	c.f.ProcessesErr = err
	byName := map[string][]Component{}
	for _, p := range procs {
		if p.Err != nil {
			c.f.ProcessErrors = append(c.f.ProcessErrors, p.Err)
			continue
		}
		if name := componentOf(p.Argv); name != "" {
			byName[name] = append(byName[name], c.processComponent(name, p))
		}
	}
	order := []string{Kubelet, APIServer, ControllerManager, Scheduler, Etcd, Proxy}
	for _, name := range order {
		if len(byName[name]) > 0 {
			continue
		}
		if name != Kubelet {
			if comp, ok := c.staticPodComponent(name, c.staticPodDirs(byName[Kubelet])); ok {
				byName[name] = append(byName[name], comp)
				continue
			}
		}
		if u, ok := c.unit(name); ok {
			byName[name] = append(byName[name], c.unitComponent(name, u))
		} else if name == Kubelet {
			if comp, ok := c.kubeletFromDefaults(); ok {
				byName[name] = append(byName[name], comp)
			}
		}
	}
	for _, name := range ComponentNames {
		for _, comp := range byName[name] {
			c.readFlagFiles(&comp)
			c.f.Components = append(c.f.Components, comp)
		}
	}
}

// staticPodDirs returns the kubelet's static pod directory (--pod-manifest-path, or
// staticPodPath in its --config file) followed by the usual ones.
func (c *collector) staticPodDirs(kubelets []Component) []string {
	var dirs []string
	for _, k := range kubelets {
		if v, ok := k.Flags.Lookup("pod-manifest-path"); ok && path.IsAbs(v.Value) {
			dirs = append(dirs, path.Clean(v.Value))
		}
		if v, ok := k.Flags.Lookup("config"); ok {
			if b, err := c.readFor(k, v.Value); err == nil {
				if p, _ := yamlString(b, "staticPodPath"); path.IsAbs(p) {
					dirs = append(dirs, path.Clean(p))
				}
			}
		}
	}
	for _, d := range defaultStaticPodDirs {
		if !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

func (c *collector) processComponent(name string, p Process) Component {
	src := "process " + strconv.Itoa(p.PID)
	comp := Component{Name: name, Kind: FromProcess, Source: src, PID: p.PID, Flags: flags.Parse(name, src, p.Argv)}
	environ := fmt.Sprintf("/proc/%d/environ", p.PID)
	if name == Etcd {
		if p.EnvErr != nil {
			comp.fileError(environ, p.EnvErr)
		}
		for _, kv := range p.Env {
			if k, v, ok := strings.Cut(kv, "="); ok {
				comp.Flags.AddEnv(k, v, flags.Origin{File: environ})
			}
		}
	}
	return comp
}

func (comp *Component) fileError(p string, err error) {
	if comp.FileErrors == nil {
		comp.FileErrors = map[string]error{}
	}
	comp.FileErrors[p] = err
}

// staticPodComponent reads the first of the component's pod manifests that exists.
func (c *collector) staticPodComponent(name string, dirs []string) (Component, bool) {
	for _, file := range staticPodFiles(name, dirs) {
		b, err := c.h.ReadFile(file)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		comp := Component{Name: name, Kind: FromStaticPod, Source: file, Flags: flags.New(name, file)}
		if err != nil {
			comp.Err = err
			return comp, true
		}
		pa, err := podCommand(name, file, b)
		if err != nil {
			comp.Err = FileError{Path: file, Err: err}
			return comp, true
		}
		comp.Flags = flags.Parse(name, file, pa.argv)
		if len(pa.lines) > 0 {
			comp.Line = pa.lines[0]
		}
		placeFlags(comp.Flags, func(arg int) (string, int) { return file, pa.lines[arg] })
		for i, v := range pa.env {
			comp.Flags.AddEnv(pa.names[i], v.value, flags.Origin{File: v.pos.File, Line: v.pos.Line})
		}
		return comp, true
	}
	return Component{}, false
}

// placeFlags sets the File and Line of every value parsed from argv, from the index of
// its argument.
func placeFlags(s *flags.Set, at func(arg int) (string, int)) {
	for _, vs := range s.Values {
		for i := range vs {
			if o := &vs[i].Origin; o.Arg >= 0 {
				o.File, o.Line = at(o.Arg)
			}
		}
	}
}

// podArgs is what a pod manifest says of the container that runs a component.
type podArgs struct {
	argv  []string
	lines []int // the line of each argument
	env   []envVar
	names []string // the names of env, in order
}

// podCommand returns the command and args of the container that runs the component in a
// pod manifest (or in a DaemonSet's pod template), with the line of each argument, and
// its environment variables given by value: the container named like the component,
// else the one whose command runs it, else the only container.
func podCommand(name, file string, b []byte) (podArgs, error) {
	var pa podArgs
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return pa, err
	}
	if len(doc.Content) == 0 {
		return pa, errors.New("empty manifest")
	}
	spec := mapValue(doc.Content[0], "spec")
	if t := mapValue(mapValue(spec, "template"), "spec"); t != nil {
		spec = t
	}
	containers := mapValue(spec, "containers")
	if containers == nil || containers.Kind != yaml.SequenceNode || len(containers.Content) == 0 {
		return pa, errors.New("no spec.containers")
	}
	var chosen *yaml.Node
	for _, ctr := range containers.Content {
		if n := mapValue(ctr, "name"); n != nil && n.Value == name {
			chosen = ctr
			break
		}
	}
	if chosen == nil {
		for _, ctr := range containers.Content {
			if cmd, _ := scalars(mapValue(ctr, "command")); componentOf(cmd) == name {
				chosen = ctr
				break
			}
		}
	}
	if chosen == nil && len(containers.Content) == 1 {
		chosen = containers.Content[0]
	}
	if chosen == nil {
		return pa, fmt.Errorf("no container runs %s", name)
	}
	for _, key := range []string{"command", "args"} {
		n := mapValue(chosen, key)
		vs, err := scalars(n)
		if err != nil {
			return pa, fmt.Errorf("line %d: %s: %w", n.Line, key, err)
		}
		pa.argv = append(pa.argv, vs...)
		if n != nil {
			for _, e := range n.Content {
				pa.lines = append(pa.lines, e.Line)
			}
		}
	}
	if env := mapValue(chosen, "env"); env != nil && env.Kind == yaml.SequenceNode {
		for _, e := range env.Content {
			n, v := mapValue(e, "name"), mapValue(e, "value")
			if n != nil && v != nil && v.Kind == yaml.ScalarNode {
				pa.names = append(pa.names, n.Value)
				pa.env = append(pa.env, envVar{v.Value, Pos{file, v.Line}})
			}
		}
	}
	return pa, nil
}

// mapValue returns the value of key in a YAML mapping, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// scalars returns the scalars of a YAML sequence; nil for a nil node.
func scalars(n *yaml.Node) ([]string, error) {
	if n == nil {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, errors.New("not a list")
	}
	out := make([]string, 0, len(n.Content))
	for _, e := range n.Content {
		if e.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: not a string", e.Line)
		}
		out = append(out, e.Value)
	}
	return out, nil
}
