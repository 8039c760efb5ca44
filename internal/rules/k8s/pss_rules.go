package k8s

import (
	"strings"

	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/internal/pss"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/workload"
)

// The Pod Security Standards profile: one rule per check of Kubernetes' own
// pod-security-admission library (KM-0101..KM-0119, in the alphabetical order of the check
// IDs). They are off by default and run when a level is selected (`--profile
// pss-baseline`, `pss-restricted:v1.30`). Each rule reports the violations the library finds
// for its check, placed on the offending field by the check's locator (pss_locate.go).
//
// The rules are uniform adapters over the library, so they are declared here as a table
// rather than one file each; docs/design/pss-rules.md explains why.

var (
	// PSSAllowPrivilegeEscalation is KM-0101.
	PSSAllowPrivilegeEscalation = newPSSRule(pssSpec{
		ID: "KM-0101", Check: "allowPrivilegeEscalation", Slug: "pss-allow-privilege-escalation",
		Title:     "PSS restricted: containers must set allowPrivilegeEscalation to false",
		Practices: []string{"D1", "C3"}, CIS: []string{"5.2.6"},
		Rationale: "Without allowPrivilegeEscalation: false the kernel lets a process gain more privileges than its " +
			"parent, through set-user-ID or set-group-ID binaries or file capabilities. An attacker who gets code " +
			"execution as an unprivileged user can then become root inside the container.",
		Remediation: "Set securityContext.allowPrivilegeEscalation: false on every container, init container and " +
			"ephemeral container.",
		Locate: pssLocateAllowPrivilegeEscalation,
	})

	// PSSAppArmorProfile is KM-0102.
	PSSAppArmorProfile = newPSSRule(pssSpec{
		ID: "KM-0102", Check: "appArmorProfile", Slug: "pss-app-armor-profile",
		Title:     "PSS baseline: AppArmor must not be disabled or overridden with an unknown profile",
		Practices: []string{"D1", "C19"},
		Rationale: "The container runtime confines containers with its default AppArmor profile. An Unconfined profile " +
			"(or an annotation naming anything but runtime/default or a localhost/ profile) switches that " +
			"mandatory access control off and widens what a compromised process may touch on the node.",
		Remediation: "Remove the appArmorProfile override, or set appArmorProfile.type to RuntimeDefault or Localhost " +
			"(with a localhostProfile loaded on the nodes); replace legacy container.apparmor.security.beta.kubernetes.io " +
			"annotations with the securityContext field.",
		Locate: pssLocateAppArmorProfile,
	})

	// PSSCapabilitiesBaseline is KM-0103.
	PSSCapabilitiesBaseline = newPSSRule(pssSpec{
		ID: "KM-0103", Check: "capabilities_baseline", Slug: "pss-capabilities-baseline",
		Title:     "PSS baseline: containers must not add capabilities beyond the runtime's default set",
		Practices: []string{"D1", "C16"}, CIS: []string{"5.2.8", "5.2.9"},
		Rationale: "Capabilities such as SYS_ADMIN, NET_ADMIN, SYS_PTRACE or NET_RAW give a container powers over the " +
			"kernel and the network that ordinary workloads never need; several are known container-escape or " +
			"spoofing primitives.",
		Remediation: "Remove every entry of securityContext.capabilities.add that is not in the default set " +
			"(AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, " +
			"SETPCAP, SETUID, SYS_CHROOT).",
		Locate: pssLocateCapabilitiesBaseline,
	})

	// PSSCapabilitiesRestricted is KM-0104.
	PSSCapabilitiesRestricted = newPSSRule(pssSpec{
		ID: "KM-0104", Check: "capabilities_restricted", Slug: "pss-capabilities-restricted",
		Title:     "PSS restricted: containers must drop ALL capabilities and add back only NET_BIND_SERVICE",
		Practices: []string{"D1", "C15", "C16"}, CIS: []string{"5.2.9", "5.2.10"},
		Rationale: "Even the runtime's default capability set lets root in a container change file ownership, " +
			"bypass file permissions and send signals to any process. Dropping all capabilities leaves a compromised " +
			"process with none of these.",
		Remediation: "Set securityContext.capabilities.drop: [\"ALL\"] on every container and add back at most " +
			"NET_BIND_SERVICE.",
		Locate: pssLocateCapabilitiesRestricted,
	})

	// PSSHostNamespaces is KM-0105.
	PSSHostNamespaces = newPSSRule(pssSpec{
		ID: "KM-0105", Check: "hostNamespaces", Slug: "pss-host-namespaces",
		Title:     "PSS baseline: pods must not share the host's network, PID or IPC namespace",
		Practices: []string{"D1", "C6", "C7", "C8"}, CIS: []string{"5.2.3", "5.2.4", "5.2.5"},
		Rationale: "hostPID lets a container see and signal every process on the node, hostIPC lets it read other " +
			"processes' shared memory, and hostNetwork puts it on the node's interfaces, where it can reach " +
			"node-local services and sniff traffic, bypassing NetworkPolicies.",
		Remediation: "Remove hostNetwork, hostPID and hostIPC from the pod spec, or set them to false.",
		Locate:      pssLocateHostNamespaces,
	})

	// PSSHostPathVolumes is KM-0106.
	PSSHostPathVolumes = newPSSRule(pssSpec{
		ID: "KM-0106", Check: "hostPathVolumes", Slug: "pss-host-path-volumes",
		Title:     "PSS baseline: pods must not mount hostPath volumes",
		Practices: []string{"D1", "C11", "C12"}, CIS: []string{"5.2.12"},
		Rationale: "A hostPath volume exposes the node's filesystem to the container: the kubelet's credentials, " +
			"other pods' data, the container runtime socket. Writable host paths are a direct route to node " +
			"compromise.",
		Remediation: "Replace hostPath volumes with emptyDir, configMap, secret, projected or persistentVolumeClaim " +
			"volumes; node agents that truly need host files belong in a namespace exempt from the policy.",
		Locate: pssLocateHostPathVolumes,
	})

	// PSSHostPorts is KM-0107.
	PSSHostPorts = newPSSRule(pssSpec{
		ID: "KM-0107", Check: "hostPorts", Slug: "pss-host-ports",
		Title:     "PSS baseline: containers must not bind host ports",
		Practices: []string{"D1", "C9"}, CIS: []string{"5.2.13"},
		Rationale: "A host port exposes the container on every address of the node, bypassing Services and " +
			"NetworkPolicies, and can shadow ports of node services.",
		Remediation: "Remove hostPort from the container's ports and expose the port through a Service.",
		Locate:      pssLocateHostPorts,
	})

	// PSSHostProbesAndHostLifecycle is KM-0108.
	PSSHostProbesAndHostLifecycle = newPSSRule(pssSpec{
		ID: "KM-0108", Check: "hostProbesAndHostLifecycle", Slug: "pss-host-probes-and-host-lifecycle",
		Title:     "PSS baseline: probes and lifecycle hooks must not set a host",
		Practices: []string{"D1"},
		Rationale: "The kubelet runs httpGet and tcpSocket probes and lifecycle hooks from the node. A host field " +
			"makes it connect to an arbitrary address with the node's network identity, which a pod author can " +
			"use to reach services only the node should reach (server-side request forgery).",
		Remediation: "Remove the host field from httpGet and tcpSocket in liveness, readiness and startup probes and " +
			"in postStart and preStop hooks; the kubelet then targets the pod's own IP.",
		Locate: pssLocateHostProbesAndHostLifecycle,
	})

	// PSSPrivileged is KM-0109.
	PSSPrivileged = newPSSRule(pssSpec{
		ID: "KM-0109", Check: "privileged", Slug: "pss-privileged",
		Title:     "PSS baseline: containers must not run privileged",
		Practices: []string{"D1", "C4"}, CIS: []string{"5.2.2"},
		Rationale: "A privileged container has every capability and sees every host device: it is root on the node " +
			"in all but name, and a compromise of the application is a compromise of the node.",
		Remediation: "Remove securityContext.privileged or set it to false; grant only the specific capabilities the " +
			"process needs.",
		Locate: pssLocatePrivileged,
	})

	// PSSProcMount is KM-0110.
	PSSProcMount = newPSSRule(pssSpec{
		ID: "KM-0110", Check: "procMount", Slug: "pss-proc-mount",
		Title:     "PSS baseline: containers must keep the default masked /proc",
		Practices: []string{"D1", "C4"},
		Rationale: "The runtime masks and mounts read-only the parts of /proc that expose or control the host kernel. " +
			"procMount: Unmasked removes that protection; since policy v1.35 baseline allows it only in pods with " +
			"their own user namespace (hostUsers: false).",
		Remediation: "Remove securityContext.procMount or set it to Default.",
		Locate:      pssLocateProcMount,
	})

	// PSSProcMountRestricted is KM-0111.
	PSSProcMountRestricted = newPSSRule(pssSpec{
		ID: "KM-0111", Check: "procMount_restricted", Slug: "pss-proc-mount-restricted",
		Title:     "PSS restricted: containers must keep the default masked /proc, even in a user namespace",
		Practices: []string{"D1", "C4"},
		Rationale: "An unmasked /proc exposes kernel interfaces the runtime normally hides. A user namespace limits " +
			"the damage but restricted pods get no such allowance: a kernel bug reachable through /proc is still " +
			"a way out.",
		Remediation: "Remove securityContext.procMount or set it to Default.",
		Locate:      pssLocateProcMount,
	})

	// PSSRestrictedVolumes is KM-0112.
	PSSRestrictedVolumes = newPSSRule(pssSpec{
		ID: "KM-0112", Check: "restrictedVolumes", Slug: "pss-restricted-volumes",
		Title:     "PSS restricted: pods must use only the allowed volume types",
		Practices: []string{"D1", "C11", "C12"},
		Rationale: "Volume types other than configMap, csi, downwardAPI, emptyDir, ephemeral, image, " +
			"persistentVolumeClaim, projected and secret mount storage directly from the node or from network " +
			"storage with credentials and options chosen by the pod author, bypassing the cluster's storage " +
			"administration.",
		Remediation: "Use one of the allowed volume types; expose network or cloud storage through a " +
			"PersistentVolume and a persistentVolumeClaim volume.",
		Locate: pssLocateRestrictedVolumes,
	})

	// PSSRunAsNonRoot is KM-0113.
	PSSRunAsNonRoot = newPSSRule(pssSpec{
		ID: "KM-0113", Check: "runAsNonRoot", Slug: "pss-run-as-non-root",
		Title:     "PSS restricted: pods or every container must set runAsNonRoot to true",
		Practices: []string{"D1", "C1"}, CIS: []string{"5.2.7"},
		Rationale: "Root in a container is root on the node's kernel, held back only by namespaces, capabilities " +
			"and seccomp. runAsNonRoot: true makes the kubelet refuse to start a container whose user is UID 0, " +
			"so an image that silently runs as root cannot slip through.",
		Remediation: "Set securityContext.runAsNonRoot: true in the pod's securityContext (or on every container), " +
			"and build the image with a non-root USER or set runAsUser.",
		Locate: pssLocateRunAsNonRoot,
	})

	// PSSRunAsUser is KM-0114.
	PSSRunAsUser = newPSSRule(pssSpec{
		ID: "KM-0114", Check: "runAsUser", Slug: "pss-run-as-user",
		Title:     "PSS restricted: pods and containers must not set runAsUser to 0",
		Practices: []string{"D1", "C1"},
		Rationale: "runAsUser: 0 explicitly runs the process as root, which contradicts runAsNonRoot and gives the " +
			"process root's powers over the container's files and any host resource it can reach.",
		Remediation: "Set runAsUser to a non-zero UID (one the image expects), or remove it and rely on the " +
			"image's non-root USER.",
		Locate: pssLocateRunAsUser,
	})

	// PSSSELinuxOptions is KM-0115.
	PSSSELinuxOptions = newPSSRule(pssSpec{
		ID: "KM-0115", Check: "seLinuxOptions", Slug: "pss-se-linux-options",
		Title:     "PSS baseline: SELinux options must not set a custom user, role or type",
		Practices: []string{"D1", "C20"},
		Rationale: "SELinux confines containers with the container_t type. Setting another type (spc_t, unconfined_t), " +
			"a user or a role lets a container escape that confinement.",
		Remediation: "Remove seLinuxOptions.user and seLinuxOptions.role and leave the type empty or set it to " +
			"container_t, container_init_t, container_kvm_t or (from policy v1.31) container_engine_t; level may be set.",
		Locate: pssLocateSELinuxOptions,
	})

	// PSSSeccompProfileBaseline is KM-0116.
	PSSSeccompProfileBaseline = newPSSRule(pssSpec{
		ID: "KM-0116", Check: "seccompProfile_baseline", Slug: "pss-seccomp-profile-baseline",
		Title:     "PSS baseline: seccomp must not be set to Unconfined",
		Practices: []string{"D1", "C18"}, CIS: []string{"5.7.2"},
		Rationale: "A seccomp profile blocks system calls that ordinary containers never make and that kernel " +
			"exploits rely on. An Unconfined profile removes that filter.",
		Remediation: "Set seccompProfile.type to RuntimeDefault or Localhost, or leave it unset; before policy v1.19 " +
			"the seccomp.security.alpha.kubernetes.io annotations must be runtime/default, docker/default or " +
			"localhost/<profile>.",
		Locate: pssLocateSeccompProfileBaseline,
	})

	// PSSSeccompProfileRestricted is KM-0117.
	PSSSeccompProfileRestricted = newPSSRule(pssSpec{
		ID: "KM-0117", Check: "seccompProfile_restricted", Slug: "pss-seccomp-profile-restricted",
		Title:     "PSS restricted: pods or every container must set seccomp to RuntimeDefault or Localhost",
		Practices: []string{"D1", "C18"}, CIS: []string{"5.7.2"},
		Rationale: "Unless a profile is set, containers run without seccomp on many clusters, so every system call " +
			"of the kernel is reachable from a compromised process. Requiring a profile makes the syscall filter " +
			"explicit.",
		Remediation: "Set securityContext.seccompProfile.type: RuntimeDefault in the pod's securityContext (or " +
			"Localhost with a localhostProfile), or on every container.",
		Locate: pssLocateSeccompProfileRestricted,
	})

	// PSSSysctls is KM-0118.
	PSSSysctls = newPSSRule(pssSpec{
		ID: "KM-0118", Check: "sysctls", Slug: "pss-sysctls",
		Title:     "PSS baseline: pods must set only safe sysctls",
		Practices: []string{"D1", "C10"},
		Rationale: "Sysctls outside the safe, namespaced set change kernel settings shared with every pod on the " +
			"node, or switch off security mechanisms, so one pod can weaken or disturb its neighbours.",
		Remediation: "Remove the sysctl from spec.securityContext.sysctls, or tune it on the nodes instead; the " +
			"safe set grows with the policy version (see the Pod Security Standards).",
		Locate: pssLocateSysctls,
	})

	// PSSWindowsHostProcess is KM-0119.
	PSSWindowsHostProcess = newPSSRule(pssSpec{
		ID: "KM-0119", Check: "windowsHostProcess", Slug: "pss-windows-host-process",
		Title:     "PSS baseline: Windows pods must not run as HostProcess containers",
		Practices: []string{"D1", "C4"}, CIS: []string{"5.2.11"},
		Rationale: "A Windows HostProcess container runs directly on the node with the host's network and " +
			"filesystem and the privileges of a node administrator: it is the Windows equivalent of a privileged " +
			"container.",
		Remediation: "Remove securityContext.windowsOptions.hostProcess or set it to false, on the pod and on every " +
			"container.",
		Locate: pssLocateWindowsHostProcess,
	})
)

