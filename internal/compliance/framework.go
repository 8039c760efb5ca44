// Package compliance reads kharden's results against a framework an auditor asks about
// (the CIS Kubernetes Benchmark, a Pod Security Standards level, the NSA/CISA Kubernetes
// Hardening Guide): one verdict per control, with the findings behind it. The controls
// are data; which rules speak to a control comes from each rule's Meta.Standards, so a
// rule added with a mapping shows up here without a change.
package compliance

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kharden/kharden/internal/benchmark"
	"github.com/kharden/kharden/internal/pss"
	"github.com/kharden/kharden/internal/rule"
)

// Control is one requirement of a framework.
type Control struct {
	// ID is the framework's own name for it: "1.2.1", a Pod Security check
	// ("hostNamespaces"), a section of the NSA/CISA guide.
	ID string
	// Section is the heading it is listed under.
	Section string
	Title   string
	// Manual is set for a control the framework leaves to a person (CIS Manual items).
	Manual bool
}

// Framework is a named list of controls and the way rules map onto them.
type Framework struct {
	Name, Title string
	Controls    []Control
	// ids maps a rule's metadata to the controls it speaks to.
	ids func(m *rule.Meta) []string
}

// Names lists the frameworks Lookup knows, as the CLI offers them.
var Names = []string{"cis-1.12", "pss-baseline", "pss-restricted", "nsa-cisa"}

// Lookup returns the framework with a name of Names.
func Lookup(name string) (*Framework, error) {
	switch name {
	case "cis-1.12":
		return cis112(), nil
	case "pss-baseline":
		return podSecurity("baseline"), nil
	case "pss-restricted":
		return podSecurity("restricted"), nil
	case "nsa-cisa":
		return nsaCISA(), nil
	}
	return nil, fmt.Errorf("unknown framework %q (want one of %s)", name, strings.Join(Names, ", "))
}

