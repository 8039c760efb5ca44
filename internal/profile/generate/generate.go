// Package generate turns a recording into the files kharden profile record and merge
// write: the seccomp profile, the AppArmor profile, their Security Profiles Operator
// objects and the recording itself, named after the profile. It is pure.
package generate

import (
	"fmt"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/kharden/kharden/internal/profile"
	"github.com/kharden/kharden/internal/profile/apparmor"
	"github.com/kharden/kharden/internal/profile/seccomp"
)

// Formats are the output formats, in the order "all" writes them.
var Formats = []string{"seccomp", "apparmor", "spo"}

// Options choose what to write.
type Options struct {
	// Name names the profiles and their files.
	Name string
	// Namespace is the SPO objects' namespace ("" for none).
	Namespace string
	// Formats are some of Formats, or "all".
	Formats []string
	// Baseline is the container runtime's baseline, added to the seccomp profile.
	Baseline *seccomp.Baseline
}

// File is one file to write.
type File struct {
	Name string
	Data []byte
}

// ParseFormats reads a --format value: formats separated by commas, or "all".
func ParseFormats(v string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		switch {
		case f == "all":
			out = append(out, Formats...)
		case slices.Contains(Formats, f):
			out = append(out, f)
		default:
			return nil, fmt.Errorf("unknown format %q (want %s or all)", f, strings.Join(Formats, ", "))
		}
	}
	slices.SortFunc(out, func(a, b string) int { return slices.Index(Formats, a) - slices.Index(Formats, b) })
	return slices.Compact(out), nil
}

// Files are the files for a recording: NAME.json (seccomp), NAME.apparmor,
// NAME.seccompprofile.yaml and NAME.apparmorprofile.yaml (spo), and always
// NAME.recording.json, which kharden profile merge reads.
func Files(rec *profile.Recording, o Options) ([]File, []string, error) {
	if err := apparmor.CheckName(o.Name); err != nil {
		return nil, nil, err
	}
	var files []File
	var warnings []string
	var sp *specs.LinuxSeccomp
	if slices.Contains(o.Formats, "seccomp") || slices.Contains(o.Formats, "spo") {
		var err error
		if sp, err = seccomp.Generate(rec, seccomp.Options{Baseline: o.Baseline}); err != nil {
			return nil, nil, err
		}
	}
	var ap *apparmor.Profile
	if slices.Contains(o.Formats, "apparmor") || slices.Contains(o.Formats, "spo") {
		if len(rec.Files) == 0 {
			return nil, nil, fmt.Errorf("the recording has no files: record with --format apparmor, spo or all")
		}
		var err error
		if ap, err = apparmor.Generate(rec, apparmor.Options{Name: o.Name}); err != nil {
			return nil, nil, err
		}
		warnings = append(warnings, ap.Warnings...)
	}
	for _, f := range o.Formats {
		switch f {
		case "seccomp":
			files = append(files, File{o.Name + ".json", seccomp.Marshal(sp)})
		case "apparmor":
			files = append(files, File{o.Name + ".apparmor", ap.Marshal()})
		case "spo":
			files = append(files, File{o.Name + ".seccompprofile.yaml", seccomp.MarshalSPO(sp, o.Name, o.Namespace)})
			data, w := ap.MarshalSPO(o.Namespace)
			warnings = append(warnings, w...)
			files = append(files, File{o.Name + ".apparmorprofile.yaml", data})
		}
	}
	files = append(files, File{o.Name + ".recording.json", rec.Marshal()})
	return files, warnings, nil
}

// SeccompFiles are the files for a seccomp profile that has no recording behind it (a
// merge of profiles): NAME.json and, with spo, NAME.seccompprofile.yaml.
func SeccompFiles(p *specs.LinuxSeccomp, o Options) ([]File, error) {
	if err := apparmor.CheckName(o.Name); err != nil {
		return nil, err
	}
	var files []File
	for _, f := range o.Formats {
		switch f {
		case "seccomp":
			files = append(files, File{o.Name + ".json", seccomp.Marshal(p)})
		case "spo":
			files = append(files, File{o.Name + ".seccompprofile.yaml", seccomp.MarshalSPO(p, o.Name, o.Namespace)})
		case "apparmor":
			return nil, fmt.Errorf("an AppArmor profile needs recordings (NAME.recording.json), not seccomp profiles")
		}
	}
	return files, nil
}