// PSSRules returns the Pod Security Standards rules, sorted by ID: the rule set of the
// pss-baseline and pss-restricted profiles. Which of them fire depends on Settings.PSS.
func PSSRules() []*Rule {
	return []*Rule{
		PSSAllowPrivilegeEscalation,
		PSSAppArmorProfile,
		PSSCapabilitiesBaseline,
		PSSCapabilitiesRestricted,
		PSSHostNamespaces,
		PSSHostPathVolumes,
		PSSHostPorts,
		PSSHostProbesAndHostLifecycle,
		PSSPrivileged,
		PSSProcMount,
		PSSProcMountRestricted,
		PSSRestrictedVolumes,
		PSSRunAsNonRoot,
		PSSRunAsUser,
		PSSSELinuxOptions,
		PSSSeccompProfileBaseline,
		PSSSeccompProfileRestricted,
		PSSSysctls,
		PSSWindowsHostProcess,
	}
}

// pssSpec is one row of the table: what differs between the PSS rules.
type pssSpec struct {
	ID, Check, Slug, Title string
	Practices, CIS         []string
	Rationale, Remediation string
	// Locate finds the fields of the pod behind a violation of the check.
	Locate func(l *pssLocator) []pssSite
}

const pssDoc = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"

// pssChanges are the changes every pss-* rule went through.
var pssChanges = []string{
	"0.2.0: each finding names the practice of what failed (a missing drop ALL C15, an added capability C16, a hostPath C11 and C12 only when it reaches the runtime socket) rather than every practice of the rule; enabled under a profile that does not evaluate its check, the rule judges at its check's own level instead of reporting nothing.",
}

