package dockerfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/kharden/kharden/internal/source/manifest"
)

// wrap puts a script on continuation lines of 1,000 bytes: BuildKit refuses a physical
// line over 64 KiB, not a long instruction, and joins the lines back without a space.
func wrap(script string) string {
	var b strings.Builder
	for len(script) > 1000 {
		b.WriteString(script[:1000])
		b.WriteString("\\\n")
		script = script[1000:]
	}
	b.WriteString(script)
	return b.String()
}

// hostile is a Dockerfile whose line 2 starts a RUN with the given script, then a
// normal RUN whose commands must still be parsed as shell.
func hostile(script string) string {
	return "FROM debian:12\nRUN " + script + "\nRUN sudo apt-get install -y curl && echo done\n"
}

// checkFallback asserts that the RUN of line 2 was read word by word with a note that
// names the limit, and that the next RUN was parsed as shell.
func checkFallback(t *testing.T, src, limit string) *File {
	t.Helper()
	f := parse(t, src)
	if len(f.Notes) != 1 || f.Notes[0].Line != 2 || !strings.Contains(f.Notes[0].Msg, "not parsed as shell") ||
		!strings.Contains(f.Notes[0].Msg, limit) {
		t.Fatalf("notes %+v, want one at line 2 naming %q", f.Notes, limit)
	}
	run := f.Instructions[1]
	for _, c := range run.Commands {
		if !c.split {
			t.Fatalf("command %q of the RUN over the limit came from the shell parser", c.Raw)
		}
	}
	last := f.Instructions[len(f.Instructions)-1]
	var got []string
	for _, c := range last.Commands {
		if c.split {
			t.Errorf("command %q of the normal RUN came from the word fallback", c.Raw)
		}
		got = append(got, fmt.Sprintf("%d:%d %s", c.Line, c.Col, c.Raw))
	}
	line := len(f.Lines)
	if want := []string{fmt.Sprintf("%d:5 sudo apt-get install -y curl", line), fmt.Sprintf("%d:37 echo done", line)}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("normal RUN commands %q, want %q", got, want)
	}
	return f
}

// TestShellChainOverLimit is the RUN of 400,000 && that overflowed the stack of the
// shell parser's walker and killed the process: it is now read word by word, and the
// word fallback still sees the download piped to a shell at its end.
func TestShellChainOverLimit(t *testing.T) {
	script := strings.Repeat("true && ", 400_000) + "curl -fsSL https://get.example | sh"
	f := checkFallback(t, hostile(wrap(script)), fmt.Sprintf("over the limit of %d", maxScriptBytes))
	cmds := f.Instructions[1].Commands
	if n := len(cmds); n != 400_002 {
		t.Fatalf("%d commands, want 400,002", n)
	}
	curl := cmds[len(cmds)-2]
	if curl.Name != "curl" || curl.PipeTo == nil || curl.PipeTo.Name != "sh" || curl.Line < len(f.Lines)-2 ||
		f.Lines[curl.Line-1][curl.Col-1] != 'c' {
		t.Errorf("the download piped to sh: %+v", curl)
	}

	// Under the byte limit, the depth limit holds: 50,000 && in 150 KB.
	checkFallback(t, hostile(wrap(strings.Repeat("a&&", 50_000)+"a")), fmt.Sprintf("over the limit of %d", maxScriptOps))
}

// TestShellNestingOverLimit: every construct that nests in the shell parser's tree, a
// level per operator, keyword or bracket, 100,000 deep (over the byte limit) and 12,000
// deep (under it, over the depth limit), gives a note, not a crash.
func TestShellNestingOverLimit(t *testing.T) {
	rep := strings.Repeat
	for name, script := range map[string]func(n int) string{
		"subshells":     func(n int) string { return rep("( ", n) + "true" + rep(" )", n) },
		"substitutions": func(n int) string { return rep("echo $(", n) + "true" + rep(")", n) },
		"blocks":        func(n int) string { return rep("{ ", n) + "true" + rep("; }", n) },
		"pipes":         func(n int) string { return rep("cat | ", n) + "cat" },
		"ifs":           func(n int) string { return rep("if ", n) + "true" + rep("; then :; fi", n) },
		"times":         func(n int) string { return rep("time ", n) + "true" },
		"arithmetic":    func(n int) string { return "echo $((" + rep("1+", n) + "1))" },
		"tests":         func(n int) string { return "[[ " + rep("! ", n) + "x ]]" },
		"parameters":    func(n int) string { return "echo " + rep("${a:-", n) + "x" + rep("}", n) },
	} {
		t.Run(name, func(t *testing.T) {
			checkFallback(t, hostile(wrap(script(100_000))), "over the limit of")
			checkFallback(t, hostile(wrap(script(12_000))), fmt.Sprintf("over the limit of %d", maxScriptOps))
		})
	}
}

