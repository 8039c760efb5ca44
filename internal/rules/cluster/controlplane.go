package cluster

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/rules/flags"
	"github.com/kharden/kharden/internal/source/cluster"
)

// The control-plane rules (KC-0019 to KC-0035) run the CIS flag checks of package flags
// over the static pods in Snapshot.ControlPlane: one Set per pod, from its component
// container's command and args (and, for etcd, its literal ETCD_* environment variables).
//
//   - A failing check is a finding on the pod (Finding.Object), at the argument holding
//     the flag (spec.containers[C].command[I] or args[I]), at the environment variable
//     it came from, or at the container when the flag is missing; the message ends with
//     the CIS item.
//   - A check that needs a file the flag names (the encryption providers, an
//     --authorization-config) cannot see it in a pod spec: its finding has Status Manual.
//   - When no pod of a component is visible — a managed control plane, or components that
//     do not run as pods — each rule returns one finding with Status Skipped and no
//     object, saying so; kharden audit node on the control-plane nodes reads the same
//     flags from the processes.
//   - A pod of a component whose command is not the component's own command line (a
//     shell wrapper) gets one Manual finding per rule: its flags cannot be read.

var controlPlaneNeeds = []string{NeedControlPlane}

// prerequisite names, for a CIS item, the item it refines: it is evaluated only when that
// one passes, so that one missing flag is one finding (no audit log path means no
// rotation to judge; no encryption config means no provider to judge).
var prerequisite = map[string]string{
	"1.2.17": "1.2.16", "1.2.18": "1.2.16", "1.2.19": "1.2.16",
	"1.2.28": "1.2.27",
}

// componentPod is a control-plane pod with its component's container.
type componentPod struct {
	pod       *corev1.Pod
	component string
	container int
	// readable is false when the container's program is not the component itself.
	readable bool
}

// componentPods returns the pods of a component in the Snapshot's control plane. A pod's
// component is its "component" label (kubeadm, RKE2), else the program or name of one of
// its containers.
func componentPods(s *cluster.Snapshot, component string) []componentPod {
	var out []componentPod
	for i := range s.ControlPlane {
		p := &s.ControlPlane[i]
		if cp, ok := podComponent(p); ok && cp.component == component {
			out = append(out, cp)
		}
	}
	return out
}

func podComponent(p *corev1.Pod) (componentPod, bool) {
	label := flags.ComponentOf(p.Labels["component"])
	for i, c := range p.Spec.Containers {
		prog := containerProgram(&c)
		comp := flags.ComponentOf(prog)
		if comp == "" {
			comp = flags.ComponentOf(c.Name)
		}
		if comp != "" && (label == "" || label == comp) {
			return componentPod{pod: p, component: comp, container: i, readable: flags.ComponentOf(prog) == comp}, true
		}
	}
	if label != "" && len(p.Spec.Containers) == 1 {
		c := &p.Spec.Containers[0]
		return componentPod{pod: p, component: label, readable: flags.ComponentOf(containerProgram(c)) == label}, true
	}
	return componentPod{}, false
}

// containerProgram is what a container runs: its command's first word, else its args'
// (an image whose entrypoint is the component).
func containerProgram(c *corev1.Container) string {
	if len(c.Command) > 0 {
		return c.Command[0]
	}
	if len(c.Args) > 0 && !strings.HasPrefix(c.Args[0], "-") {
		return c.Args[0]
	}
	return ""
}

