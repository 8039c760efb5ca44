package seccomp

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
)

// Baseline are the syscalls a container runtime makes between loading a container's
// seccomp profile and executing its program: a profile that denies them stops the
// container before the program starts. They depend on the runtime, its version, and
// whether the process gets no_new_privs (Kubernetes sets it when
// allowPrivilegeEscalation is false): without it the runtime must load the filter
// earlier, while it still has work to do.
type Baseline struct {
	Runtime    string   `json:"runtime"`
	Version    string   `json:"version"`
	NoNewPrivs bool     `json:"noNewPrivileges"`
	Syscalls   []string `json:"syscalls"`
}

// baselineFile is one runtime's measurement, as hack/profile/measure-baseline.sh writes it.
type baselineFile struct {
	Runtime   string `json:"runtime"`
	Version   string `json:"version"`
	Package   string `json:"package"`
	Measured  string `json:"measured"`
	Kernel    string `json:"kernel"`
	Method    string `json:"method"`
	Baselines []struct {
		NoNewPrivs bool     `json:"noNewPrivileges"`
		Syscalls   []string `json:"syscalls"`
	} `json:"baselines"`
}

//go:embed baselines/*.json
var baselineFS embed.FS

// Runtimes lists the runtimes with a shipped baseline.
func Runtimes() []string {
	entries, _ := baselineFS.ReadDir("baselines")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".json"))
	}
	return out
}

// LookupBaseline returns the shipped baseline of runtime ("runc", "crun") with or
// without no_new_privs.
func LookupBaseline(runtime string, noNewPrivs bool) (*Baseline, error) {
	data, err := baselineFS.ReadFile(path.Join("baselines", runtime+".json"))
	if err != nil {
		return nil, fmt.Errorf("no baseline for runtime %q (kharden has %s)", runtime, strings.Join(Runtimes(), ", "))
	}
	var f baselineFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("baseline %s: %w", runtime, err)
	}
	for _, b := range f.Baselines {
		if b.NoNewPrivs == noNewPrivs {
			return &Baseline{Runtime: f.Runtime, Version: f.Version, NoNewPrivs: noNewPrivs, Syscalls: slices.Clone(b.Syscalls)}, nil
		}
	}
	return nil, fmt.Errorf("baseline %s has no measurement with noNewPrivileges=%v", runtime, noNewPrivs)
}