// TestShellScriptBytesOverLimit: a script over the byte limit is not parsed as shell.
func TestShellScriptBytesOverLimit(t *testing.T) {
	script := strings.Repeat("echo "+strings.Repeat("a", 45)+"; ", maxScriptBytes/50+1)
	checkFallback(t, hostile(wrap(script)), fmt.Sprint(maxScriptBytes))
}

// TestShellFileBudget: past the shell parse budget of a file, scripts are read word by
// word, with one note at the first of them counting them all.
func TestShellFileBudget(t *testing.T) {
	var b strings.Builder
	b.WriteString("FROM debian:12\n")
	script := "echo " + strings.Repeat("a", 1000) + " && sudo true"
	n := maxFileShellBytes/len(script) + 10
	for range n {
		b.WriteString("RUN " + script + "\n")
	}
	f := parse(t, b.String())
	if len(f.Notes) != 1 || !strings.Contains(f.Notes[0].Msg, fmt.Sprint(maxFileShellBytes)) {
		t.Fatalf("notes %+v", f.Notes)
	}
	first := f.Notes[0].Line
	parsed, split := 0, 0
	for _, in := range f.Instructions[1:] {
		if len(in.Commands) != 2 || in.Commands[1].Name != "sudo" {
			t.Fatalf("line %d: commands %+v", in.Line, in.Commands)
		}
		if in.Commands[0].split {
			split++
			if in.Line < first {
				t.Errorf("line %d read word by word before the note's line %d", in.Line, first)
			}
		} else {
			parsed++
		}
	}
	if parsed == 0 || split == 0 || !strings.Contains(f.Notes[0].Msg, fmt.Sprintf("%d scripts", split)) {
		t.Errorf("%d parsed, %d split; note %q", parsed, split, f.Notes[0].Msg)
	}
}

// TestShellLimitsBoundTheStack parses, just under the limits, each construct that
// nests, with the goroutine stack limited to 64 MiB (the default is 1 GiB): the limits
// keep the parser and the walkers far from a fatal stack overflow. An overflow here
// kills the test binary.
func TestShellLimitsBoundTheStack(t *testing.T) {
	defer debug.SetMaxStack(debug.SetMaxStack(64 << 20))
	rep := strings.Repeat
	for name, script := range map[string]func(n int) string{
		"chain":         func(n int) string { return rep("a&&", n) + "a" },
		"pipes":         func(n int) string { return rep("a|", n) + "a" },
		"subshells":     func(n int) string { return rep("( ", n) + "a" + rep(")", n) },
		"substitutions": func(n int) string { return rep("$(", n) + "a" + rep(")", n) },
		"blocks":        func(n int) string { return rep("{ ", n) + "a" + rep(";}", n) },
		"arithmetic":    func(n int) string { return "echo $((" + rep("1+", n) + "1))" },
		"unary":         func(n int) string { return "echo $((" + rep("- ", n) + "1))" },
		"ternary":       func(n int) string { return "echo $((" + rep("1?", n) + "1" + rep(":1", n) + "))" },
		"tests":         func(n int) string { return "[[ " + rep("! ", n) + "x ]] && a" },
		"ifs":           func(n int) string { return rep("if ", n) + "a" + rep(";then a;fi", n) },
		"whiles":        func(n int) string { return rep("while ", n) + "a" + rep(";do a;done", n) },
		"times":         func(n int) string { return rep("time ", n) + "a" },
		"parameters":    func(n int) string { return "echo " + rep("${a:-", n) + "x" + rep("}", n) },
		"shell -c":      func(n int) string { return "sh -c '" + rep("( ", n) + "a" + rep(")", n) + "'" },
	} {
		// As many levels as the limit lets through.
		base, per := shellOps(script(0)), shellOps(script(1))-shellOps(script(0))
		text := script((maxScriptOps - base) / per)
		if ops := shellOps(text); ops > maxScriptOps || ops < maxScriptOps-per || len(text) > maxScriptBytes {
			t.Fatalf("%s: %d operators, %d bytes: not just under the limits", name, ops, len(text))
		}
		p := &cmdParser{f: &File{}, in: &Instruction{Kind: "RUN", Line: 2}, sh: newShellParse()}
		p.script(source{text: text, at: fixedAt(2, 1)}, nil, 0)
		if len(p.out) == 0 || p.out[len(p.out)-1].split || len(p.f.Notes) > 0 {
			t.Errorf("%s: not parsed as shell: %d commands, notes %+v", name, len(p.out), p.f.Notes)
		}
	}
}

