package image

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/package-url/packageurl-go"
)

// stanza is one paragraph of a deb822 file (dpkg's status) or of apk's installed
// database: its fields in order, with the line each starts on.
type stanza struct {
	line   int
	fields []field
}

type field struct {
	name, value string
	line        int
}

func (s *stanza) get(name string) (string, int) {
	for _, f := range s.fields {
		if strings.EqualFold(f.name, name) {
			return f.value, f.line
		}
	}
	return "", 0
}

// maxLine bounds one line of a package database.
const maxLine = 1 << 20

// deb822 splits a dpkg status file into paragraphs. A field is "Name: value" with
// continuation lines starting with a space or tab; blank lines end a paragraph; lines
// starting with '#' are comments. A line that is none of these is an error, and the
// rest of its paragraph is skipped.
func deb822(b []byte) ([]stanza, []lineError) {
	var out []stanza
	var errs []lineError
	var cur *stanza
	bad := false
	flush := func() {
		if cur != nil && !bad && len(cur.fields) > 0 {
			out = append(out, *cur)
		}
		cur, bad = nil, false
	}
	for i, line := range lines(b) {
		n := i + 1
		if len(strings.TrimSpace(line)) == 0 {
			flush()
			continue
		}
		if bad {
			continue
		}
		if msg := badText(line); msg != "" {
			errs = append(errs, lineError{n, msg})
			bad = true
			continue
		}
		if cur == nil {
			cur = &stanza{line: n}
		}
		switch {
		case line[0] == ' ' || line[0] == '\t':
			if len(cur.fields) == 0 {
				errs = append(errs, lineError{n, "a continuation line with no field before it"})
				bad = true
				continue
			}
			f := &cur.fields[len(cur.fields)-1]
			f.value += "\n" + strings.TrimSpace(line)
		case line[0] == '#':
		default:
			name, value, ok := strings.Cut(line, ":")
			if !ok || name == "" || strings.ContainsAny(name, " \t") {
				errs = append(errs, lineError{n, fmt.Sprintf("%q is not a field (Name: value)", clip(line))})
				bad = true
				continue
			}
			cur.fields = append(cur.fields, field{name: name, value: strings.TrimSpace(value), line: n})
		}
	}
	flush()
	return out, errs
}

// lines splits b at newlines, dropping a carriage return before one.
func lines(b []byte) []string {
	s := string(b)
	out := strings.Split(s, "\n")
	if len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	for i, l := range out {
		out[i] = strings.TrimSuffix(l, "\r")
	}
	return out
}

// badText tells why a line of a text database is not text, or "".
func badText(line string) string {
	switch {
	case len(line) > maxLine:
		return fmt.Sprintf("a line of %d bytes, longer than %d", len(line), maxLine)
	case strings.IndexByte(line, 0) >= 0:
		return "a NUL byte: binary data, not a text database"
	case strings.ContainsFunc(line, func(r rune) bool { return r < 0x20 && r != '\t' }):
		return "control characters: binary data, not a text database"
	}
	return ""
}

// clip shortens a line quoted in an error.
func clip(s string) string {
	if len(s) > 60 {
		s = s[:60]
		for !utf8.ValidString(s) && len(s) > 0 {
			s = s[:len(s)-1]
		}
		return s + "..."
	}
	return s
}

// parseDpkg reads the installed packages of a dpkg status file. In a status.d file
// (distroless images: one package per file) a paragraph without Status is installed.
func parseDpkg(b []byte, statusD bool) ([]Package, []lineError) {
	stanzas, errs := deb822(b)
	var out []Package
	for _, s := range stanzas {
		name, _ := s.get("Package")
		if name == "" {
			errs = append(errs, lineError{s.line, "a paragraph with no Package field"})
			continue
		}
		status, _ := s.get("Status")
		if status == "" && !statusD {
			errs = append(errs, lineError{s.line, fmt.Sprintf("package %q has no Status field", clip(name))})
			continue
		}
		if status != "" {
			words := strings.Fields(status)
			if len(words) != 3 {
				_, l := s.get("Status")
				errs = append(errs, lineError{l, fmt.Sprintf("package %q: Status %q is not three words (want install ok installed)", clip(name), clip(status))})
				continue
			}
			if words[2] != "installed" {
				continue // removed, config-files only, half-installed
			}
		}
		version, _ := s.get("Version")
		if version == "" {
			errs = append(errs, lineError{s.line, fmt.Sprintf("package %q has no Version field", clip(name))})
			continue
		}
		arch, _ := s.get("Architecture")
		p := Package{Type: packageurl.TypeDebian, Name: name, Version: version, Arch: arch}
		if src, _ := s.get("Source"); src != "" {
			// "Source: glibc (2.36-9)" when the source's version differs.
			srcName, srcVersion, _ := strings.Cut(src, " ")
			p.Source = srcName
			p.SourceVersion = strings.Trim(strings.TrimSpace(srcVersion), "()")
		}
		out = append(out, p)
	}
	return out, errs
}

// parseApk reads apk's installed database: paragraphs of "K:value" lines, P the name,
// V the version, A the architecture, o the origin (source) package, L the licence.
func parseApk(b []byte) ([]Package, []lineError) {
	var out []Package
	var errs []lineError
	var cur *Package
	start, bad := 0, false
	flush := func() {
		if cur != nil && !bad {
			switch {
			case cur.Name == "":
				errs = append(errs, lineError{start, "a paragraph with no P: (package name) line"})
			case cur.Version == "":
				errs = append(errs, lineError{start, fmt.Sprintf("package %q has no V: (version) line", clip(cur.Name))})
			default:
				out = append(out, *cur)
			}
		}
		cur, bad = nil, false
	}
	for i, line := range lines(b) {
		n := i + 1
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		if bad {
			continue
		}
		if cur == nil {
			cur, start = &Package{Type: packageurl.TypeApk}, n
		}
		if msg := badText(line); msg != "" {
			errs = append(errs, lineError{n, msg})
			bad = true
			continue
		}
		if len(line) < 2 || line[1] != ':' {
			errs = append(errs, lineError{n, fmt.Sprintf("%q is not a K:value line", clip(line))})
			bad = true
			continue
		}
		v := line[2:]
		switch line[0] {
		case 'P':
			cur.Name = v
		case 'V':
			cur.Version = v
		case 'A':
			cur.Arch = v
		case 'o':
			cur.Source = v
		case 'L':
			cur.License = v
		}
	}
	flush()
	return out, errs
}

// parseOSRelease reads os-release(5): KEY=value lines, values optionally quoted.
// Lines that are not assignments are ignored, as the format asks.
func parseOSRelease(b []byte) *OSRelease {
	o := &OSRelease{}
	for _, line := range lines(b) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		v = unquoteShell(v)
		switch k {
		case "ID":
			o.ID = v
		case "ID_LIKE":
			o.IDLike = strings.Fields(v)
		case "NAME":
			o.Name = v
		case "PRETTY_NAME":
			o.PrettyName = v
		case "VERSION_ID":
			o.VersionID = v
		case "VERSION_CODENAME":
			o.VersionCodename = v
		}
	}
	return o
}

// unquoteShell undoes the quoting os-release allows: "double" with backslash escapes
// of $ " \ and `, or 'single'.
func unquoteShell(v string) string {
	switch {
	case len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'':
		return v[1 : len(v)-1]
	case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"':
		v = v[1 : len(v)-1]
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			if v[i] == '\\' && i+1 < len(v) && strings.IndexByte("$\"\\`", v[i+1]) >= 0 {
				i++
			}
			b.WriteByte(v[i])
		}
		return b.String()
	}
	return v
}
