// Package dockerfile loads a Dockerfile into a typed model the Dockerfile rules read:
// stages with their expanded base image and the stages they are built FROM,
// instructions with their lines and BuildKit's typed command, the commands each RUN
// executes (parsed with a shell parser, each with its own line), and the facts of the
// build context (its .dockerignore).
//
// Parsing is BuildKit's own (frontend/dockerfile/parser and instructions), so heredocs,
// line continuations and the escape and syntax directives mean what they mean to
// `docker build`. A file BuildKit rejects is a positioned *manifest.Error.
package dockerfile

import (
	"bytes"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/kharden/kharden/internal/source/fsread"
	"github.com/kharden/kharden/internal/source/manifest"
)

// MaxFileSize bounds the bytes read from one Dockerfile: 8 MiB, a thousand times a
// large real one. BuildKit's parser keeps about 300 bytes per instruction, so the
// limit bounds its tree to some 400 MB for a file of one-word instructions.
const MaxFileSize = 8 << 20

// maxInstructions bounds the instructions of one Dockerfile: each costs about 2 KB in
// the model (BuildKit's typed command most of it), so 200,000 bound it to some 450 MB.
// Real Dockerfiles have tens; the limit is checked before any instruction is typed.
const maxInstructions = 200_000

// File is one parsed Dockerfile.
type File struct {
	// Path is the file's path as given to Parse or Load.
	Path string
	// ContextDir is the build context directory; "" when it is not known (Parse alone,
	// standard input). Rules about the context must stay silent when it is empty.
	ContextDir string
	// Ignore is the context's .dockerignore (or the Dockerfile's own
	// <name>.dockerignore); nil when the context has none or is not known.
	Ignore *Ignore
	// Syntax is the frontend named by a `# syntax=` directive, or "".
	Syntax string
	// Escape is the escape and line-continuation character: '\\' or '`'.
	Escape rune
	// MetaArgs are the ARG instructions before the first FROM, whose defaults FROM
	// lines may use.
	MetaArgs []*Instruction
	// Stages are the build stages in file order. A file BuildKit accepts has at least one.
	Stages []*Stage
	// Final is the last stage: what `docker build` produces without --target.
	Final *Stage
	// Instructions are every instruction of the file in order, meta ARGs included.
	Instructions []*Instruction
	// Lines are the file's physical lines, without line endings; Lines[0] is line 1.
	Lines []string
	// Notes say what the model leaves out: scripts over the shell parse limits, whose
	// commands were read word by word.
	Notes []Note
}

// Note is a remark about a part of the file, at its line and 1-based column (0 when only
// the line is known).
type Note struct {
	Line, Col int
	Msg       string
}

// Stage is one build stage: a FROM and the instructions up to the next FROM.
type Stage struct {
	// Index is the stage's position in the file, from 0 (what COPY --from=0 names).
	Index int
	// Name is the stage name of `FROM image AS name`, lower-cased as BuildKit does; "" if none.
	Name string
	// BaseRaw is the image or stage as written in the FROM line; Base is the same with
	// the meta ARGs' defaults substituted.
	BaseRaw, Base string
	// UnsetArgs names the variables BaseRaw uses that have no default (build arguments
	// given at build time, or the platform arguments); Base is then not fully known.
	UnsetArgs []string
	// BaseStage is the earlier stage this stage is built FROM, or nil for an image.
	BaseStage *Stage
	// Platform is the --platform flag as written, or "".
	Platform string
	// Line is the line of the FROM instruction.
	Line int
	// Instructions are the stage's instructions, starting with its FROM.
	Instructions []*Instruction
	// From is BuildKit's typed FROM.
	From *instructions.Stage
}