// newPSSRule builds a rule from its row. The level (and so the severity and the
// standards mapping) comes from the library, so it cannot drift from the check: baseline
// checks forbid known privilege escalations and are high; restricted checks are
// hardening on top and are medium.
func newPSSRule(s pssSpec) *Rule {
	level, ok := pss.Checks[s.Check]
	if !ok {
		panic("pss rule " + s.ID + ": unknown PSA check " + s.Check)
	}
	sev := rule.High
	if level == api.LevelRestricted {
		sev = rule.Medium
	}
	pssSpecs[s.ID] = &s
	return &Rule{
		Meta: rule.Meta{
			ID: s.ID, Slug: s.Slug, Title: s.Title, Severity: sev, Practices: s.Practices,
			Rationale: s.Rationale, Remediation: s.Remediation,
			References: []string{pssDoc + "#" + string(level), "https://kubernetes.io/docs/concepts/security/pod-security-admission/"},
			Standards:  rule.Standards{PSS: []string{string(level) + ":" + s.Check}, CIS: s.CIS},
			Since:      "0.1.0",
			Default:    false,
			Changes:    pssChanges,
		},
		Check: func(in *Input) []rule.Finding {
			return pssFindings(in, in.pssEvaluation(), s.Check, s.Locate)
		},
	}
}

