package seccomp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"sigs.k8s.io/yaml"
)

var (
	actions = []specs.LinuxSeccompAction{
		specs.ActKill, specs.ActKillProcess, specs.ActKillThread, specs.ActTrap, specs.ActErrno,
		specs.ActTrace, specs.ActAllow, specs.ActLog, specs.ActNotify,
	}
	operators = []specs.LinuxSeccompOperator{
		specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual, specs.OpEqualTo,
		specs.OpGreaterEqual, specs.OpGreaterThan, specs.OpMaskedEqual,
	}
	archNames = []specs.Arch{
		specs.ArchX86, specs.ArchX86_64, specs.ArchX32, specs.ArchARM, specs.ArchAARCH64,
		specs.ArchMIPS, specs.ArchMIPS64, specs.ArchMIPS64N32, specs.ArchMIPSEL, specs.ArchMIPSEL64,
		specs.ArchMIPSEL64N32, specs.ArchPPC, specs.ArchPPC64, specs.ArchPPC64LE, specs.ArchS390,
		specs.ArchS390X, specs.ArchPARISC, specs.ArchPARISC64, specs.ArchRISCV64, "SCMP_ARCH_NATIVE",
	}
)

// Parse reads a seccomp profile: the OCI JSON (a Localhost profile, a bundle's
// linux.seccomp) or a Security Profiles Operator SeccompProfile object in JSON or YAML.
// It checks what a runtime would refuse or silently misread (unknown fields, actions,
// operators, architectures, badly formed names) and returns warnings for what a runtime
// accepts but probably is not meant: names no syscall table knows (runc ignores them).
func Parse(data []byte) (p *specs.LinuxSeccomp, warnings []string, err error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, nil, errors.New("empty file: not a seccomp profile")
	}
	js := trimmed
	if trimmed[0] != '{' {
		if js, err = yaml.YAMLToJSON(trimmed); err != nil {
			return nil, nil, fmt.Errorf("neither JSON nor YAML: %w", err)
		}
	}
	var head struct {
		Kind       string          `json:"kind"`
		APIVersion string          `json:"apiVersion"`
		Spec       json.RawMessage `json:"spec"`
	}
	if err := json.Unmarshal(js, &head); err != nil {
		return nil, nil, jsonError(js, err)
	}
	if head.Kind != "" {
		if head.Kind != "SeccompProfile" || !strings.HasPrefix(head.APIVersion, SPOGroup+"/") {
			return nil, nil, fmt.Errorf("%s %s is not a seccomp profile (want an OCI profile or a %s SeccompProfile)", head.APIVersion, head.Kind, SPOGroup)
		}
		if len(head.Spec) == 0 {
			return nil, nil, errors.New("SeccompProfile has no spec")
		}
		js = head.Spec
	}
	var prof struct {
		specs.LinuxSeccomp
		BaseProfileName string `json:"baseProfileName"` // SPO only
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&prof); err != nil {
		return nil, nil, jsonError(js, err)
	}
	p = &prof.LinuxSeccomp
	if prof.BaseProfileName != "" {
		warnings = append(warnings, fmt.Sprintf("baseProfileName %q: the base profile's syscalls are not included here", prof.BaseProfileName))
	}
	if p.DefaultAction == "" {
		return nil, nil, errors.New("defaultAction is missing")
	}
	if !slices.Contains(actions, p.DefaultAction) {
		return nil, nil, fmt.Errorf("defaultAction %q is not a seccomp action (%s)", p.DefaultAction, join(actions))
	}
	for _, a := range p.Architectures {
		if !slices.Contains(archNames, a) {
			return nil, nil, fmt.Errorf("architectures: %q is not a seccomp architecture", a)
		}
	}
	var tables []Arch
	for _, a := range arches {
		if len(p.Architectures) == 0 || slices.Contains(p.Architectures, a.Seccomp) {
			tables = append(tables, a)
		}
	}
	if len(tables) == 0 {
		tables = arches
	}
	for i, r := range p.Syscalls {
		where := fmt.Sprintf("syscalls[%d]", i)
		if len(r.Names) == 0 {
			return nil, nil, fmt.Errorf("%s: names is empty", where)
		}
		if !slices.Contains(actions, r.Action) {
			return nil, nil, fmt.Errorf("%s: action %q is not a seccomp action (%s)", where, r.Action, join(actions))
		}
		if r.ErrnoRet != nil && r.Action != specs.ActErrno && r.Action != specs.ActTrace {
			return nil, nil, fmt.Errorf("%s: errnoRet is only for SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not %s", where, r.Action)
		}
		for j, n := range r.Names {
			if n == "" || strings.ContainsFunc(n, func(c rune) bool { return !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') }) {
				return nil, nil, fmt.Errorf("%s.names[%d]: %q is not a syscall name", where, j, n)
			}
			if !Known(n, tables) {
				warnings = append(warnings, fmt.Sprintf("%s.names[%d]: no syscall %q on %s (runtimes ignore it)", where, j, n, archList(tables)))
			}
		}
		if len(r.Args) > 6 {
			return nil, nil, fmt.Errorf("%s: %d args conditions, at most 6", where, len(r.Args))
		}
		for j, a := range r.Args {
			if a.Index > 5 {
				return nil, nil, fmt.Errorf("%s.args[%d]: index %d, a syscall has arguments 0 to 5", where, j, a.Index)
			}
			if !slices.Contains(operators, a.Op) {
				return nil, nil, fmt.Errorf("%s.args[%d]: op %q is not a seccomp operator", where, j, a.Op)
			}
		}
	}
	return p, warnings, nil
}

func archList(as []Arch) string {
	var s []string
	for _, a := range as {
		s = append(s, a.Name)
	}
	return strings.Join(s, " or ")
}

func join[T ~string](v []T) string {
	var s []string
	for _, x := range v {
		s = append(s, string(x))
	}
	return strings.Join(s, ", ")
}

// jsonError gives a decoding error the line it happened on, when it has an offset.
func jsonError(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return fmt.Errorf("not a seccomp profile: %w", err)
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	return fmt.Errorf("line %d: not a seccomp profile: %w", line, err)
}