// Instruction is one Dockerfile instruction.
type Instruction struct {
	// Kind is the upper-case instruction keyword: "RUN", "COPY", "FROM"...
	Kind string
	// Line and EndLine are the first and last physical lines, heredoc bodies included.
	Line, EndLine int
	// Col is the 1-based column of the keyword on Line.
	Col int
	// Index is the instruction's position in its stage's Instructions (0 for the FROM),
	// or in MetaArgs for a meta ARG.
	Index int
	// HeredocLine is the first line of the heredoc bodies, or 0 when there are none.
	HeredocLine int
	// Original is the instruction as BuildKit joined it: continuations removed,
	// comment lines inside it dropped, heredoc bodies not included.
	Original string
	// Flags are the --flags as written ("--from=build", "--chmod=0755").
	Flags []string
	// Args are the instruction's arguments after the flags, as BuildKit split them.
	Args []string
	// JSON tells whether the arguments were written in exec (JSON array) form.
	JSON bool
	// Heredocs are the heredoc bodies attached to the instruction.
	Heredocs []parser.Heredoc
	// Command is BuildKit's typed command: *instructions.RunCommand, *CopyCommand,
	// *AddCommand, *UserCommand, *ArgCommand... It is nil for FROM (see Stage.From).
	Command instructions.Command
	// Shell is, for RUN, CMD and ENTRYPOINT in shell form, the shell that runs it: the
	// stage's last SHELL, or the default ["/bin/sh", "-c"].
	Shell []string
	// Commands are the simple commands a RUN, CMD or ENTRYPOINT executes, in source
	// order; see Command. Nil for other instructions.
	Commands []*Command
	// Stage is the stage the instruction belongs to; nil for meta ARGs.
	Stage *Stage
	// Node is BuildKit's syntax node.
	Node *parser.Node
}

// RunningStages returns the stages whose instructions make up the image that runs: the
// final stage and the stages it is built FROM, in build order (the root ancestor first,
// the final stage last). COPY --from does not make a stage an ancestor.
func (f *File) RunningStages() []*Stage {
	var out []*Stage
	seen := map[*Stage]bool{}
	for s := f.Final; s != nil && !seen[s]; s = s.BaseStage {
		seen[s] = true
		out = append(out, s)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// StageAt returns the stage whose lines contain line, or nil (before the first FROM).
func (f *File) StageAt(line int) *Stage {
	i := sort.Search(len(f.Stages), func(i int) bool { return f.Stages[i].Line > line })
	if i == 0 {
		return nil
	}
	return f.Stages[i-1]
}

// InstructionAt returns the instruction whose lines contain line, or nil.
func (f *File) InstructionAt(line int) *Instruction {
	i := sort.Search(len(f.Instructions), func(i int) bool { return f.Instructions[i].EndLine >= line })
	if i < len(f.Instructions) && f.Instructions[i].Line <= line {
		return f.Instructions[i]
	}
	return nil
}

// Commands iterates over the commands of the stage's RUN instructions, in order.
func (s *Stage) Commands() iter.Seq[*Command] {
	return func(yield func(*Command) bool) {
		for _, in := range s.Instructions {
			if in.Kind != "RUN" {
				continue
			}
			for _, c := range in.Commands {
				if !yield(c) {
					return
				}
			}
		}
	}
}

// Kind iterates over the stage's instructions of one kind ("RUN", "USER"...).
func (s *Stage) Kind(kind string) iter.Seq[*Instruction] {
	return func(yield func(*Instruction) bool) {
		for _, in := range s.Instructions {
			if in.Kind == kind && !yield(in) {
				return
			}
		}
	}
}

// DisplayName names the stage in messages: its name, or "#N" for an unnamed stage.
func (s *Stage) DisplayName() string {
	if s.Name != "" {
		return s.Name
	}
	return fmt.Sprintf("#%d", s.Index)
}

// Load reads a Dockerfile and its build context's .dockerignore. contextDir "" means
// the Dockerfile's directory.
func Load(path, contextDir string) (*File, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, &manifest.Error{File: path, Msg: err.Error()}
	}
	f, perr := Parse(path, data)
	if perr != nil {
		return nil, perr
	}
	if contextDir == "" {
		contextDir = filepath.Dir(path)
	}
	f.ContextDir = contextDir
	ig, err := ReadIgnore(path, contextDir)
	if err != nil {
		return nil, err
	}
	f.Ignore = ig
	return f, nil
}

func readLimited(path string) ([]byte, error) { return readRegular(path, MaxFileSize) }

// readRegular reads a regular file of at most max bytes, refusing a FIFO (which would
// block) or a device such as /dev/zero (which never ends) unopened.
func readRegular(path string, max int64) ([]byte, error) {
	data, err := fsread.ReadRegular(path, max)
	if err != nil {
		return nil, cleanErr(err)
	}
	return data, nil
}

func cleanErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

// Parse parses a Dockerfile's content. The error, when not nil, is a *manifest.Error
// positioned at the offending line. The result has no build context (ContextDir "").
func Parse(path string, data []byte) (f *File, err error) {
	defer func() {
		if p := recover(); p != nil {
			f, err = nil, &manifest.Error{File: path, Msg: fmt.Sprintf("internal error parsing the Dockerfile: %v", p)}
		}
	}()
	if len(data) > MaxFileSize {
		return nil, &manifest.Error{File: path, Msg: fmt.Sprintf("file is %d bytes, more than the %d byte limit", len(data), MaxFileSize)}
	}
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, positioned(path, err)
	}
	if n := len(res.AST.Children); n > maxInstructions {
		return nil, &manifest.Error{File: path, Line: res.AST.Children[maxInstructions].StartLine,
			Msg: fmt.Sprintf("%d instructions, more than the %d instruction limit", n, maxInstructions)}
	}
	f = &File{Path: path, Escape: res.EscapeToken, Lines: splitLines(data)}
	if syntax, _, _, ok := parser.DetectSyntax(data); ok {
		f.Syntax = syntax
	}
	b := builder{f: f, lex: shell.NewLex(res.EscapeToken), metaEnv: map[string]string{}, named: map[string]*Stage{}}
	for _, n := range res.AST.Children {
		if err := b.add(n); err != nil {
			return nil, positioned(path, err)
		}
	}
	if len(f.Stages) == 0 {
		return nil, &manifest.Error{File: path, Line: 1, Msg: "no FROM instruction: a Dockerfile must start a build stage"}
	}
	f.Final = f.Stages[len(f.Stages)-1]
	if b.sh != nil {
		b.sh.finish(f)
	}
	return f, nil
}

