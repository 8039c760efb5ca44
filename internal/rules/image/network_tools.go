package image

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/image"
)

// networkTools are the downloaders and raw socket tools looked for, by command name.
var networkTools = []string{"curl", "wget", "nc", "ncat", "netcat", "socat"}

// binDirs are where commands are looked for, besides the image's own PATH.
var binDirs = []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}

// NetworkTools is IM-0002.
var NetworkTools = &Rule{
	Meta: rule.Meta{
		ID:        "IM-0002",
		Slug:      "image-network-tools",
		Title:     "The image must not ship curl, wget, netcat or socat",
		Severity:  rule.Medium,
		Practices: []string{"B9"},
		Rationale: "A downloader or a raw socket tool in the image is the first thing an attacker who gets code " +
			"execution in the container reaches for: it fetches the next stage of an exploit, sends data out or " +
			"opens a reverse shell. The Dockerfile rule network-tools-in-image sees what a Dockerfile installs; this " +
			"rule sees what the image holds, including what its base image brought in. It looks for the commands " +
			"in the directories of the image's PATH and the usual bin directories, links included (a busybox wget " +
			"applet counts), in the final filesystem: a tool a later layer deleted is not reported.",
		Remediation: "Build from a minimal base (distroless, scratch, a -slim or -minimal variant), fetch what the " +
			"build needs in a builder stage and COPY --from it, or remove the tool in the step that installed it. " +
			"For health checks use the application's own endpoint or a small static probe.",
		References: []string{
			"https://docs.docker.com/build/building/multi-stage/",
			"CIS Docker Benchmark 4.3: Ensure that unnecessary packages are not installed in the container",
		},
		Standards: rule.Standards{CIS: []string{"4.3"}},
		Since:     "0.2.0",
		Default:   true,
	},
	Check: func(im *image.Image) []Finding {
		var out []Finding
		for _, c := range findCommands(im, networkTools) {
			out = append(out, Finding{Path: c.path, Layer: c.entry.Layer,
				Message: fmt.Sprintf("%s is in the image at %s, added by %s", c.what(), c.path, im.Short(c.entry.Layer))})
		}
		return out
	},
}

// command is a command found in the image.
type command struct {
	name string
	// path is where it was found (canonical, the link itself for a link); target the
	// regular file it leads to.
	path, target string
	entry        *image.Entry
}

// what names the command and, for a link, what it leads to.
func (c command) what() string {
	switch {
	case c.entry.Type == image.Symlink:
		return fmt.Sprintf("%s (a link to %s)", c.name, c.target)
	case c.entry.HardLink:
		return fmt.Sprintf("%s (a hard link to %s)", c.name, c.entry.Link)
	}
	return c.name
}

// findCommands looks for the commands names in the directories of the image's PATH and
// the usual bin directories of its final filesystem, in that order. A name counts when
// it is a regular file or a link to one (a busybox applet); each path is reported once.
func findCommands(im *image.Image, names []string) []command {
	var out []command
	seen := map[string]bool{}
	for _, d := range searchPath(im) {
		for _, name := range names {
			p := path.Join(d, name)
			e, canon, err := im.FS.Lookup(p)
			if err != nil || e.Type == image.Dir || seen[canon] {
				continue
			}
			seen[canon] = true
			target := canon
			if e.Type == image.Symlink {
				t, tcanon, err := im.FS.Stat(p)
				if err != nil || t.Type != image.Regular {
					continue // a dangling link runs nothing
				}
				target = tcanon
			} else if e.Type != image.Regular {
				continue
			}
			out = append(out, command{name: name, path: canon, target: target, entry: e})
		}
	}
	return out
}

// searchPath is the directories of the image's PATH followed by the usual bin
// directories, absolute, without duplicates.
func searchPath(im *image.Image) []string {
	var dirs []string
	for _, kv := range im.Config.Config.Env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			for _, d := range strings.Split(v, ":") {
				if strings.HasPrefix(d, "/") {
					dirs = append(dirs, path.Clean(d))
				}
			}
		}
	}
	for _, d := range binDirs {
		if !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	return dirs
}