// pssSpecs are the rows of the pss-* rules, by rule ID; filled as the rules are built.
var pssSpecs = map[string]*pssSpec{}

// PSSLevel returns the Pod Security level of the check a pss-* rule reports; ok is false
// for the other rules.
func (r *Rule) PSSLevel() (level api.Level, ok bool) {
	s := pssSpecs[r.ID]
	if s == nil {
		return "", false
	}
	return pss.Checks[s.Check], true
}

// PSSAtOwnLevel returns a pss-* rule as it runs when enabled outside the profiles that
// evaluate its check (the default profile, or pss-baseline for a restricted check): it
// judges the pod at the check's own level, at the version of the selected level (the
// latest when none is). Without it such a rule would report nothing, since the pod is
// judged at the selected level only, which does not evaluate the check. Other rules are
// returned as they are.
func PSSAtOwnLevel(r *Rule) *Rule {
	s := pssSpecs[r.ID]
	if s == nil {
		return r
	}
	own := pss.Checks[s.Check]
	return &Rule{Meta: r.Meta, Check: func(in *Input) []rule.Finding {
		e := in.pssEvaluation()
		if !levelCovers(e.lv.Level, own) {
			lv := in.Settings.PSS
			if lv.Version == (api.Version{}) {
				lv.Version = api.LatestVersion()
			}
			lv.Level = own
			e = evaluatePSS(in, lv) // rare: one rule the config enabled, so not cached
		}
		return pssFindings(in, e, s.Check, s.Locate)
	}}
}