// positioned turns a BuildKit error into a *manifest.Error at its first line.
func positioned(path string, err error) *manifest.Error {
	e := &manifest.Error{File: path, Msg: err.Error()}
	var le *parser.LocationError
	if errors.As(err, &le) {
		for _, rs := range le.Locations {
			if len(rs) > 0 && rs[0].Start.Line > 0 {
				e.Line = rs[0].Start.Line
				break
			}
		}
	}
	var ue *instructions.UnknownInstructionError
	if errors.As(err, &ue) && e.Line == 0 {
		e.Line = ue.Line
	}
	// BuildKit prefixes some messages with the line it already gave us.
	if i := strings.Index(e.Msg, ": "); i > 0 && strings.HasPrefix(e.Msg, "dockerfile parse error on line ") {
		e.Msg = e.Msg[i+2:]
	}
	return e
}

func splitLines(data []byte) []string {
	s := strings.TrimSuffix(string(data), "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	if len(lines) > 0 {
		lines[0] = strings.TrimPrefix(lines[0], "\uFEFF")
	}
	return lines
}

// builder assembles a File from BuildKit's nodes.
type builder struct {
	f       *File
	lex     *shell.Lex
	metaEnv map[string]string
	shell   []string // the current stage's SHELL
	sh      *shellParse
	named   map[string]*Stage // the stages so far by name
}

func (b *builder) add(n *parser.Node) error {
	typed, err := instructions.ParseInstruction(n)
	if err != nil {
		return err
	}
	in := &Instruction{
		Kind: strings.ToUpper(n.Value), Line: n.StartLine, EndLine: n.EndLine, Original: n.Original,
		Flags: n.Flags, JSON: n.Attributes["json"], Heredocs: n.Heredocs, Node: n,
	}
	for a := n.Next; a != nil; a = a.Next {
		in.Args = append(in.Args, a.Value)
	}
	if in.Line >= 1 && in.Line <= len(b.f.Lines) {
		l := b.f.Lines[in.Line-1]
		in.Col = len(l) - len(strings.TrimLeftFunc(l, unicode.IsSpace)) + 1
	}
	if len(in.Heredocs) > 0 {
		if _, _, last := joinLines(b.f.Lines, in.Line, b.f.Escape); last < in.EndLine {
			in.HeredocLine = last + 1
		}
	}
	b.f.Instructions = append(b.f.Instructions, in)
	if st, ok := typed.(*instructions.Stage); ok {
		b.addStage(in, st)
		return nil
	}
	c, ok := typed.(instructions.Command)
	if !ok {
		return parser.WithLocation(fmt.Errorf("%s is not an instruction", n.Value), n.Location())
	}
	in.Command = c
	if len(b.f.Stages) == 0 {
		a, isArg := c.(*instructions.ArgCommand)
		if !isArg {
			return parser.WithLocation(fmt.Errorf("%s before the first FROM: only ARG may come before it", in.Kind), n.Location())
		}
		in.Index = len(b.f.MetaArgs)
		b.f.MetaArgs = append(b.f.MetaArgs, in)
		for _, kv := range a.Args {
			if kv.Value == nil {
				continue
			}
			v, _, err := b.lex.ProcessWord(*kv.Value, envMap(b.metaEnv))
			if err != nil {
				v = *kv.Value
			}
			b.metaEnv[kv.Key] = v
		}
		return nil
	}
	s := b.f.Stages[len(b.f.Stages)-1]
	in.Stage, in.Index = s, len(s.Instructions)
	s.Instructions = append(s.Instructions, in)
	switch c := c.(type) {
	case *instructions.ShellCommand:
		b.shell = append([]string(nil), c.Shell...)
	case *instructions.RunCommand:
		b.commands(in, c.ShellDependantCmdLine)
	case *instructions.CmdCommand:
		b.commands(in, c.ShellDependantCmdLine)
	case *instructions.EntrypointCommand:
		b.commands(in, c.ShellDependantCmdLine)
	}
	return nil
}

