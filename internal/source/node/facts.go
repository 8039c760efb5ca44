package node

import (
	"fmt"
	"time"

	"github.com/kharden/kharden/internal/rules/flags"
)

// Facts is everything the node rules read, collected once by Collect.
type Facts struct {
	// Components holds every instance of the Kubernetes components found, in the order
	// of ComponentNames, instances of one component by PID (see the package
	// documentation for which source wins).
	Components []Component
	// ProcessesErr says why the process list could not be read (no <root>/proc); the
	// components were then looked for in manifests and units only.
	ProcessesErr error
	// ProcessErrors are the processes whose command line could not be read (not those
	// that ended while being read): one of them may be a component.
	ProcessErrors []error
	// Files holds the owner and mode of the files the CIS Benchmark's sections 1.1 and
	// 4.1 name, in the order of the roles below, each role's files sorted by path.
	Files []FileFact
	// OS holds the operating system's facts.
	OS OSFacts
	// Certificates holds the certificates of the *.crt files under /etc/kubernetes/pki,
	// in the order of Files, then the kubelet's client CA and serving certificate (see
	// CertFact).
	Certificates []CertFact
	// Now is when the facts were collected, the time certificates are judged at:
	// Options.Now, else FixtureTime for a Host from OpenFixture, else the clock's.
	Now time.Time
	// Errors are failures of the collector itself (a bug), one per part of the
	// collection that stopped; the other parts are complete.
	Errors []error
}

// Component names, as flags.Set.Component holds them.
const (
	APIServer         = flags.APIServer
	ControllerManager = flags.ControllerManager
	Scheduler         = flags.Scheduler
	Etcd              = flags.Etcd
	Kubelet           = "kubelet"    // flags.Kubelet
	Proxy             = "kube-proxy" // flags.Proxy
)

// ComponentNames lists the components Collect looks for, in its order.
var ComponentNames = []string{APIServer, ControllerManager, Scheduler, Etcd, Kubelet, Proxy}

// SourceKind says where a component's flags were read.
type SourceKind string

// The sources of a component, in precedence order.
const (
	FromProcess   SourceKind = "process"
	FromStaticPod SourceKind = "static-pod"
	FromUnit      SourceKind = "unit"
	// FromDefaults: no process or unit was found, and the kubelet's settings were read
	// from the files installers put at known paths (its config file, kubeadm's flags).
	FromDefaults SourceKind = "default-files"
)

// Component is one instance of a Kubernetes component on the node.
type Component struct {
	Name string
	Kind SourceKind
	// Source says where: "process 1234", "/etc/kubernetes/manifests/kube-apiserver.yaml",
	// "/etc/systemd/system/kubelet.service". It is also Flags.Source.
	Source string
	// Path is the main file of a component read FromDefaults (Source names them all).
	Path string
	// PID is the process's ID; 0 when Kind is not FromProcess.
	PID int
	// Line is the line of the command in Source: a manifest's first command or args
	// element, a unit's ExecStart; 0 for a process. A check about a flag that is missing
	// points there.
	Line int
	// Flags are the component's flags, never nil (empty when Err is set). Each value's
	// Origin has Arg (its index in the process's argv, the manifest's command+args or the
	// unit's expanded ExecStart), and for manifests and units File and Line: the line of
	// the argument in the manifest, the ExecStart line of the unit, or the Environment=
	// or EnvironmentFile= line that defined the variable an argument was expanded from.
	// For etcd, the ETCD_* environment is added (Set.AddEnv): the process's, the
	// container's env values in the manifest, or the unit's Environment= and
	// EnvironmentFile= variables, each with where it was set.
	// Flags.Files holds the content of the files the checks read (see FileFlags), by the
	// path the flag gives, read as the component sees them (see FileFact).
	Flags *flags.Set
	// FileErrors says, by path, why a file a flag names could not be read into
	// Flags.Files (a rule reports Error for it rather than Manual).
	FileErrors map[string]error
	// Err says why the component's flags could not be read (a manifest that does not
	// parse, a unit without ExecStart, an unreadable command line).
	Err error
}

// FileFlags lists, by component, the flags naming files whose content Collect reads into
// Component.Flags.Files. The kubelet's --config-dir adds an entry for the directory and
// one for each file in it.
var FileFlags = map[string][]string{
	APIServer: {"encryption-provider-config", "authorization-config", "authentication-config", "audit-policy-file"},
	Etcd:      {"config-file"},
	Kubelet:   {"config", "config-dir"},
	Proxy:     {"config"},
}

// Instances returns the instances of the named component.
func (f *Facts) Instances(name string) []Component {
	return filter(f.Components, func(c Component) bool { return c.Name == name })
}