// levelCovers tells whether judging a pod at a level evaluates the checks of another:
// restricted evaluates every check, baseline only its own.
func levelCovers(selected, check api.Level) bool {
	return selected == api.LevelRestricted || (selected == api.LevelBaseline && check == api.LevelBaseline)
}

// PSSCovered tells whether a pss-* rule reports anything when the pods are judged at level
// (empty or privileged: none); it is false for the other rules.
func PSSCovered(r *Rule, level api.Level) bool {
	own, ok := r.PSSLevel()
	return ok && levelCovers(level, own)
}

// pssFindings reports the violation of one check in an evaluation, one finding per
// offending field.
func pssFindings(in *Input, e *pssEval, check string, locate func(*pssLocator) []pssSite) []rule.Finding {
	for _, v := range e.vs {
		if v.Check != check {
			continue
		}
		sites := locate(&pssLocator{lv: e.lv, check: check, w: e.w})
		if len(sites) == 0 {
			// The locator could not tell which field: never lose the violation.
			sites = []pssSite{{path: e.w.SpecPath, v: v}}
		}
		out := make([]rule.Finding, len(sites))
		for i, s := range sites {
			out[i] = rule.Finding{Path: s.path, Message: pssMessage(e.lv, s.v), Practices: s.practices}
		}
		return out
	}
	return nil
}

// pssMessage words a violation the way admission does:
// `violates PodSecurity "restricted:latest": privileged (container "web" must not ...)`.
func pssMessage(lv pss.LevelVersion, v pss.Violation) string {
	var b strings.Builder
	b.WriteString(`violates PodSecurity "` + lv.String() + `": ` + v.Reason)
	if v.Detail != "" {
		b.WriteString(" (" + v.Detail + ")")
	}
	return b.String()
}

// evaluatePSS judges the input's pod at a level: the selected one (pssEvaluation) or a
// rule's own (PSSAtOwnLevel).
func evaluatePSS(in *Input, lv pss.LevelVersion) *pssEval {
	if in.Workload == nil {
		return &pssEval{lv: lv}
	}
	src := in.Workload
	w := &workload.Workload{Meta: src.Meta, PodMeta: src.PodMeta, PodMetaPath: src.PodMetaPath,
		Spec: pss.WithDefaults(src.Spec), SpecPath: src.SpecPath}
	return &pssEval{lv: lv, w: w, vs: pss.Evaluate(lv, w.PodMeta, w.Spec)}
}
