package node

import (
	"fmt"
	"path"
	"strings"
)

// maxIncludeDepth bounds nested includes of sshd_config and sudoers.
const maxIncludeDepth = 16

const sshdConfig = "/etc/ssh/sshd_config"

// sshd reads sshd_config and the files it includes.
func (c *collector) sshd() {
	s := &c.f.OS.SSHD
	s.Path = sshdConfig
	b, err := c.h.ReadFile(sshdConfig)
	if err != nil {
		s.Err = err
		return
	}
	c.sshdFile(sshdConfig, b, -1, 0)
}

// sshdFile reads one sshd_config file into the global settings, or into the Match block
// of index match (-1 for none) when the file is included inside one. A Match line starts
// a block that lasts to the next Match line or the end of the file.
func (c *collector) sshdFile(file string, b []byte, match, depth int) {
	s := &c.f.OS.SSHD
	cur := match
	n := 0
	for line := range strings.Lines(string(b)) {
		n++
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		key, value := sshdSplit(line)
		l := Setting{Key: strings.ToLower(key), Value: value, Pos: Pos{file, n}}
		switch {
		case l.Key == "match":
			s.Match = append(s.Match, SSHDMatch{Criteria: l.Value, Pos: l.Pos})
			cur = len(s.Match) - 1
		case l.Key == "include":
			c.sshdInclude(l, cur, depth)
		case cur >= 0:
			s.Match[cur].Settings = append(s.Match[cur].Settings, l)
		default:
			s.Settings = append(s.Settings, l)
		}
	}
}

// sshdSplit splits "Key value" or "Key=value".
func sshdSplit(line string) (key, value string) {
	i := strings.IndexAny(line, " \t=")
	if i < 0 {
		return line, ""
	}
	key, value = line[:i], strings.TrimSpace(line[i:])
	value = strings.TrimSpace(strings.TrimPrefix(value, "="))
	return key, value
}

// sshdInclude reads the files an Include names: globs, relative to /etc/ssh.
func (c *collector) sshdInclude(l Setting, match, depth int) {
	s := &c.f.OS.SSHD
	if depth >= maxIncludeDepth {
		s.Errors = append(s.Errors, FileError{Path: l.Pos.String(), Err: fmt.Errorf("includes nested more than %d deep", maxIncludeDepth)})
		return
	}
	for _, pattern := range strings.Fields(l.Value) {
		if !path.IsAbs(pattern) {
			pattern = path.Join("/etc/ssh", pattern)
		}
		files := []string{pattern}
		if strings.ContainsAny(pattern, "*?[") {
			var err error
			if files, err = c.h.Glob(pattern); err != nil {
				s.Errors = append(s.Errors, fileError(pattern, err))
			}
		}
		for _, f := range files {
			b, err := c.h.ReadFile(f)
			if err != nil {
				s.Errors = append(s.Errors, fileError(f, err))
				continue
			}
			c.sshdFile(f, b, match, depth+1)
		}
	}
}

const sudoersFile = "/etc/sudoers"

// sudoers reads /etc/sudoers and the files it includes, each once.
func (c *collector) sudoers() {
	c.sudoersFile(sudoersFile, map[string]bool{}, 0)
}

// sudoersFile reads one sudoers file, then the files its include directives name, in
// order.
func (c *collector) sudoersFile(file string, seen map[string]bool, depth int) {
	if seen[file] {
		return
	}
	seen[file] = true
	sf := SudoersFile{Path: file}
	sf.File, sf.Err = c.h.Stat(file)
	var b []byte
	if sf.Err == nil {
		b, sf.Err = c.h.ReadFile(file)
	}
	idx := len(c.f.OS.Sudoers)
	c.f.OS.Sudoers = append(c.f.OS.Sudoers, sf)
	if sf.Err != nil {
		return
	}
	var lines []SudoersLine
	logicalLines(b, " ", func(line string, n int) {
		if l, ok := sudoersLine(line, Pos{file, n}); ok {
			lines = append(lines, l)
		}
	})
	c.f.OS.Sudoers[idx].Lines = lines
	for _, l := range lines {
		if l.Kind != SudoInclude && l.Kind != SudoIncludeDir {
			continue
		}
		if depth >= maxIncludeDepth {
			c.f.OS.Sudoers = append(c.f.OS.Sudoers, SudoersFile{Path: l.Who, Err: fmt.Errorf("%s: includes nested more than %d deep", l.Pos, maxIncludeDepth)})
			continue
		}
		target := l.Who
		if !path.IsAbs(target) {
			target = path.Join(path.Dir(file), target) // sudo 1.9: relative to the including file
		}
		if l.Kind == SudoInclude {
			c.sudoersFile(target, seen, depth+1)
			continue
		}
		es, err := c.h.ReadDir(target)
		if err != nil {
			c.f.OS.Sudoers = append(c.f.OS.Sudoers, SudoersFile{Path: target, Err: err})
			continue
		}
		for _, e := range es {
			// sudo skips names ending in "~" or containing a ".".
			if name := e.Name(); !strings.HasSuffix(name, "~") && !strings.Contains(name, ".") {
				c.sudoersFile(path.Join(target, name), seen, depth+1)
			}
		}
	}
}