func filter[T any](s []T, keep func(T) bool) []T {
	var out []T
	for _, e := range s {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// Role says why a file is audited.
type Role string

// The roles of the files in Facts.Files.
const (
	RoleAPIServerManifest         Role = "apiserver-manifest"          // CIS 1.1.1-2
	RoleControllerManagerManifest Role = "controller-manager-manifest" // CIS 1.1.3-4
	RoleSchedulerManifest         Role = "scheduler-manifest"          // CIS 1.1.5-6
	RoleEtcdManifest              Role = "etcd-manifest"               // CIS 1.1.7-8
	RoleCNIConfig                 Role = "cni-config"                  // CIS 1.1.9-10: /etc/cni/net.d and the files in it
	RoleEtcdDataDir               Role = "etcd-data-dir"               // CIS 1.1.11-12: etcd --data-dir, else /var/lib/etcd
	RoleAdminConf                 Role = "admin-conf"                  // CIS 1.1.13-14: /etc/kubernetes/admin.conf
	RoleSuperAdminConf            Role = "super-admin-conf"            // CIS 1.1.13-14: /etc/kubernetes/super-admin.conf
	RoleSchedulerKubeconfig       Role = "scheduler-kubeconfig"        // CIS 1.1.15-16: scheduler --kubeconfig, else /etc/kubernetes/scheduler.conf
	RoleControllerManagerConfig   Role = "controller-manager-kubeconfig"
	RolePKIDir                    Role = "pki-dir"         // CIS 1.1.19: /etc/kubernetes/pki and the directories under it
	RolePKICert                   Role = "pki-cert"        // CIS 1.1.19-20: *.crt under /etc/kubernetes/pki
	RolePKIKey                    Role = "pki-key"         // CIS 1.1.19, 1.1.21: *.key under /etc/kubernetes/pki
	RolePKIOther                  Role = "pki-other"       // CIS 1.1.19: the other files under /etc/kubernetes/pki
	RoleKubeletService            Role = "kubelet-service" // CIS 4.1.1-2: the kubelet's unit file
	RoleKubeletServiceDropIn      Role = "kubelet-service-drop-in"
	RoleProxyKubeconfig           Role = "proxy-kubeconfig"   // CIS 4.1.3-4: kube-proxy --kubeconfig or its config's clientConnection.kubeconfig
	RoleKubeletKubeconfig         Role = "kubelet-kubeconfig" // CIS 4.1.5-6: kubelet --kubeconfig, else /etc/kubernetes/kubelet.conf
	RoleKubeletClientCA           Role = "kubelet-client-ca"  // CIS 4.1.7-8: kubelet --client-ca-file or authentication.x509.clientCAFile
	RoleKubeletConfig             Role = "kubelet-config"     // CIS 4.1.9-10: kubelet --config, else /var/lib/kubelet/config.yaml
)

// FileFact is the owner and mode of one file, or why they could not be read. A path
// that a running component's flag names is looked up as that process sees it: in its
// root directory <root>/proc/<pid>/root (a container's files) when that can be opened,
// else on the host. Owners are named by the host's /etc/passwd and /etc/group.
type FileFact struct {
	Role Role
	// Path is the file's path on the host.
	Path string
	// File is valid when Err is nil.
	File File
	// Err says why the file could not be stat'ed; errors.Is(Err, fs.ErrNotExist) when
	// it does not exist.
	Err error
	// From names the flag the path was read from; nil for a default path.
	From *FlagRef
}

// FlagRef names the component flag (or config file field) a path was read from.
type FlagRef struct {
	Component string
	// Source is the component's Source.
	Source string
	// Flag is the flag's name without dashes ("kubeconfig"), or a config file field
	// ("authentication.x509.clientCAFile").
	Flag   string
	Origin flags.Origin
}

func (r *FlagRef) String() string {
	if r == nil {
		return "default path"
	}
	if r.Origin.Arg < 0 && r.Origin.File != "" {
		return fmt.Sprintf("%s %s (%s, %s)", r.Component, r.Flag, Pos{r.Origin.File, r.Origin.Line}, r.Source)
	}
	return fmt.Sprintf("%s --%s (%s)", r.Component, r.Flag, r.Source)
}

// FilesFor returns the file facts of one role.
func (f *Facts) FilesFor(role Role) []FileFact {
	return filter(f.Files, func(ff FileFact) bool { return ff.Role == role })
}

// Collect reads the facts of h with the default options. It never fails and never
// panics: what could not be read is an error in the fact concerned.
func Collect(h *Host) *Facts {
	return CollectOptions(h, Options{})
}

// Options tune CollectOptions.
type Options struct {
	// Sysctls are the sysctl keys whose running values OSFacts.Sysctls holds; nil means
	// DefaultSysctls.
	Sysctls []string
	// Now is the collection time (Facts.Now); zero means the clock's (FixtureTime for a
	// Host from OpenFixture).
	Now time.Time
}
