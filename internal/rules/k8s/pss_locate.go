package k8s

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kharden/kharden/internal/pss"
	"github.com/kharden/kharden/internal/workload"
)

// The library says which check a pod fails, not which field. A locator finds the fields:
// for every candidate field (a container's setting, a volume, a sysctl, an annotation) it
// re-evaluates the same check, at the same version, on a small pod holding only that field
// and the pod-level settings that exempt pods from checks (os.name, hostUsers). A field
// whose small pod fails is an offender, and that small pod's violation is its message. The
// library stays the only judge of what is allowed (version-dependent sysctl lists, SELinux
// types, annotation or field forms of seccomp), and the locators only know where to look.

// pssSite is one offending field: its path relative to the object and the violation the
// field causes on its own.
type pssSite struct {
	path string
	v    pss.Violation
	// practices are those of what this field breaks, for a check that serves several of
	// its rule's practices; nil means all of them.
	practices []string
}

// pssLocator holds what every locator needs.
type pssLocator struct {
	lv    pss.LevelVersion
	check string
	w     *workload.Workload
	out   []pssSite
}

// try evaluates the check on a small pod and records path as an offender when it fails.
func (l *pssLocator) try(path string, meta *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	v, ok := pss.EvaluateCheck(l.lv, l.check, meta, spec)
	if ok {
		l.out = append(l.out, pssSite{path: path, v: v})
	}
	return ok
}

// pod returns a pod spec with only the pod-level settings that exempt a pod from checks.
func (l *pssLocator) pod() *corev1.PodSpec {
	return &corev1.PodSpec{OS: l.w.Spec.OS, HostUsers: l.w.Spec.HostUsers}
}

// tryPod checks one pod-level security setting, at spec.<rel>.
func (l *pssLocator) tryPod(rel string, sc *corev1.PodSecurityContext) bool {
	s := l.pod()
	s.SecurityContext = sc
	return l.try(l.w.Field(rel), nil, s)
}

// tryContainer checks a container reduced to probe (given the container's name), at
// <container>.<rel>.
func (l *pssLocator) tryContainer(c workload.Container, rel string, probe corev1.Container) bool {
	probe.Name = c.Name
	s := l.pod()
	s.Containers = []corev1.Container{probe}
	return l.try(c.Field(rel), nil, s)
}

// names returns the pod() spec with every container reduced to its name, for checks that
// look containers up by name (seccomp annotations) or list them in messages.
func (l *pssLocator) names() *corev1.PodSpec {
	s := l.pod()
	for _, c := range l.w.Containers() {
		s.Containers = append(s.Containers, corev1.Container{Name: c.Name})
	}
	return s
}

// tryAnnotations checks each pod annotation on its own.
func (l *pssLocator) tryAnnotations() {
	ann := l.w.PodMeta.Annotations
	keys := make([]string, 0, len(ann))
	for k := range ann {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	spec := l.names()
	for _, k := range keys {
		l.try(pssKeyPath(l.w.PodMetaPath+".annotations", k), &metav1.ObjectMeta{Annotations: map[string]string{k: ann[k]}}, spec)
	}
}

// pssKeyPath appends a map key to a field path, quoting keys that hold path syntax, as in
// metadata.annotations["container.apparmor.security.beta.kubernetes.io/web"].
func pssKeyPath(base, key string) string {
	if strings.ContainsAny(key, `.[]"`) {
		return base + "[" + strconv.Quote(key) + "]"
	}
	return base + "." + key
}

func pssSecCtx(c workload.Container) *corev1.SecurityContext {
	if c.SecurityContext == nil {
		return &corev1.SecurityContext{}
	}
	return c.SecurityContext
}

func pssPodSecCtx(l *pssLocator) *corev1.PodSecurityContext {
	if l.w.Spec.SecurityContext == nil {
		return &corev1.PodSecurityContext{}
	}
	return l.w.Spec.SecurityContext
}

func pssLocateAllowPrivilegeEscalation(l *pssLocator) []pssSite {
	for _, c := range l.w.Containers() {
		l.tryContainer(c, "securityContext.allowPrivilegeEscalation",
			corev1.Container{SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: pssSecCtx(c).AllowPrivilegeEscalation}})
	}
	return l.out
}

func pssLocateAppArmorProfile(l *pssLocator) []pssSite {
	if p := pssPodSecCtx(l).AppArmorProfile; p != nil {
		l.tryPod("securityContext.appArmorProfile.type", &corev1.PodSecurityContext{AppArmorProfile: p})
	}
	for _, c := range l.w.Containers() {
		if p := pssSecCtx(c).AppArmorProfile; p != nil {
			l.tryContainer(c, "securityContext.appArmorProfile.type",
				corev1.Container{SecurityContext: &corev1.SecurityContext{AppArmorProfile: p}})
		}
	}
	l.tryAnnotations()
	return l.out
}

