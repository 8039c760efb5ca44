// Package apparmor writes AppArmor profiles (abi 3.0) and Security Profiles Operator
// AppArmorProfile objects from a recording: the files a program read, wrote, mapped
// and executed, the capabilities it used and the socket families it opened. It is pure:
// the same recording gives the same bytes.
//
// The kernel kharden is developed on has no AppArmor, so these profiles are validated
// with apparmor_parser (Debian's apparmor package) in the tests, not enforced.
package apparmor

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/kharden/kharden/internal/profile"
)

// Options adjust a generated profile.
type Options struct {
	// Name is the profile's name: what a pod's appArmorProfile.localhostProfile names.
	Name string
}

// Rule is one file rule: a path in AppArmor's syntax (globs and variables possible,
// a directory ending in "/") and what the program may do with it.
type Rule struct {
	Path   string
	Access profile.Access
}

// Profile is a generated AppArmor profile.
type Profile struct {
	Name         string
	Command      []string
	Files        []Rule
	Capabilities []string
	Sockets      []profile.Socket
	// Warnings name what the recording had and the profile cannot say (a path with a
	// newline in it).
	Warnings []string
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// CheckName returns an error unless name can be a profile name kharden writes: letters,
// digits, ".", "_" and "-", the first a letter or digit.
func CheckName(name string) error {
	if !nameRE.MatchString(name) || len(name) > 200 {
		return fmt.Errorf("profile name %q: use letters, digits, \".\", \"_\" and \"-\", at most 200, starting with a letter or digit", name)
	}
	return nil
}

// Generate builds the profile that allows what the recording did. Paths under
// /proc/PID/ become /proc/@{pid}/ (and task/TID/ task/@{tid}/), terminals under
// /dev/pts/ become /dev/pts/*, so that the next run, with other IDs, is allowed too.
func Generate(rec *profile.Recording, o Options) (*Profile, error) {
	if err := CheckName(o.Name); err != nil {
		return nil, err
	}
	p := &Profile{Name: o.Name, Command: rec.Command, Capabilities: slices.Clone(rec.Capabilities), Sockets: slices.Clone(rec.Sockets)}
	files := map[string]profile.Access{}
	for path, a := range rec.Files {
		g, err := Pattern(path)
		if err != nil {
			p.Warnings = append(p.Warnings, err.Error())
			continue
		}
		if a&profile.Dir != 0 && !strings.HasSuffix(g, "/") {
			g += "/"
		}
		files[g] |= a
	}
	for path, a := range files {
		p.Files = append(p.Files, Rule{path, a})
	}
	slices.SortFunc(p.Files, func(a, b Rule) int { return strings.Compare(a.Path, b.Path) })
	slices.Sort(p.Warnings)
	return p, nil
}

// Pattern writes an absolute path as an AppArmor path: characters AppArmor reads as
// globs or variables escaped, process and thread IDs under /proc and terminal numbers
// under /dev/pts generalised. Paths with control characters cannot be written.
func Pattern(path string) (string, error) {
	if !strings.HasPrefix(path, "/") {
		return "", fmt.Errorf("%q is not an absolute path", path)
	}
	if strings.ContainsFunc(path, unicode.IsControl) {
		return "", fmt.Errorf("path %q has a control character: left out of the AppArmor profile", path)
	}
	parts := strings.Split(path[1:], "/")
	for i, c := range parts {
		var b strings.Builder
		for j, r := range c {
			if strings.ContainsRune(`*?[]{}^\"`, r) || r == '@' && strings.HasPrefix(c[j+1:], "{") {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		parts[i] = b.String()
	}
	digits := func(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }
	if len(parts) >= 2 && parts[0] == "proc" && digits(parts[1]) {
		parts[1] = "@{pid}"
		if len(parts) >= 4 && parts[2] == "task" && digits(parts[3]) {
			parts[3] = "@{tid}"
		}
	}
	if len(parts) == 3 && parts[0] == "dev" && parts[1] == "pts" && digits(parts[2]) {
		parts[2] = "*"
	}
	return "/" + strings.Join(parts, "/"), nil
}

// perms spells an access as AppArmor permissions: r, w, l, m, and ix (execute in this
// same profile).
func perms(a profile.Access) string {
	var b strings.Builder
	if a&profile.Read != 0 {
		b.WriteByte('r')
	}
	if a&profile.Write != 0 {
		b.WriteByte('w')
	}
	if a&profile.Link != 0 {
		b.WriteByte('l')
	}
	if a&profile.Map != 0 {
		b.WriteByte('m')
	}
	if a&profile.Execute != 0 {
		b.WriteString("ix")
	}
	return b.String()
}

// quote puts a path in double quotes when AppArmor would otherwise split it.
func quote(p string) string {
	if strings.ContainsAny(p, " \t,#") {
		return `"` + p + `"`
	}
	return p
}

// Marshal writes the profile in AppArmor's language, abi 3.0. It includes
// tunables/global (for @{pid}); it includes no abstraction, so that it allows nothing
// the recording did not show but receiving signals from outside (the runtime stopping
// the container) and signals between the profile's own processes.
func (p *Profile) Marshal() []byte {
	var b strings.Builder
	b.WriteString("# AppArmor profile generated by kharden profile record")
	if len(p.Command) > 0 {
		fmt.Fprintf(&b, " from:\n#   %s", commandLine(p.Command))
	}
	b.WriteString("\n# Load it with apparmor_parser -r on every node; pods name it in\n")
	fmt.Fprintf(&b, "# securityContext.appArmorProfile: {type: Localhost, localhostProfile: %s}.\n", p.Name)
	b.WriteString("abi <abi/3.0>,\n\ninclude <tunables/global>\n\n")
	fmt.Fprintf(&b, "profile %s flags=(attach_disconnected,mediate_deleted) {\n", p.Name)
	for _, c := range p.Capabilities {
		fmt.Fprintf(&b, "  capability %s,\n", c)
	}
	if len(p.Capabilities) > 0 {
		b.WriteString("\n")
	}
	unix := false
	for _, s := range p.Sockets {
		fmt.Fprintf(&b, "  network %s %s,\n", s.Family, s.Type)
		unix = unix || s.Family == "unix"
	}
	if unix {
		b.WriteString("  unix,\n")
	}
	if len(p.Sockets) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("  signal (receive) peer=unconfined,\n")
	b.WriteString("  signal (send, receive) peer=@{profile_name},\n\n")
	for _, f := range p.Files {
		fmt.Fprintf(&b, "  %s %s,\n", quote(f.Path), perms(f.Access))
	}
	b.WriteString("}\n")
	return []byte(b.String())
}

// commandLine writes a command for a comment: words with spaces quoted, control
// characters escaped, at most 200 bytes.
func commandLine(args []string) string {
	var words []string
	for _, a := range args {
		q := fmt.Sprintf("%q", a)
		if q[1:len(q)-1] == a && a != "" && !strings.ContainsAny(a, " \t") {
			q = a
		}
		words = append(words, q)
	}
	s := strings.Join(words, " ")
	if len(s) > 200 {
		s = s[:197] + "..."
	}
	return s
}
