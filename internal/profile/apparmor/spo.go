package apparmor

import (
	"fmt"
	"regexp"
	"slices"

	"sigs.k8s.io/yaml"

	"github.com/kharden/kharden/internal/profile"
)

// SPOVersion is the Security Profiles Operator API version of the AppArmorProfile
// objects kharden writes.
const SPOVersion = "security-profiles-operator.x-k8s.io/v1alpha1"

type spoObject struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace,omitempty"`
		Labels    map[string]string `json:"labels,omitempty"`
	} `json:"metadata"`
	Spec struct {
		Abstract spoAbstract `json:"abstract"`
	} `json:"spec"`
}

type spoAbstract struct {
	Executable *spoExecutable `json:"executable,omitempty"`
	Filesystem *spoFilesystem `json:"filesystem,omitempty"`
	Network    *spoNetwork    `json:"network,omitempty"`
	Capability *spoCapability `json:"capability,omitempty"`
}

type spoExecutable struct {
	AllowedExecutables []string `json:"allowedExecutables,omitempty"`
	AllowedLibraries   []string `json:"allowedLibraries,omitempty"`
}

type spoFilesystem struct {
	ReadOnlyPaths  []string `json:"readOnlyPaths,omitempty"`
	WriteOnlyPaths []string `json:"writeOnlyPaths,omitempty"`
	ReadWritePaths []string `json:"readWritePaths,omitempty"`
}

type spoNetwork struct {
	AllowRaw  *bool         `json:"allowRaw,omitempty"`
	Protocols *spoProtocols `json:"allowedProtocols,omitempty"`
}

type spoProtocols struct {
	AllowTCP *bool `json:"allowTcp,omitempty"`
	AllowUDP *bool `json:"allowUdp,omitempty"`
}

type spoCapability struct {
	AllowedCapabilities []string `json:"allowedCapabilities,omitempty"`
}

// spoPath is what the operator's CRD accepts in a path list.
var spoPath = regexp.MustCompile(`^/(?:[a-zA-Z0-9_./*?+@ -]|@\{[a-zA-Z0-9_]+\})*$`)

// MarshalSPO writes the profile as a Security Profiles Operator AppArmorProfile object
// (v1alpha1, spec.abstract), in YAML. The operator's abstract form is coarser than the
// profile: executables, libraries, read-only, write-only and read-write paths, TCP, UDP
// and raw sockets, capabilities. Paths its CRD's pattern refuses are left out and
// named in the returned warnings.
func (p *Profile) MarshalSPO(namespace string) ([]byte, []string) {
	var o spoObject
	o.APIVersion, o.Kind = SPOVersion, "AppArmorProfile"
	o.Metadata.Name, o.Metadata.Namespace = p.Name, namespace
	o.Metadata.Labels = map[string]string{"app.kubernetes.io/managed-by": "kharden"}
	a := &o.Spec.Abstract
	var warnings []string
	var exe, lib, ro, wo, rw []string
	for _, f := range p.Files {
		if !spoPath.MatchString(f.Path) {
			warnings = append(warnings, fmt.Sprintf("%s: the operator's CRD does not accept this path; left out of the AppArmorProfile", f.Path))
			continue
		}
		if f.Access&profile.Execute != 0 {
			exe = append(exe, f.Path)
		}
		if f.Access&profile.Map != 0 {
			lib = append(lib, f.Path)
		}
		switch f.Access & (profile.Read | profile.Write) {
		case profile.Read:
			ro = append(ro, f.Path)
		case profile.Write:
			wo = append(wo, f.Path)
		case profile.Read | profile.Write:
			rw = append(rw, f.Path)
		}
	}
	if len(exe)+len(lib) > 0 {
		a.Executable = &spoExecutable{exe, lib}
	}
	if len(ro)+len(wo)+len(rw) > 0 {
		a.Filesystem = &spoFilesystem{ro, wo, rw}
	}
	yes := true
	var tcp, udp, raw bool
	for _, s := range p.Sockets {
		inet := s.Family == "inet" || s.Family == "inet6"
		tcp = tcp || inet && s.Type == "stream"
		udp = udp || inet && s.Type == "dgram"
		raw = raw || s.Type == "raw" || s.Family == "packet"
	}
	if tcp || udp || raw {
		a.Network = &spoNetwork{}
		if raw {
			a.Network.AllowRaw = &yes
		}
		if tcp || udp {
			a.Network.Protocols = &spoProtocols{}
			if tcp {
				a.Network.Protocols.AllowTCP = &yes
			}
			if udp {
				a.Network.Protocols.AllowUDP = &yes
			}
		}
	}
	if len(p.Capabilities) > 0 {
		a.Capability = &spoCapability{slices.Clone(p.Capabilities)}
	}
	data, err := yaml.Marshal(&o)
	if err != nil {
		panic(err)
	}
	return data, warnings
}