// flagSet reads a component pod's flags, and locates them: the returned function gives
// the field path of the value a flag takes, or of the container when it has none.
func (cp componentPod) flagSet() (*flags.Set, func(flag string) string) {
	c := &cp.pod.Spec.Containers[cp.container]
	argv := append(append([]string(nil), c.Command...), c.Args...)
	set := flags.Parse(cp.component, fmt.Sprintf("pod %s/%s", cp.pod.Namespace, cp.pod.Name), argv)
	envIndex := map[string]int{}
	for i, e := range c.Env {
		if e.ValueFrom == nil {
			set.AddEnv(e.Name, e.Value, flags.Origin{})
			envIndex[e.Name] = i
		}
	}
	base := fmt.Sprintf("spec.containers[%d]", cp.container)
	locate := func(flag string) string {
		v, ok := set.Lookup(flag)
		switch {
		case !ok:
			return base
		case v.Origin.Env != "":
			return fmt.Sprintf("%s.env[%d]", base, envIndex[v.Origin.Env])
		case v.Origin.Arg >= 0 && v.Origin.Arg < len(c.Command):
			return fmt.Sprintf("%s.command[%d]", base, v.Origin.Arg)
		case v.Origin.Arg >= len(c.Command):
			return fmt.Sprintf("%s.args[%d]", base, v.Origin.Arg-len(c.Command))
		}
		return base
	}
	return set, locate
}

// flagChecks returns the check of a control-plane rule: the CIS items' flag checks run
// over every pod of their components.
func flagChecks(cis ...string) func(*cluster.Snapshot) []rule.Finding {
	var checks []*flags.Check
	for _, id := range cis {
		c := flags.Lookup(id)
		if c == nil {
			panic("cluster: no flag check for CIS " + id)
		}
		checks = append(checks, c)
	}
	return func(s *cluster.Snapshot) []rule.Finding {
		var out []rule.Finding
		var components []string
		byComponent := map[string][]*flags.Check{}
		for _, c := range checks {
			if byComponent[c.Component] == nil {
				components = append(components, c.Component)
			}
			byComponent[c.Component] = append(byComponent[c.Component], c)
		}
		for _, comp := range components {
			out = append(out, componentFindings(s, comp, byComponent[comp])...)
		}
		return out
	}
}

func componentFindings(s *cluster.Snapshot, component string, checks []*flags.Check) []rule.Finding {
	pods := componentPods(s, component)
	if len(pods) == 0 {
		return []rule.Finding{{Status: rule.Skipped, Message: fmt.Sprintf("no %s pod is visible (%s), so CIS %s cannot be checked "+
			"from the API; run kharden audit node on the control-plane nodes", component, notVisibleWhy(component), cisList(checks))}}
	}
	var out []rule.Finding
	for _, cp := range pods {
		obj := podObject(cp.pod.Namespace, cp.pod.Name)
		if !cp.readable {
			out = append(out, rule.Finding{Object: obj, Path: fmt.Sprintf("spec.containers[%d]", cp.container), Status: rule.Manual,
				Message: fmt.Sprintf("the %s container does not run %s directly, so its flags cannot be read; check CIS %s by hand",
					cp.pod.Spec.Containers[cp.container].Name, component, cisList(checks))})
			continue
		}
		set, locate := cp.flagSet()
		passed := map[string]bool{}
		for _, c := range checks {
			if pre, ok := prerequisite[c.CIS]; ok && !passedOrAbsent(passed, pre, checks) {
				continue
			}
			r := c.Run(set)
			if r.Status == rule.Pass {
				passed[c.CIS] = true
				continue
			}
			f := finding(obj, locate(r.Flag), "%s (CIS %s)", r.Message, c.CIS)
			if r.Status != rule.Fail {
				f.Status = r.Status
			}
			out = append(out, f)
		}
	}
	return out
}

// passedOrAbsent tells whether a prerequisite passed, or is not among the rule's checks
// (and so does not gate).
func passedOrAbsent(passed map[string]bool, pre string, checks []*flags.Check) bool {
	for _, c := range checks {
		if c.CIS == pre {
			return passed[pre]
		}
	}
	return true
}

func notVisibleWhy(component string) string {
	if component == flags.Etcd {
		return "an external etcd, or a managed control plane"
	}
	return "a managed control plane, or one that does not run as static pods"
}

func cisList(checks []*flags.Check) string {
	ids := make([]string, len(checks))
	for i, c := range checks {
		ids[i] = c.CIS
	}
	return strings.Join(ids, ", ")
}