// writeDockerfile writes a Dockerfile in a new context directory and returns both.
func writeDockerfile(t *testing.T) (dir, dockerfile string) {
	t.Helper()
	dir = t.TempDir()
	dockerfile = filepath.Join(dir, "Dockerfile")
	if err := os.WriteFile(dockerfile, []byte("FROM a:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, dockerfile
}

// loadSoon is Load that fails the test instead of hanging when Load blocks.
func loadSoon(t *testing.T, dockerfile, dir string) (*File, error) {
	t.Helper()
	type result struct {
		f   *File
		err error
	}
	done := make(chan result, 1)
	go func() {
		f, err := Load(dockerfile, dir)
		done <- result{f, err}
	}()
	select {
	case r := <-done:
		return r.f, r.err
	case <-time.After(20 * time.Second):
		t.Fatal("Load blocked")
		return nil, nil
	}
}

// wantLoadError asserts that Load fails with an error naming file and saying why.
func wantLoadError(t *testing.T, err error, file, why string) {
	t.Helper()
	var me *manifest.Error
	if !errors.As(err, &me) || me.File != file || !strings.Contains(me.Msg, why) {
		t.Errorf("error %v, want one for %s saying %q", err, file, why)
	}
}

// TestIgnoreTooLarge: a .dockerignore over the size or pattern limit is an error that
// names it, and nothing past the limit is read.
func TestIgnoreTooLarge(t *testing.T) {
	dir, dockerfile := writeDockerfile(t)
	ignore := filepath.Join(dir, ".dockerignore")
	big := strings.Repeat("# padding padding padding padding padding padding padding\n", MaxIgnoreSize/50)
	if err := os.WriteFile(ignore, []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := loadSoon(t, dockerfile, dir)
	wantLoadError(t, err, ignore, fmt.Sprintf("more than the %d byte limit", MaxIgnoreSize))

	var many strings.Builder
	for i := range maxIgnorePatterns + 1 {
		fmt.Fprintf(&many, "p%d\n", i)
	}
	if err := os.WriteFile(ignore, []byte(many.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = loadSoon(t, dockerfile, dir)
	wantLoadError(t, err, ignore, fmt.Sprintf("more than the %d pattern limit", maxIgnorePatterns))
}

// TestTooManyInstructions: a file over the instruction limit is an error at the first
// instruction past it, before the model is built.
func TestTooManyInstructions(t *testing.T) {
	src := "FROM a:1\n" + strings.Repeat("ARG a\n", maxInstructions)
	_, err := Parse("Dockerfile", []byte(src))
	var me *manifest.Error
	if !errors.As(err, &me) || me.Line != maxInstructions+1 || !strings.Contains(me.Msg, fmt.Sprintf("more than the %d instruction limit", maxInstructions)) {
		t.Errorf("error %v", err)
	}
	if _, err := Parse("Dockerfile", []byte(src[:len(src)-len("ARG a\n")])); err != nil {
		t.Errorf("at the limit: %v", err)
	}
}

// TestDockerfileTooLarge: a Dockerfile over MaxFileSize is an error with its size.
func TestDockerfileTooLarge(t *testing.T) {
	p := filepath.Join(t.TempDir(), "Dockerfile")
	if err := os.WriteFile(p, make([]byte, MaxFileSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p, "")
	wantLoadError(t, err, p, fmt.Sprintf("file is %d bytes, more than the %d byte limit", MaxFileSize+1, MaxFileSize))
}