// sudoersLine reads one logical line of a sudoers file; ok is false for blank lines and
// comments.
func sudoersLine(line string, at Pos) (SudoersLine, bool) {
	for _, d := range []struct{ prefix, kind string }{
		{"#includedir", SudoIncludeDir}, {"@includedir", SudoIncludeDir},
		{"#include", SudoInclude}, {"@include", SudoInclude},
	} {
		if rest, ok := strings.CutPrefix(line, d.prefix); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			return SudoersLine{Kind: d.kind, Text: line, Who: strings.Trim(strings.TrimSpace(rest), `"`), Pos: at}, true
		}
	}
	line = strings.TrimSpace(stripSudoComment(line))
	if line == "" {
		return SudoersLine{}, false
	}
	l := SudoersLine{Text: line, Pos: at}
	first, _, _ := strings.Cut(line, " ")
	switch {
	case strings.HasPrefix(first, "Defaults"):
		l.Kind = SudoDefaults
		return l, true
	case first == "User_Alias" || first == "Runas_Alias" || first == "Host_Alias" || first == "Cmnd_Alias" || first == "Cmd_Alias":
		l.Kind = SudoAlias
		return l, true
	}
	l.Kind = SudoRule
	left, right, ok := strings.Cut(line, "=")
	if !ok {
		return l, true
	}
	left = strings.TrimSpace(left)
	if i := strings.LastIndexAny(left, " \t"); i >= 0 {
		l.Who = strings.TrimSpace(left[:i])
	} else {
		l.Who = left
	}
	l.NoPasswd = strings.Contains(right, "NOPASSWD:")
	l.AllCommands = allowsAll(right)
	return l, true
}

// stripSudoComment cuts a "#" comment from a line; "#" followed by a digit is a user or
// group ID, not a comment.
func stripSudoComment(line string) string {
	for i := 0; i < len(line); i++ {
		if line[i] == '#' && (i+1 == len(line) || line[i+1] < '0' || line[i+1] > '9') {
			return line[:i]
		}
	}
	return line
}

// allowsAll tells whether the command part of a rule ("(ALL:ALL) NOPASSWD: ALL") allows
// the command ALL. Command aliases are not resolved.
func allowsAll(spec string) bool {
	var b strings.Builder
	depth := 0
	for _, r := range spec { // drop the Runas lists "(...)"
		switch {
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	for _, item := range strings.Split(b.String(), ",") {
		item = strings.TrimSpace(item)
		for { // drop tags: NOPASSWD:, SETENV:, ...
			tag, rest, ok := strings.Cut(item, ":")
			if !ok || tag == "" || strings.ToUpper(tag) != tag || strings.ContainsAny(tag, " \t") {
				break
			}
			item = strings.TrimSpace(rest)
		}
		if item == "ALL" {
			return true
		}
	}
	return false
}

const pamDir = "/etc/pam.d"

// pam reads the files of /etc/pam.d.
func (c *collector) pam() {
	o := &c.f.OS
	es, err := c.h.ReadDir(pamDir)
	if err != nil {
		o.PAMErr = err
		return
	}
	for _, e := range es {
		p := path.Join(pamDir, e.Name())
		if st, err := c.h.Stat(p); err == nil && st.Dir {
			continue
		}
		pf := PAMFile{Path: p}
		b, err := c.h.ReadFile(p)
		if err != nil {
			pf.Err = err
			o.PAM = append(o.PAM, pf)
			continue
		}
		logicalLines(b, " ", func(line string, n int) {
			if l, ok := pamLine(line, Pos{p, n}); ok {
				pf.Lines = append(pf.Lines, l)
			}
		})
		o.PAM = append(o.PAM, pf)
	}
}

// pamLine reads "type control module-path args..." (control may be a bracketed list
// with spaces) or "@include file".
func pamLine(line string, at Pos) (PAMLine, bool) {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return PAMLine{}, false
	}
	if fields[0] == "@include" {
		l := PAMLine{Type: "@include", Pos: at}
		if len(fields) > 1 {
			l.Module = fields[1]
		}
		return l, true
	}
	if len(fields) < 3 {
		return PAMLine{Type: fields[0], Args: fields[1:], Pos: at}, true
	}
	l := PAMLine{Type: fields[0], Pos: at}
	rest := fields[1:]
	if strings.HasPrefix(rest[0], "[") {
		i := 0
		for i < len(rest) && !strings.HasSuffix(rest[i], "]") {
			i++
		}
		if i == len(rest) {
			i = len(rest) - 1
		}
		l.Control = strings.Join(rest[:i+1], " ")
		rest = rest[i+1:]
	} else {
		l.Control, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		l.Module, l.Args = rest[0], rest[1:]
	}
	return l, true
}
