package dockerfile

import (
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Command is one simple command a RUN (or CMD, ENTRYPOINT) executes: a word list as the
// shell sees it after quote removal, with parameter expansions and command
// substitutions left as written ("curl=${CURL_VERSION}").
//
// Commands come from the shell script of a shell-form instruction (parsed with
// mvdan.cc/sh: pipelines, &&, ||, ;, subshells, if/for/while/case bodies, functions and
// command substitutions are all walked), from heredoc scripts run by a shell, and
// recursively from the script of `sh -c "..."` and `su -c "..."`. An exec-form
// instruction (RUN ["a", "b"]) is one command. When the script cannot be parsed, or
// is over the shell parse limits (see maxScriptBytes; File.Notes then says so), it is
// split on white space and on the operators && || ; | instead, so a file never fails
// because of its shell syntax.
type Command struct {
	// Name is the first word as written: "apt-get", "/usr/bin/sudo", "$CC".
	Name string
	// Args are the words after the name.
	Args []string
	// Env are the assignments before the name: "DEBIAN_FRONTEND=noninteractive".
	Env []string
	// Line and Col are the physical position of the command's name in the Dockerfile
	// (Col is a 1-based byte column; 0 when only the line is known).
	Line, Col int
	// Raw is the command's source text (assignments, name and arguments, no
	// redirections or operators), with line continuations joined.
	Raw string
	// PipeTo is the command that reads this one's standard output through a pipe
	// (`curl -fsSL URL | sh`), and PipeFrom the one whose output this one reads.
	PipeTo, PipeFrom *Command
	// Parent is the command whose script this command is in (`sh -c "..."`, a heredoc
	// fed to `bash`); nil for a command of the instruction's own script.
	Parent *Command
	// Subst tells the command runs inside a command or process substitution
	// ($(...), `...`, <(...)), for its output.
	Subst bool
	// Instruction is the instruction that runs the command.
	Instruction *Instruction

	// words are the shell words of Name and Args, when they came from a parsed script.
	words []*syntax.Word
	// split marks a command of a script the shell parser rejected.
	split bool
}

// Base is the program's file name: "sudo" for "/usr/bin/sudo".
func (c *Command) Base() string { return path.Base(strings.TrimPrefix(c.Name, `\`)) }

// Is tells whether the program's base name is one of names.
func (c *Command) Is(names ...string) bool {
	b := c.Base()
	for _, n := range names {
		if b == n {
			return true
		}
	}
	return false
}

// HasArg tells whether one of the arguments is exactly s.
func (c *Command) HasArg(s string) bool {
	for _, a := range c.Args {
		if a == s {
			return true
		}
	}
	return false
}

// HasFlag tells whether one of the arguments before a "--" is one of the flags. A long
// flag ("--yes") matches itself and "--yes=..."; a one-letter short flag ("-y") matches
// itself and clusters of short flags that contain the letter ("-qy").
func (c *Command) HasFlag(flags ...string) bool {
	for _, a := range c.Args {
		if a == "--" {
			return false
		}
		for _, f := range flags {
			if matchFlag(a, f) {
				return true
			}
		}
	}
	return false
}

func matchFlag(arg, flag string) bool {
	if arg == flag {
		return true
	}
	if strings.HasPrefix(flag, "--") {
		return strings.HasPrefix(arg, flag+"=")
	}
	if len(flag) == 2 && flag[0] == '-' && len(arg) > 2 && arg[0] == '-' && arg[1] != '-' {
		for i := 1; i < len(arg); i++ {
			c := arg[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				return false // a value such as -ofoo=bar, not a cluster
			}
		}
		return strings.IndexByte(arg[1:], flag[1]) >= 0
	}
	return false
}

// Operands returns the arguments that do not start with "-" (and every argument after
// a "--"). It cannot know which flags take a value: "-o", "Dpkg::Options=x" yields
// "Dpkg::Options=x" as an operand.
func (c *Command) Operands() []string {
	var out []string
	dash := false
	for _, a := range c.Args {
		switch {
		case dash:
			out = append(out, a)
		case a == "--":
			dash = true
		case strings.HasPrefix(a, "-") && a != "-":
		default:
			out = append(out, a)
		}
	}
	return out
}

// Unwrap returns the command a wrapper runs: for `sudo -u app env X=1 nice apt-get
// install x` it returns a command named apt-get with arguments [install x], at the same
// position and with the same pipes. Wrappers are sudo, doas, env, nice, nohup, exec,
// time, timeout, stdbuf, ionice, chroot, gosu, su-exec, runuser -u, xargs and command
// (not `command -v`). A command that wraps nothing is returned as it is; one that wraps
// an unknown or missing command is returned as it is too.
func (c *Command) Unwrap() *Command {
	cur := c
	for range 8 {
		i := wrapped(cur.Base(), cur.Args)
		if i < 0 || i >= len(cur.Args) {
			return cur
		}
		next := *cur
		next.Name, next.Args = cur.Args[i], cur.Args[i+1:]
		if len(cur.words) == len(cur.Args)+1 {
			next.words = cur.words[i+1:]
		} else {
			next.words = nil
		}
		cur = &next
	}
	return cur
}

// valueFlags lists, per wrapper, the options that take a separate value.
var valueFlags = map[string]string{
	"sudo":    " -u -g -h -p -C -D -r -t -U -T -R --user --group --host --prompt --close-from --chdir --role --type --other-user --command-timeout --chroot ",
	"doas":    " -u -C ",
	"env":     " -u -C -S --unset --chdir --split-string ",
	"nice":    " -n --adjustment ",
	"ionice":  " -c -n -p -P -u --class --classdata ",
	"stdbuf":  " -i -o -e --input --output --error ",
	"timeout": " -s -k --signal --kill-after ",
	"exec":    " -a ",
	"xargs":   " -a -d -E -e -I -L -l -n -P -s --arg-file --delimiter --eof --replace --max-lines --max-args --max-procs --max-chars --process-slot-var ",
	"runuser": " -u -g -G --user --group --supp-group ",
	"chroot":  " --userspec --groups ",
}

// wrapped returns the index in args of the command a wrapper runs, or -1.
func wrapped(base string, args []string) int {
	switch base {
	case "sudo", "doas", "env", "nice", "nohup", "exec", "time", "timeout", "stdbuf", "ionice", "xargs", "command", "chroot", "runuser":
	case "gosu", "su-exec":
		if len(args) >= 2 {
			return 1
		}
		return -1
	default:
		return -1
	}
	vf := valueFlags[base]
	i := 0
options:
	for i < len(args) {
		a := args[i]
		switch {
		case a == "--":
			i++
			break options
		case base == "env" && (a == "-" || strings.Contains(a, "=") && !strings.HasPrefix(a, "-")):
			i++ // env's -i spelled "-", and NAME=value assignments
		case base == "command" && (a == "-v" || a == "-V"):
			return -1 // command -v only looks the program up
		case base == "runuser" && (a == "-c" || a == "--command" || a == "-l" || a == "--login"):
			return -1 // a script or a login shell: not a plain wrapper
		case strings.HasPrefix(a, "-") && len(a) > 1:
			name := a
			if j := strings.IndexByte(a, '='); j > 0 {
				name = a[:j]
			}
			i++
			if strings.Contains(vf, " "+name+" ") && !strings.Contains(a, "=") {
				i++ // the option's value
			}
		default:
			break options
		}
	}
	if i >= len(args) {
		return -1
	}
	switch base {
	case "timeout":
		i++ // the duration
	case "chroot":
		i++ // the new root
	}
	if i >= len(args) {
		return -1
	}
	return i
}

// posixShells are the shells whose scripts kharden parses.
var posixShells = map[string]bool{"sh": true, "bash": true, "ash": true, "dash": true, "zsh": true, "ksh": true, "mksh": true}

// IsShell tells whether the program is a POSIX-like shell (sh, bash, ash, dash, zsh, ksh).
func (c *Command) IsShell() bool { return posixShells[c.Base()] }

// shellScript returns the index in args of the script a shell or su runs with -c, or -1.
func shellScript(base string, args []string) int {
	switch {
	case posixShells[base]:
		hasC := false
		for i := 0; i < len(args); i++ {
			a := args[i]
			switch {
			case a == "--" || a == "-":
				if hasC && i+1 < len(args) {
					return i + 1
				}
				return -1
			case a == "-o" || a == "+o" || a == "-O" || a == "+O" || a == "--rcfile" || a == "--init-file":
				i++
			case strings.HasPrefix(a, "--"):
			case (strings.HasPrefix(a, "-") || strings.HasPrefix(a, "+")) && len(a) > 1:
				if strings.ContainsRune(a[1:], 'c') {
					hasC = true
				}
			default:
				if hasC {
					return i
				}
				return -1
			}
		}
	case base == "su" || base == "runuser":
		for i, a := range args {
			if (a == "-c" || a == "--command") && i+1 < len(args) {
				return i + 1
			}
		}
	}
	return -1
}

// readsScriptFromStdin tells whether a shell command runs its standard input as the
// script: `bash`, `sh -e`, `sh -s`, `bash -`.
func readsScriptFromStdin(c *Command) bool {
	if !c.IsShell() {
		return false
	}
	for i := 0; i < len(c.Args); i++ {
		a := c.Args[i]
		switch {
		case a == "-" || a == "--":
			return true
		case a == "-o" || a == "+o":
			i++
		case strings.HasPrefix(a, "--"):
		case strings.HasPrefix(a, "-") || strings.HasPrefix(a, "+"):
			if strings.ContainsRune(a[1:], 'c') {
				return false
			}
		default:
			return false // a script file
		}
	}
	return true
}
