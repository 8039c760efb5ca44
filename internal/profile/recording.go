// Package profile holds what a recorded program did (a Recording) in the form the
// generators read: the syscalls it made, by kernel name, and, for AppArmor, the files it
// read, wrote, mapped and executed, the capabilities it used and the socket families it
// opened. Subpackages turn a Recording into profiles (seccomp, apparmor), record one
// with ptrace (trace), and write the node's kernel module policy (modules).
//
// A Recording is plain data: it marshals to the JSON that kharden profile record writes
// beside the profiles (recording.json) and kharden profile merge reads back, and Merge
// unions several runs of one program, since one run rarely shows everything.
package profile

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// FormatVersion is the version of the recording.json format.
const FormatVersion = 1

// Access is what a program did with a file, as AppArmor mediates it.
type Access uint8

// Access bits.
const (
	Read    Access = 1 << iota // opened for reading
	Write                      // opened for writing, created, removed, renamed, changed
	Map                        // mapped executable (a shared library, the dynamic loader)
	Execute                    // executed
	Link                       // a hard link made with this name
	Dir                        // the path is a directory (AppArmor spells it with a trailing /)
)

// String spells the access as the recording file does: "r", "w", "m", "x", "l" and "d" in
// that order.
func (a Access) String() string {
	var b strings.Builder
	for i, c := range "rwmxld" {
		if a&(1<<i) != 0 {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// ParseAccess reads what String writes.
func ParseAccess(s string) (Access, error) {
	var a Access
	for _, c := range s {
		i := strings.IndexRune("rwmxld", c)
		if i < 0 {
			return 0, fmt.Errorf("access %q: %q is not one of r, w, m, x, l, d", s, c)
		}
		a |= 1 << i
	}
	return a, nil
}

func (a Access) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

func (a *Access) UnmarshalText(b []byte) error {
	v, err := ParseAccess(string(b))
	*a = v
	return err
}

// Socket is a socket family and type a program opened ("inet", "stream").
type Socket struct {
	Family string `json:"family"`
	Type   string `json:"type"`
}

// Recording is what one or more runs of a program did.
type Recording struct {
	// Version is FormatVersion.
	Version int `json:"version"`
	// Command is the command line recorded (the first run's, after a merge).
	Command []string `json:"command,omitempty"`
	// Runs counts the runs merged into this recording.
	Runs int `json:"runs"`
	// Arches are the kernel architecture names the runs used ("x86_64", "aarch64").
	Arches []string `json:"arches"`
	// Syscalls counts the calls of each syscall, by kernel name, over all runs.
	Syscalls map[string]int `json:"syscalls"`
	// Unknown are syscall numbers the architecture's table does not name, with their
	// counts: they cannot be written into a profile by name.
	Unknown map[int]int `json:"unknownSyscalls,omitempty"`
	// Files are the absolute paths the programs opened, created, mapped or executed.
	Files map[string]Access `json:"files,omitempty"`
	// Capabilities are the capabilities that syscalls which succeeded needed
	// ("net_bind_service"), inferred from the syscall and its arguments.
	Capabilities []string `json:"capabilities,omitempty"`
	// Sockets are the socket families and types opened.
	Sockets []Socket `json:"sockets,omitempty"`
	// GoRuntime is true when a program executed was built with Go: its runtime makes
	// syscalls that depend on scheduling (see seccomp.GoRuntime).
	GoRuntime bool `json:"goRuntime,omitempty"`
}

// New returns an empty recording of one run.
func New(command []string, arch string) *Recording {
	return &Recording{
		Version: FormatVersion, Command: slices.Clone(command), Runs: 1, Arches: []string{arch},
		Syscalls: map[string]int{}, Unknown: map[int]int{}, Files: map[string]Access{},
	}
}

// AddFile records access to path.
func (r *Recording) AddFile(path string, a Access) {
	if r.Files == nil {
		r.Files = map[string]Access{}
	}
	r.Files[path] |= a
}

// AddCapability records a capability, spelled as AppArmor does ("sys_admin").
func (r *Recording) AddCapability(c string) {
	if !slices.Contains(r.Capabilities, c) {
		r.Capabilities = append(r.Capabilities, c)
		slices.Sort(r.Capabilities)
	}
}

// AddSocket records a socket family and type.
func (r *Recording) AddSocket(s Socket) {
	if !slices.Contains(r.Sockets, s) {
		r.Sockets = append(r.Sockets, s)
		sortSockets(r.Sockets)
	}
}

func sortSockets(s []Socket) {
	slices.SortFunc(s, func(a, b Socket) int {
		if c := strings.Compare(a.Family, b.Family); c != 0 {
			return c
		}
		return strings.Compare(a.Type, b.Type)
	})
}

// SyscallNames returns the names of the syscalls recorded, sorted.
func (r *Recording) SyscallNames() []string {
	return slices.Sorted(maps.Keys(r.Syscalls))
}

// Merge returns the union of recordings: counts add up, files' accesses combine.
func Merge(recs ...*Recording) *Recording {
	out := &Recording{Version: FormatVersion, Syscalls: map[string]int{}, Unknown: map[int]int{}, Files: map[string]Access{}}
	for _, r := range recs {
		if out.Command == nil {
			out.Command = slices.Clone(r.Command)
		}
		out.Runs += r.Runs
		for _, a := range r.Arches {
			if !slices.Contains(out.Arches, a) {
				out.Arches = append(out.Arches, a)
			}
		}
		for k, v := range r.Syscalls {
			out.Syscalls[k] += v
		}
		for k, v := range r.Unknown {
			out.Unknown[k] += v
		}
		for k, v := range r.Files {
			out.Files[k] |= v
		}
		for _, c := range r.Capabilities {
			out.AddCapability(c)
		}
		for _, s := range r.Sockets {
			out.AddSocket(s)
		}
		out.GoRuntime = out.GoRuntime || r.GoRuntime
	}
	slices.Sort(out.Arches)
	return out
}

// Marshal writes the recording as indented JSON, keys sorted: the same recording always
// gives the same bytes.
func (r *Recording) Marshal() []byte {
	c := *r
	if c.Unknown != nil && len(c.Unknown) == 0 {
		c.Unknown = nil
	}
	slices.Sort(c.Arches)
	data, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		panic(err) // maps of strings and ints always marshal
	}
	return append(data, '\n')
}

// Parse reads a recording that Marshal wrote, and checks it.
func Parse(data []byte) (*Recording, error) {
	var r Recording
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("not a kharden recording: %w", err)
	}
	if r.Version != FormatVersion {
		return nil, fmt.Errorf("recording format version %d, want %d", r.Version, FormatVersion)
	}
	if len(r.Arches) == 0 {
		return nil, fmt.Errorf("recording names no architecture")
	}
	for name := range r.Syscalls {
		if name == "" || strings.ContainsFunc(name, func(c rune) bool { return !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') }) {
			return nil, fmt.Errorf("recording: %q is not a syscall name", name)
		}
	}
	for p := range r.Files {
		if !strings.HasPrefix(p, "/") {
			return nil, fmt.Errorf("recording: file %q is not an absolute path", p)
		}
	}
	if r.Syscalls == nil {
		r.Syscalls = map[string]int{}
	}
	if r.Runs == 0 {
		r.Runs = 1
	}
	return &r, nil
}
