// Package seccomp reads seccomp profiles as scan inputs: OCI profile files (the JSON that
// kubelet's Localhost profiles, runc, containerd, CRI-O and Docker read) and Security
// Profiles Operator SeccompProfile objects. Both become a Profile with the position
// index of package manifest, so a rule's finding at a field path ("syscalls[2].names[0]")
// is placed at its file, line and column.
//
// A JSON file is an OCI profile when its top level is an object with a defaultAction key
// and no kind key (Sniff); Kubernetes objects always have a kind, and no other common JSON
// format has a top-level defaultAction.
package seccomp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/manifest"
)

// Kind is the Object.Kind of a profile; an OCI profile file's Object has no apiVersion
// (a Kubernetes object always has one, so the two cannot be confused).
const Kind = "SeccompProfile"

// SPOGroup is the Security Profiles Operator's API group.
const SPOGroup = "security-profiles-operator.x-k8s.io"

// Sniff tells whether data is an OCI seccomp profile: a JSON object whose top-level
// keys include defaultAction and not kind. Only the top level is read, up to the first
// syntax error: a profile broken further down is still a profile, and gets its error
// from Load.
func Sniff(data []byte) bool {
	data = bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\ufeff")))
	if len(data) == 0 || data[0] != '{' {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return false
	}
	found := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return found
		}
		key, _ := t.(string)
		switch key {
		case "kind":
			return false
		case "defaultAction":
			found = true
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return found
		}
	}
	return found
}

// Load reads an OCI profile file (one Sniff accepted) into a result with one document,
// whose Object is Kind with no apiVersion and the file's base name. A file that is not
// well-formed JSON gets the manifest loader's positioned error.
func Load(file string, data []byte) *manifest.Result {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	var n yaml.Node
	if !json.Valid(data) || yaml.Unmarshal(data, &n) != nil || len(n.Content) == 0 || n.Content[0].Kind != yaml.MappingNode {
		r := manifest.Load(file, data)
		if len(r.Errors) == 0 {
			r.Errors = append(r.Errors, &manifest.Error{File: file, Line: 1, Msg: "seccomp profile: not a well-formed JSON object"})
		}
		r.Notes = nil
		return r
	}
	d := &manifest.Document{File: file, Root: n.Content[0], JSON: data,
		Object: rule.Object{Kind: Kind, Name: filepath.Base(file)}}
	return &manifest.Result{Docs: []*manifest.Document{d}}
}

// Is tells whether a document is a seccomp profile: an OCI profile file Load made, or a
// Security Profiles Operator SeccompProfile object.
func Is(d *manifest.Document) bool {
	if d.Object.Kind != Kind {
		return false
	}
	return d.Object.APIVersion == "" || strings.HasPrefix(d.Object.APIVersion, SPOGroup+"/")
}

// Profile is a seccomp profile as the rules read it.
type Profile struct {
	// Base is the field path of the profile inside its document: "" for an OCI file,
	// "spec" for a SeccompProfile object. Rules give paths relative to it.
	Base   string
	Object rule.Object
	// DefaultAction, Architectures and Syscalls are the OCI profile's fields.
	DefaultAction string
	Architectures []string
	// ArchMap is Docker's form of architectures: each with its sub-architectures.
	ArchMap  []ArchMap
	Syscalls []Syscall
	// BaseProfileName is a SeccompProfile's base profile, whose syscalls the operator
	// adds to this one's when it installs it.
	BaseProfileName string
}

// ArchMap is one entry of Docker's archMap.
type ArchMap struct {
	Architecture     string   `json:"architecture"`
	SubArchitectures []string `json:"subArchitectures"`
}

// Syscall is one entry of a profile's syscalls.
type Syscall struct {
	Names  []string `json:"names"`
	Action string   `json:"action"`
	Args   []Arg    `json:"args"`
	// Includes and Excludes are Docker's conditions (capabilities, architectures,
	// kernel versions): Docker and CRI-O honour them, containerd and runc do not.
	Includes *Filter `json:"includes"`
	Excludes *Filter `json:"excludes"`
}

// Conditional tells whether Docker's includes or excludes restrict the rule.
func (s *Syscall) Conditional() bool {
	return s.Includes != nil && !s.Includes.empty() || s.Excludes != nil && !s.Excludes.empty()
}

// Filter is Docker's includes or excludes.
type Filter struct {
	Caps      []string `json:"caps"`
	Arches    []string `json:"arches"`
	MinKernel string   `json:"minKernel"`
}

func (f *Filter) empty() bool { return len(f.Caps) == 0 && len(f.Arches) == 0 && f.MinKernel == "" }

// Arg is a condition on one syscall argument.
type Arg struct {
	Index    *uint   `json:"index"`
	Value    *uint64 `json:"value"`
	ValueTwo uint64  `json:"valueTwo"`
	Op       string  `json:"op"`
}

// spec is the JSON of a profile, OCI, Docker's extensions and the operator's.
type spec struct {
	DefaultAction   string    `json:"defaultAction"`
	DefaultErrnoRet *uint     `json:"defaultErrnoRet"`
	Architectures   []string  `json:"architectures"`
	ArchMap         []ArchMap `json:"archMap"`
	Syscalls        []Syscall `json:"syscalls"`
	BaseProfileName string    `json:"baseProfileName"`
}

// Known fields: a profile's other fields are ignored by runtimes, and get a note.
var (
	specFields = []string{"defaultAction", "defaultErrnoRet", "architectures", "archMap", "syscalls",
		"flags", "listenerPath", "listenerMetadata"}
	spoFields     = []string{"baseProfileName", "disabled"}
	syscallFields = []string{"names", "action", "args", "errnoRet", "comment", "includes", "excludes"}
	argFields     = []string{"index", "value", "valueTwo", "op"}
)

