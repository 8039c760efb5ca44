package node

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/kharden/kharden/internal/rules/flags"
)

// unitDirs are the directories systemd loads units from, highest priority first.
var unitDirs = []string{
	"/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
	"/lib/systemd/system", "/usr/lib/systemd/system",
}

// unit is a systemd service unit file with its drop-ins.
type unit struct {
	path string
	// dropIns are the <unit>.d/*.conf files, in the order systemd applies them (by file
	// name; a name in a higher-priority directory hides the same name in lower ones).
	dropIns []string
	// errs are the drop-in directories that could not be listed.
	errs []FileError
}

// unit finds the service unit of a component: <name>.service in the first unit directory
// that has it (a file that exists but cannot be read counts).
func (c *collector) unit(name string) (unit, bool) {
	svc := name + ".service"
	var u unit
	for _, d := range unitDirs {
		p := path.Join(d, svc)
		if _, err := c.h.Stat(p); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		u.path = p
		break
	}
	if u.path == "" {
		return u, false
	}
	dirs := make([]string, len(unitDirs))
	for i, d := range unitDirs {
		dirs[i] = path.Join(d, svc+".d")
	}
	u.dropIns, u.errs = c.confFiles(dirs, "*.conf")
	return u, true
}

// unitLine is one assignment of a unit file.
type unitLine struct {
	section, key, value string
	pos                 Pos
}

// parseUnit reads a systemd unit file's assignments: "[Section]" headers, "Key=Value"
// lines, "#" and ";" comments, and lines continued by a trailing backslash.
func parseUnit(file string, b []byte) []unitLine {
	var out []unitLine
	section := ""
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		start := i + 1
		line := strings.TrimSpace(lines[i])
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		for strings.HasSuffix(line, "\\") && i+1 < len(lines) {
			i++
			next := strings.TrimSpace(lines[i])
			if next != "" && (next[0] == '#' || next[0] == ';') {
				continue // comments inside a continued line are skipped
			}
			line = strings.TrimSpace(strings.TrimSuffix(line, "\\")) + " " + next
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = line[1 : len(line)-1]
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		out = append(out, unitLine{section: section, key: strings.TrimSpace(k), value: strings.TrimSpace(v), pos: Pos{file, start}})
	}
	return out
}

// envVar is a variable of a unit's environment and where it was set.
type envVar struct {
	value string
	pos   Pos
}

// unitComponent reads a component's flags from the ExecStart of its unit, with the
// unit's Environment= and EnvironmentFile= variables expanded as systemd does.
func (c *collector) unitComponent(name string, u unit) Component {
	comp := Component{Name: name, Kind: FromUnit, Source: u.path, Flags: flags.New(name, u.path)}
	for _, fe := range u.errs {
		comp.fileError(fe.Path, fe.Err)
	}
	env := map[string]envVar{}
	type envFile struct {
		path     string
		optional bool
	}
	var envFiles []envFile
	var execs []unitLine
	for i, file := range append([]string{u.path}, u.dropIns...) {
		b, err := c.h.ReadFile(file)
		if err != nil {
			if i == 0 {
				comp.Err = err
				return comp
			}
			comp.fileError(file, err)
			continue
		}
		for _, l := range parseUnit(file, b) {
			if l.section != "Service" {
				continue
			}
			switch l.key {
			case "Environment":
				if l.value == "" {
					clear(env)
				}
				for _, w := range splitWords(l.value) {
					if k, v, ok := strings.Cut(w.text, "="); ok && k != "" {
						env[k] = envVar{v, l.pos}
					}
				}
			case "EnvironmentFile":
				if l.value == "" {
					envFiles = nil
					continue
				}
				p, optional := strings.CutPrefix(l.value, "-")
				envFiles = append(envFiles, envFile{strings.TrimSpace(p), optional})
			case "ExecStart":
				if l.value == "" {
					execs = nil
					continue
				}
				execs = append(execs, l)
			}
		}
	}
	for _, ef := range envFiles {
		b, err := c.h.ReadFile(ef.path)
		if err != nil {
			if !(ef.optional && errors.Is(err, fs.ErrNotExist)) {
				comp.fileError(ef.path, err)
			}
			continue
		}
		for k, v := range parseEnvFile(ef.path, b) {
			env[k] = v
		}
	}
	if len(execs) == 0 {
		comp.Err = fmt.Errorf("%s: no ExecStart= in the [Service] section", u.path)
		return comp
	}
	exec := execs[len(execs)-1]
	words := expandExec(exec.value, exec.pos, env)
	argv := make([]string, len(words))
	for i, w := range words {
		argv[i] = w.text
	}
	if len(argv) > 0 {
		argv[0] = strings.TrimLeft(argv[0], "-@:+!")
	}
	comp.Flags = flags.Parse(name, u.path, argv)
	comp.Line = exec.pos.Line
	placeFlags(comp.Flags, func(arg int) (string, int) { return words[arg].pos.File, words[arg].pos.Line })
	for _, k := range slices.Sorted(maps.Keys(env)) {
		comp.Flags.AddEnv(k, env[k].value, flags.Origin{File: env[k].pos.File, Line: env[k].pos.Line})
	}
	return comp
}