func pssLocateCapabilitiesBaseline(l *pssLocator) []pssSite {
	for _, c := range l.w.Containers() {
		caps := pssSecCtx(c).Capabilities
		if caps == nil {
			continue
		}
		for j, add := range caps.Add {
			l.tryContainer(c, fmt.Sprintf("securityContext.capabilities.add[%d]", j), corev1.Container{SecurityContext: &corev1.SecurityContext{
				Capabilities: &corev1.Capabilities{Add: []corev1.Capability{add}}}})
		}
	}
	return l.out
}

func pssLocateCapabilitiesRestricted(l *pssLocator) []pssSite {
	for _, c := range l.w.Containers() {
		var drop, add []corev1.Capability
		if caps := pssSecCtx(c).Capabilities; caps != nil {
			drop, add = caps.Drop, caps.Add
		}
		if l.tryContainer(c, "securityContext.capabilities.drop", corev1.Container{SecurityContext: &corev1.SecurityContext{
			Capabilities: &corev1.Capabilities{Drop: drop}}}) {
			l.label("D1", "C15") // drop ALL
		}
		for j, a := range add {
			if l.tryContainer(c, fmt.Sprintf("securityContext.capabilities.add[%d]", j), corev1.Container{SecurityContext: &corev1.SecurityContext{
				Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}, Add: []corev1.Capability{a}}}}) {
				l.label("D1", "C16") // add back only what is needed
			}
		}
	}
	return l.out
}

func pssLocateHostNamespaces(l *pssLocator) []pssSite {
	spec := l.w.Spec
	for _, ns := range []struct {
		field, practice string
		on              bool
		set             func(*corev1.PodSpec)
	}{
		{"hostNetwork", "C8", spec.HostNetwork, func(s *corev1.PodSpec) { s.HostNetwork = true }},
		{"hostPID", "C6", spec.HostPID, func(s *corev1.PodSpec) { s.HostPID = true }},
		{"hostIPC", "C7", spec.HostIPC, func(s *corev1.PodSpec) { s.HostIPC = true }},
	} {
		if ns.on {
			s := l.pod()
			ns.set(s)
			if l.try(l.w.Field(ns.field), nil, s) {
				l.label("D1", ns.practice)
			}
		}
	}
	return l.out
}

func pssLocateHostPathVolumes(l *pssLocator) []pssSite {
	for i, v := range l.w.Spec.Volumes {
		s := l.pod()
		s.Volumes = []corev1.Volume{v}
		if l.try(l.w.Field(fmt.Sprintf("volumes[%d].hostPath", i)), nil, s) {
			l.label(hostPathPractices(v)...)
		}
	}
	return l.out
}

func pssLocateRestrictedVolumes(l *pssLocator) []pssSite {
	for i, v := range l.w.Spec.Volumes {
		s := l.pod()
		s.Volumes = []corev1.Volume{v}
		if l.try(l.w.Field(fmt.Sprintf("volumes[%d]", i)), nil, s) {
			if src := pssVolumeSource(v); src != "" {
				l.out[len(l.out)-1].path += "." + src
			}
			if v.HostPath != nil {
				l.label(hostPathPractices(v)...)
			} else {
				l.label("D1") // network or cloud storage: no hostPath, no runtime socket
			}
		}
	}
	return l.out
}

// hostPathPractices are the practices a hostPath volume breaks: no hostPath (C11), and no
// container runtime socket (C12) when the path reaches one.
func hostPathPractices(v corev1.Volume) []string {
	if target, _ := runtimeSocketIn(v.HostPath.Path); target != "" {
		return []string{"D1", "C11", "C12"}
	}
	return []string{"D1", "C11"}
}

// label sets the practices of the site found last.
func (l *pssLocator) label(practices ...string) {
	l.out[len(l.out)-1].practices = practices
}