func (b *builder) addStage(in *Instruction, st *instructions.Stage) {
	s := &Stage{Index: len(b.f.Stages), Name: st.Name, BaseRaw: st.BaseName, Platform: st.Platform,
		Line: in.Line, Instructions: []*Instruction{in}, From: st}
	in.Stage = s
	res, err := b.lex.ProcessWordWithMatches(st.BaseName, envMap(b.metaEnv))
	if err != nil {
		s.Base = st.BaseName
	} else {
		s.Base = res.Result
		for name := range res.Unmatched {
			s.UnsetArgs = append(s.UnsetArgs, name)
		}
		sort.Strings(s.UnsetArgs)
	}
	// Stage names are lower case; BuildKit looks a base up lower-cased, the last stage of
	// the name winning. A map keeps a file of many stages linear.
	s.BaseStage = b.named[strings.ToLower(s.Base)]
	if s.Name != "" {
		b.named[s.Name] = s
	}
	b.f.Stages = append(b.f.Stages, s)
	b.shell = nil
}

// defaultShell is what runs shell-form instructions without a SHELL instruction.
var defaultShell = []string{"/bin/sh", "-c"}

func (b *builder) commands(in *Instruction, cl instructions.ShellDependantCmdLine) {
	if cl.PrependShell {
		in.Shell = b.shell
		if in.Shell == nil {
			in.Shell = defaultShell
		}
	}
	if b.sh == nil {
		b.sh = newShellParse()
	}
	in.Commands = commandsOf(b.f, in, cl, b.sh)
}

// envMap adapts a map to BuildKit's shell.EnvGetter.
type envMap map[string]string

func (m envMap) Get(k string) (string, bool) { v, ok := m[k]; return v, ok }

func (m envMap) Keys() []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// IsDockerfileName tells whether a file name is one kharden scans as a Dockerfile:
// Dockerfile, Containerfile, NAME.Dockerfile, Dockerfile.NAME, NAME.Containerfile,
// Containerfile.NAME (any case), but not the Dockerfile-specific NAME.dockerignore nor
// files whose extension says they are something else (Dockerfile.md, dockerfile.yaml).
func IsDockerfileName(name string) bool {
	n := strings.ToLower(name)
	for _, ext := range []string{".dockerignore", ".yaml", ".yml", ".json", ".md", ".txt"} {
		if strings.HasSuffix(n, ext) {
			return false
		}
	}
	for _, base := range []string{"dockerfile", "containerfile"} {
		if n == base || strings.HasPrefix(n, base+".") || strings.HasSuffix(n, "."+base) {
			return true
		}
	}
	return false
}

// Unquote returns a word of an instruction (a COPY source, a WORKDIR path, a USER) as
// BuildKit uses it after quote and escape removal, with variables left as written:
// `"/target/app.jar"` is /target/app.jar, `"${HOME}/x"` is ${HOME}/x.
func (f *File) Unquote(word string) string {
	if !strings.ContainsAny(word, `"'\`+"`") {
		return word
	}
	lex := shell.NewLex(f.Escape)
	lex.SkipUnsetEnv = true
	out, _, err := lex.ProcessWord(word, envMap(nil))
	if err != nil {
		return word
	}
	return out
}