// word is a word of a command line or an Environment= assignment.
type word struct {
	text string
	// quoted is set when any part of the word was quoted.
	quoted bool
	pos    Pos
}

// splitWords splits a systemd value into words: white space separates them, double and
// single quotes group, a backslash escapes the next character.
func splitWords(s string) []word {
	var out []word
	var cur strings.Builder
	in, quoted := false, false
	var q byte
	flush := func() {
		if in {
			out = append(out, word{text: cur.String(), quoted: quoted})
		}
		cur.Reset()
		in, quoted = false, false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case q != 0 && ch == q:
			q = 0
		case q != '\'' && ch == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(unescape(s[i]))
			in = true
		case q != 0:
			cur.WriteByte(ch)
		case ch == '"' || ch == '\'':
			q, in, quoted = ch, true, true
		case ch == ' ' || ch == '\t':
			flush()
		default:
			cur.WriteByte(ch)
			in = true
		}
	}
	flush()
	return out
}

func unescape(ch byte) byte {
	switch ch {
	case 'n':
		return '\n'
	case 't':
		return '\t'
	}
	return ch
}

// expandExec splits an ExecStart= value and expands its variables as systemd does: a
// word that is exactly $NAME becomes the variable's value split at white space (no word
// when unset); ${NAME} anywhere is replaced by the value, keeping one word; $$ is a $.
// A word from a variable takes the position of the variable's assignment; the others
// that of the ExecStart= line.
func expandExec(value string, at Pos, env map[string]envVar) []word {
	var out []word
	for _, w := range splitWords(value) {
		if name, ok := strings.CutPrefix(w.text, "$"); ok && !w.quoted && isVarName(name) {
			v := env[name]
			for _, f := range strings.Fields(v.value) {
				out = append(out, word{text: f, pos: v.pos})
			}
			continue
		}
		w.pos = at
		var b strings.Builder
		refs := 0
		var ref Pos
		for i := 0; i < len(w.text); i++ {
			rest := w.text[i:]
			switch {
			case strings.HasPrefix(rest, "$$"):
				b.WriteByte('$')
				i++
			case strings.HasPrefix(rest, "${"):
				end := strings.IndexByte(rest, '}')
				if end < 0 || !isVarName(rest[2:end]) {
					b.WriteByte('$')
					continue
				}
				v := env[rest[2:end]]
				b.WriteString(v.value)
				refs++
				ref = v.pos
				i += end
			default:
				b.WriteByte(w.text[i])
			}
		}
		w.text = b.String()
		if refs == 1 && ref.File != "" {
			w.pos = ref
		}
		out = append(out, w)
	}
	return out
}

func isVarName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// parseEnvFile reads a systemd EnvironmentFile: KEY=VALUE lines, "#" and ";" comments,
// values in single or double quotes, lines continued by a trailing backslash.
func parseEnvFile(file string, b []byte) map[string]envVar {
	out := map[string]envVar{}
	logicalLines(b, "", func(line string, n int) {
		if line == "" || line[0] == '#' || line[0] == ';' {
			return
		}
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(strings.TrimPrefix(k, "export "))
		if !ok || !isVarName(k) {
			return
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			if ws := splitWords(v); len(ws) == 1 {
				v = ws[0].text
			} else {
				v = v[1 : len(v)-1]
			}
		}
		out[k] = envVar{v, Pos{file, n}}
	})
	return out
}
