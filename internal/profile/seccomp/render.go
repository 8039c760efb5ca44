package seccomp

import (
	"encoding/json"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"sigs.k8s.io/yaml"
)

// Normalize puts a profile in its stable form: the names of each rule sorted and
// without duplicates, the architectures sorted, and the rules that allow without
// conditions merged into the first of them.
func Normalize(p *specs.LinuxSeccomp) {
	slices.Sort(p.Architectures)
	p.Architectures = slices.Compact(p.Architectures)
	var rules []specs.LinuxSyscall
	plain := -1
	for _, r := range p.Syscalls {
		r.Names = slices.Clone(r.Names)
		if r.Action == specs.ActAllow && len(r.Args) == 0 && r.ErrnoRet == nil {
			if plain >= 0 {
				rules[plain].Names = append(rules[plain].Names, r.Names...)
				continue
			}
			plain = len(rules)
		}
		rules = append(rules, r)
	}
	for i := range rules {
		slices.Sort(rules[i].Names)
		rules[i].Names = slices.Compact(rules[i].Names)
	}
	p.Syscalls = rules
}

// Marshal writes the profile as the indented JSON kubelet reads from
// /var/lib/kubelet/seccomp (a Localhost profile), runc from a bundle's config.json and
// Docker from --security-opt seccomp=FILE.
func Marshal(p *specs.LinuxSeccomp) []byte {
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		panic(err) // strings and numbers always marshal
	}
	return append(data, '\n')
}

// SPO names the Security Profiles Operator's API group and the versions kharden writes.
const (
	SPOGroup          = "security-profiles-operator.x-k8s.io"
	SPOSeccompVersion = SPOGroup + "/v1beta1"
)

// spoObject is the Security Profiles Operator's SeccompProfile: its spec holds the OCI
// profile's fields under the same names.
type spoObject struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace,omitempty"`
		Labels    map[string]string `json:"labels,omitempty"`
	} `json:"metadata"`
	Spec *specs.LinuxSeccomp `json:"spec"`
}

// MarshalSPO writes the profile as a Security Profiles Operator SeccompProfile object
// (security-profiles-operator.x-k8s.io/v1beta1), in YAML. The operator installs it on
// every node as operator/NAMESPACE/NAME.json under kubelet's seccomp directory.
func MarshalSPO(p *specs.LinuxSeccomp, name, namespace string) []byte {
	var o spoObject
	o.APIVersion, o.Kind = SPOSeccompVersion, "SeccompProfile"
	o.Metadata.Name, o.Metadata.Namespace = name, namespace
	o.Metadata.Labels = map[string]string{"app.kubernetes.io/managed-by": "kharden"}
	o.Spec = p
	data, err := yaml.Marshal(&o)
	if err != nil {
		panic(err)
	}
	return data
}