// ControlsOf returns the IDs of the controls of f that a rule speaks to, as its
// metadata declares them; those the framework does not list are left out.
func (f *Framework) ControlsOf(m *rule.Meta) []string {
	var out []string
	for _, id := range f.ids(m) {
		if f.has(id) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func (f *Framework) has(id string) bool {
	return slices.ContainsFunc(f.Controls, func(c Control) bool { return c.ID == id })
}

// isDockerOrImage tells whether a rule judges Dockerfiles or images: their CIS items are
// those of the CIS Docker Benchmark, whose numbers overlap the Kubernetes benchmark's.
func isDockerOrImage(m *rule.Meta) bool {
	return strings.HasPrefix(m.ID, "DF-") || strings.HasPrefix(m.ID, "IM-")
}

// cis112 is the CIS Kubernetes Benchmark v1.12: sections 1 to 4 from the benchmark data
// that audit node numbers its report by, and section 5 (policies) below.
func cis112() *Framework {
	b := benchmark.CIS112()
	f := &Framework{Name: b.Name, Title: b.Title}
	titles := map[string]string{}
	for _, s := range b.Sections() {
		titles[s.ID] = s.Title
	}
	for _, it := range b.Items {
		f.Controls = append(f.Controls, Control{ID: it.ID, Section: it.Section + " " + titles[it.Section],
			Title: it.Title, Manual: !it.Automated()})
	}
	for _, c := range cisPolicies {
		c.Section = "5 Policies"
		f.Controls = append(f.Controls, c)
	}
	f.ids = func(m *rule.Meta) []string {
		if isDockerOrImage(m) {
			return nil
		}
		return m.Standards.CIS
	}
	return f
}

// cisPolicies is section 5 of the benchmark: the numbering and the Automated/Manual split
// are the benchmark's, the titles kharden's words.
var cisPolicies = []Control{
	{ID: "5.1.1", Title: "cluster-admin is bound only where required"},
	{ID: "5.1.2", Title: "Few subjects can read secrets"},
	{ID: "5.1.3", Title: "Roles and ClusterRoles use no wildcards"},
	{ID: "5.1.4", Title: "Few subjects can create pods"},
	{ID: "5.1.5", Title: "Default service accounts are not used"},
	{ID: "5.1.6", Title: "Service-account tokens are mounted only where needed"},
	{ID: "5.1.7", Title: "The system:masters group is not used", Manual: true},
	{ID: "5.1.8", Title: "Few subjects can bind, impersonate or escalate", Manual: true},
	{ID: "5.1.9", Title: "Few subjects can create persistent volumes", Manual: true},
	{ID: "5.1.10", Title: "Few subjects can reach the nodes/proxy subresource", Manual: true},
	{ID: "5.1.11", Title: "Few subjects can approve certificate signing requests", Manual: true},
	{ID: "5.1.12", Title: "Few subjects can change webhook configurations", Manual: true},
	{ID: "5.1.13", Title: "Few subjects can create service-account tokens", Manual: true},
	{ID: "5.2.1", Title: "The cluster has an active policy control mechanism", Manual: true},
	{ID: "5.2.2", Title: "Privileged containers are not admitted", Manual: true},
	{ID: "5.2.3", Title: "Containers sharing the host PID namespace are not admitted"},
	{ID: "5.2.4", Title: "Containers sharing the host IPC namespace are not admitted"},
	{ID: "5.2.5", Title: "Containers sharing the host network namespace are not admitted"},
	{ID: "5.2.6", Title: "Containers allowing privilege escalation are not admitted"},
	{ID: "5.2.7", Title: "Root containers are not admitted"},
	{ID: "5.2.8", Title: "Containers with NET_RAW are not admitted"},
	{ID: "5.2.9", Title: "Containers adding capabilities are not admitted"},
	{ID: "5.2.10", Title: "Containers with capabilities assigned are few", Manual: true},
	{ID: "5.2.11", Title: "Windows HostProcess containers are not admitted", Manual: true},
	{ID: "5.2.12", Title: "HostPath volumes are not admitted", Manual: true},
	{ID: "5.2.13", Title: "Containers using host ports are not admitted", Manual: true},
	{ID: "5.3.1", Title: "The CNI plugin supports NetworkPolicies", Manual: true},
	{ID: "5.3.2", Title: "Every namespace has NetworkPolicies", Manual: true},
	{ID: "5.4.1", Title: "Secrets are mounted as files, not environment variables", Manual: true},
	{ID: "5.4.2", Title: "Secrets are kept in an external store", Manual: true},
	{ID: "5.5.1", Title: "Image provenance is enforced at admission", Manual: true},
	{ID: "5.7.1", Title: "Namespaces draw administrative boundaries", Manual: true},
	{ID: "5.7.2", Title: "Pods run with a seccomp profile", Manual: true},
	{ID: "5.7.3", Title: "Pods and containers set a security context", Manual: true},
	{ID: "5.7.4", Title: "The default namespace is not used", Manual: true},
}

// podSecurity is a Pod Security Standards level: its checks, and the baseline's for
// restricted, as Kubernetes' pod-security-admission library defines them. Rules name a
// check as "level:check".
func podSecurity(level string) *Framework {
	f := &Framework{Name: "pss-" + level, Title: "Pod Security Standards, " + level + " level"}
	var ids []string
	for id, l := range pss.Checks {
		if string(l) == "baseline" || string(l) == level {
			ids = append(ids, string(l)+"\x00"+id)
		}
	}
	slices.Sort(ids) // baseline first, then restricted; by check within a level
	for _, k := range ids {
		l, id, _ := strings.Cut(k, "\x00")
		title := pssTitles[id]
		if title == "" {
			title = id // a check newer than this table: named, still evaluated
		}
		f.Controls = append(f.Controls, Control{ID: id, Section: strings.ToUpper(l[:1]) + l[1:], Title: title})
	}
	f.ids = func(m *rule.Meta) []string {
		var out []string
		for _, s := range m.Standards.PSS {
			if _, check, ok := strings.Cut(s, ":"); ok {
				out = append(out, check)
			}
		}
		return out
	}
	return f
}

// pssTitles say what each Pod Security check requires, in kharden's words.
var pssTitles = map[string]string{
	"appArmorProfile":            "AppArmor profile is not unconfined",
	"capabilities_baseline":      "Only the baseline's capabilities are added",
	"hostNamespaces":             "Host PID, IPC and network namespaces are not shared",
	"hostPathVolumes":            "No hostPath volumes",
	"hostPorts":                  "No host ports",
	"hostProbesAndHostLifecycle": "Probes and lifecycle handlers do not target the host",
	"privileged":                 "No privileged containers",
	"procMount":                  "The default /proc mount",
	"seLinuxOptions":             "SELinux type and user are not set to unsafe values",
	"seccompProfile_baseline":    "seccomp profile is not Unconfined",
	"sysctls":                    "Only safe sysctls",
	"windowsHostProcess":         "No Windows HostProcess containers",
	"allowPrivilegeEscalation":   "allowPrivilegeEscalation is false",
	"capabilities_restricted":    "Capabilities drop ALL and add at most NET_BIND_SERVICE",
	"procMount_restricted":       "The default /proc mount (user namespaces included)",
	"restrictedVolumes":          "Only the restricted level's volume types",
	"runAsNonRoot":               "Containers run as non-root",
	"runAsUser":                  "runAsUser is not 0",
	"seccompProfile_restricted":  "seccomp profile is RuntimeDefault or Localhost",
}

// nsaCISA is the NSA/CISA Kubernetes Hardening Guide: its sections and the subsections
// rules name, as "section: subsection" (or the section alone, for guidance the section
// gives as a whole).
func nsaCISA() *Framework {
	f := &Framework{Name: "nsa-cisa", Title: "NSA/CISA Kubernetes Hardening Guide"}
	for _, s := range nsaSections {
		for _, sub := range s.subs {
			id, title := s.name+": "+sub, sub
			if sub == "" {
				id, title = s.name, "The section's guidance as a whole"
			}
			f.Controls = append(f.Controls, Control{ID: id, Section: s.name, Title: title})
		}
	}
	f.ids = func(m *rule.Meta) []string { return m.Standards.NSA }
	return f
}

var nsaSections = []struct {
	name string
	subs []string
}{
	{"Kubernetes Pod security", []string{"non-root containers and rootless container engines", "immutable container file systems",
		"building secure container images", "Pod security enforcement", "protecting Pod service account tokens",
		"hardening container environments"}},
	{"Network separation and hardening", []string{"", "namespaces", "network policies", "resource policies",
		"control plane hardening", "etcd", "kubeconfig files", "worker node segmentation", "encryption", "secrets",
		"protecting sensitive cloud infrastructure"}},
	{"Authentication and authorization", []string{"authentication", "role-based access control",
		"admission controllers", "encryption of secrets at rest"}},
	{"Logging and threat detection", []string{"Kubernetes audit logging", "worker node and container logging",
		"seccomp audit mode", "SIEM platforms", "alerting", "threat detection"}},
	{"Upgrading and application security practices", []string{""}},
}