var (
	actions = []string{"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
		"SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"}
	operators = []string{"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE",
		"SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"}
	// Architectures are the architecture names runtimes accept.
	Architectures = []string{"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM",
		"SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
		"SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE",
		"SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
		"SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB", "SCMP_ARCH_NATIVE"}
)

// Decode reads the profile of a document Is accepts. What a runtime would refuse (an
// unknown action, operator or architecture, a value of the wrong type, a rule without
// names) is an error at its field, and the profile is not judged; fields no runtime
// reads are notes.
func Decode(d *manifest.Document) (p *Profile, errs, notes []*manifest.Error) {
	p = &Profile{Object: d.Object}
	var s spec
	known := specFields
	if d.Object.APIVersion != "" {
		p.Base = "spec"
		known = append(slices.Clone(specFields), spoFields...)
		var obj struct {
			Spec *spec `json:"spec"`
		}
		if e := d.Decode(&obj); e != nil {
			return nil, []*manifest.Error{e}, nil
		}
		if obj.Spec == nil {
			return nil, []*manifest.Error{at(d, "", "SeccompProfile %s has no spec", d.Object.Name)}, nil
		}
		s = *obj.Spec
	} else if e := d.Decode(&s); e != nil {
		return nil, []*manifest.Error{e}, nil
	}
	path := func(rel string) string {
		if p.Base == "" || rel == "" {
			return p.Base + rel
		}
		return p.Base + "." + rel
	}
	bad := func(rel, format string, a ...any) {
		errs = append(errs, at(d, path(rel), format, a...))
	}
	notes = append(notes, unknownFields(d, path(""), known)...)
	p.DefaultAction, p.Architectures, p.ArchMap, p.Syscalls, p.BaseProfileName = s.DefaultAction, s.Architectures, s.ArchMap, s.Syscalls, s.BaseProfileName
	switch {
	case s.DefaultAction == "" && s.BaseProfileName == "":
		bad("", "seccomp profile: defaultAction is missing")
	case s.DefaultAction != "" && !slices.Contains(actions, s.DefaultAction):
		bad("defaultAction", "seccomp profile: defaultAction %q is not a seccomp action (%s)", clip(s.DefaultAction), strings.Join(actions, ", "))
	}
	for i, a := range s.Architectures {
		if !slices.Contains(Architectures, a) {
			bad(fmt.Sprintf("architectures[%d]", i), "seccomp profile: %q is not a seccomp architecture", clip(a))
		}
	}
	for i, m := range s.ArchMap {
		for j, a := range append([]string{m.Architecture}, m.SubArchitectures...) {
			if !slices.Contains(Architectures, a) {
				where := fmt.Sprintf("archMap[%d].architecture", i)
				if j > 0 {
					where = fmt.Sprintf("archMap[%d].subArchitectures[%d]", i, j-1)
				}
				bad(where, "seccomp profile: %q is not a seccomp architecture", clip(a))
			}
		}
	}
	for i, r := range s.Syscalls {
		where := fmt.Sprintf("syscalls[%d]", i)
		notes = append(notes, unknownFields(d, path(where), syscallFields)...)
		if len(r.Names) == 0 {
			bad(where, "seccomp profile: %s has no names", where)
		}
		for j, n := range r.Names {
			if n == "" || strings.ContainsFunc(n, func(c rune) bool { return !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') }) {
				bad(fmt.Sprintf("%s.names[%d]", where, j), "seccomp profile: %q is not a syscall name", clip(n))
			}
		}
		if !slices.Contains(actions, r.Action) {
			bad(where+".action", "seccomp profile: action %q is not a seccomp action (%s)", clip(r.Action), strings.Join(actions, ", "))
		}
		if len(r.Args) > 6 {
			bad(where+".args", "seccomp profile: %d argument conditions, at most 6", len(r.Args))
		}
		for j, a := range r.Args {
			aw := fmt.Sprintf("%s.args[%d]", where, j)
			notes = append(notes, unknownFields(d, path(aw), argFields)...)
			if a.Index != nil && *a.Index > 5 {
				bad(aw+".index", "seccomp profile: argument index %d: a syscall has arguments 0 to 5", *a.Index)
			}
			if !slices.Contains(operators, a.Op) {
				bad(aw+".op", "seccomp profile: op %q is not a seccomp operator (%s)", clip(a.Op), strings.Join(operators, ", "))
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs, notes
	}
	return p, nil, notes
}

// at is an error or note at a field path of a document.
func at(d *manifest.Document, path, format string, a ...any) *manifest.Error {
	line, col, _ := d.Locate(path)
	return &manifest.Error{File: d.File, Line: line, Column: col, Msg: fmt.Sprintf(format, a...)}
}

// unknownFields notes the keys of the mapping at path that are not in known.
func unknownFields(d *manifest.Document, path string, known []string) []*manifest.Error {
	n := d.Root
	if path != "" {
		steps, found := d.Walk(path)
		if found != path || len(steps) == 0 {
			return nil
		}
		n = steps[len(steps)-1].Value
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var out []*manifest.Error
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(known, k.Value) && len(out) < 20 {
			where := k.Value
			if path != "" {
				where = path + "." + k.Value
			}
			out = append(out, &manifest.Error{File: d.File, Line: k.Line, Column: k.Column,
				Msg: fmt.Sprintf("seccomp profile: unknown field %s: runtimes ignore it", clip(where))})
		}
	}
	return out
}

func clip(s string) string { return manifest.Clip(s, 100) }