// pssVolumeSource returns the field name of a volume's source ("hostPath", "nfs"), or "".
func pssVolumeSource(v corev1.Volume) string {
	b, err := json.Marshal(v.VolumeSource)
	if err != nil {
		return ""
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil || len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys[0]
}

func pssLocateHostPorts(l *pssLocator) []pssSite {
	for _, c := range l.w.Containers() {
		for k, p := range c.Ports {
			l.tryContainer(c, fmt.Sprintf("ports[%d].hostPort", k), corev1.Container{Ports: []corev1.ContainerPort{p}})
		}
	}
	return l.out
}

func pssLocateHostProbesAndHostLifecycle(l *pssLocator) []pssSite {
	for _, c := range l.w.Containers() {
		for _, p := range []struct {
			field string
			probe *corev1.Probe
		}{{"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}, {"startupProbe", c.StartupProbe}} {
			if p.probe == nil {
				continue
			}
			if h := p.probe.HTTPGet; h != nil {
				l.tryContainer(c, p.field+".httpGet.host", corev1.Container{LivenessProbe: &corev1.Probe{
					ProbeHandler: corev1.ProbeHandler{HTTPGet: h}}})
			}
			if t := p.probe.TCPSocket; t != nil {
				l.tryContainer(c, p.field+".tcpSocket.host", corev1.Container{LivenessProbe: &corev1.Probe{
					ProbeHandler: corev1.ProbeHandler{TCPSocket: t}}})
			}
		}
		if c.Lifecycle == nil {
			continue
		}
		for _, h := range []struct {
			field   string
			handler *corev1.LifecycleHandler
		}{{"lifecycle.postStart", c.Lifecycle.PostStart}, {"lifecycle.preStop", c.Lifecycle.PreStop}} {
			if h.handler == nil {
				continue
			}
			if g := h.handler.HTTPGet; g != nil {
				l.tryContainer(c, h.field+".httpGet.host", corev1.Container{Lifecycle: &corev1.Lifecycle{
					PostStart: &corev1.LifecycleHandler{HTTPGet: g}}})
			}
			if t := h.handler.TCPSocket; t != nil {
				l.tryContainer(c, h.field+".tcpSocket.host", corev1.Container{Lifecycle: &corev1.Lifecycle{
					PostStart: &corev1.LifecycleHandler{TCPSocket: t}}})
			}
		}
	}
	return l.out
}

func pssLocatePrivileged(l *pssLocator) []pssSite {
	for _, c := range l.w.Containers() {
		l.tryContainer(c, "securityContext.privileged",
			corev1.Container{SecurityContext: &corev1.SecurityContext{Privileged: pssSecCtx(c).Privileged}})
	}
	return l.out
}

// pssLocateProcMount serves procMount and procMount_restricted: the same field, judged with
// the pod's hostUsers, which pod() keeps.
func pssLocateProcMount(l *pssLocator) []pssSite {
	for _, c := range l.w.Containers() {
		l.tryContainer(c, "securityContext.procMount",
			corev1.Container{SecurityContext: &corev1.SecurityContext{ProcMount: pssSecCtx(c).ProcMount}})
	}
	return l.out
}

func pssLocateRunAsNonRoot(l *pssLocator) []pssSite {
	var pod *corev1.PodSecurityContext
	if v := pssPodSecCtx(l).RunAsNonRoot; v != nil {
		pod = &corev1.PodSecurityContext{RunAsNonRoot: v}
	}
	l.required(pod, "securityContext.runAsNonRoot", "securityContext.runAsNonRoot", func(c workload.Container) *corev1.SecurityContext {
		if v := pssSecCtx(c).RunAsNonRoot; v != nil {
			return &corev1.SecurityContext{RunAsNonRoot: v}
		}
		return nil
	})
	return l.out
}

func pssLocateSeccompProfileRestricted(l *pssLocator) []pssSite {
	var pod *corev1.PodSecurityContext
	if p := pssPodSecCtx(l).SeccompProfile; p != nil {
		pod = &corev1.PodSecurityContext{SeccompProfile: p}
	}
	l.required(pod, "securityContext.seccompProfile.type", "securityContext.seccompProfile", func(c workload.Container) *corev1.SecurityContext {
		if p := pssSecCtx(c).SeccompProfile; p != nil {
			return &corev1.SecurityContext{SeccompProfile: p}
		}
		return nil
	})
	return l.out
}

// required locates a check that wants a setting with a good value on the pod or on every
// container (runAsNonRoot, seccompProfile_restricted). pod holds only the pod's setting,
// or is nil when the pod does not set it; container returns a container's setting alone,
// or nil. rel is where a bad value sits, missing where an absent one should go.
//
//   - A bad pod value is one finding at the pod's field. Containers that do not set the
//     field inherit it, so they are not reported again.
//   - A bad container value is a finding at the container's field.
//   - Containers that set nothing while the pod sets nothing either: when no container sets
//     the field, one finding at the pod's field, the one place that fixes them all;
//     otherwise a finding at each such container's field.
func (l *pssLocator) required(pod *corev1.PodSecurityContext, rel, missing string, container func(workload.Container) *corev1.SecurityContext) {
	podBad := pod != nil && l.tryPod(rel, pod)
	podGood := pod != nil && !podBad
	var unset []workload.Container
	cs := l.w.Containers()
	for _, c := range cs {
		sc := container(c)
		if sc == nil {
			if pod == nil {
				unset = append(unset, c)
			}
			continue
		}
		s := l.pod()
		if podGood {
			s.SecurityContext = pod
		}
		s.Containers = []corev1.Container{{Name: c.Name, SecurityContext: sc}}
		l.try(c.Field(rel), nil, s)
	}
	if len(unset) == 0 {
		return
	}
	if len(unset) == len(cs) {
		l.try(l.w.Field(missing), nil, l.names())
		return
	}
	for _, c := range unset {
		l.tryContainer(c, missing, corev1.Container{})
	}
}

func pssLocateRunAsUser(l *pssLocator) []pssSite {
	if v := pssPodSecCtx(l).RunAsUser; v != nil {
		l.tryPod("securityContext.runAsUser", &corev1.PodSecurityContext{RunAsUser: v})
	}
	for _, c := range l.w.Containers() {
		if v := pssSecCtx(c).RunAsUser; v != nil {
			l.tryContainer(c, "securityContext.runAsUser", corev1.Container{SecurityContext: &corev1.SecurityContext{RunAsUser: v}})
		}
	}
	return l.out
}

// pssLocateSELinuxOptions reports one finding per pod or container, at the first of type,
// user and role that is forbidden on its own.
func pssLocateSELinuxOptions(l *pssLocator) []pssSite {
	field := func(o *corev1.SELinuxOptions, bad func(*corev1.SELinuxOptions) bool) string {
		for _, f := range []struct {
			name string
			o    corev1.SELinuxOptions
		}{{"type", corev1.SELinuxOptions{Type: o.Type}}, {"user", corev1.SELinuxOptions{User: o.User}}, {"role", corev1.SELinuxOptions{Role: o.Role}}} {
			if bad(&f.o) {
				return "securityContext.seLinuxOptions." + f.name
			}
		}
		return "securityContext.seLinuxOptions"
	}
	failsOnPod := func(o *corev1.SELinuxOptions) bool {
		s := l.pod()
		s.SecurityContext = &corev1.PodSecurityContext{SELinuxOptions: o}
		_, ok := pss.EvaluateCheck(l.lv, l.check, nil, s)
		return ok
	}
	if o := pssPodSecCtx(l).SELinuxOptions; o != nil {
		l.tryPod(field(o, failsOnPod), &corev1.PodSecurityContext{SELinuxOptions: o})
	}
	for _, c := range l.w.Containers() {
		if o := pssSecCtx(c).SELinuxOptions; o != nil {
			// The same options are judged alike on the pod and on a container.
			l.tryContainer(c, field(o, failsOnPod), corev1.Container{SecurityContext: &corev1.SecurityContext{SELinuxOptions: o}})
		}
	}
	return l.out
}

func pssLocateSeccompProfileBaseline(l *pssLocator) []pssSite {
	if p := pssPodSecCtx(l).SeccompProfile; p != nil {
		l.tryPod("securityContext.seccompProfile.type", &corev1.PodSecurityContext{SeccompProfile: p})
	}
	for _, c := range l.w.Containers() {
		if p := pssSecCtx(c).SeccompProfile; p != nil {
			l.tryContainer(c, "securityContext.seccompProfile.type", corev1.Container{SecurityContext: &corev1.SecurityContext{SeccompProfile: p}})
		}
	}
	// Before policy v1.19 the check reads the alpha annotations instead of the fields.
	l.tryAnnotations()
	return l.out
}

func pssLocateSysctls(l *pssLocator) []pssSite {
	for i, s := range pssPodSecCtx(l).Sysctls {
		l.tryPod(fmt.Sprintf("securityContext.sysctls[%d].name", i), &corev1.PodSecurityContext{Sysctls: []corev1.Sysctl{s}})
	}
	return l.out
}

func pssLocateWindowsHostProcess(l *pssLocator) []pssSite {
	if o := pssPodSecCtx(l).WindowsOptions; o != nil {
		l.tryPod("securityContext.windowsOptions.hostProcess", &corev1.PodSecurityContext{
			WindowsOptions: &corev1.WindowsSecurityContextOptions{HostProcess: o.HostProcess}})
	}
	for _, c := range l.w.Containers() {
		if o := pssSecCtx(c).WindowsOptions; o != nil {
			l.tryContainer(c, "securityContext.windowsOptions.hostProcess", corev1.Container{SecurityContext: &corev1.SecurityContext{
				WindowsOptions: &corev1.WindowsSecurityContextOptions{HostProcess: o.HostProcess}}})
		}
	}
	return l.out
}
