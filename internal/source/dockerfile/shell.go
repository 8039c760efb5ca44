package dockerfile

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"mvdan.cc/sh/v3/syntax"
)

// maxScriptDepth bounds the nesting of `sh -c "sh -c '...'"` scripts kharden follows.
const maxScriptDepth = 6

// Limits of the shell parse. The shell parser and syntax.Walk (and the walkers here)
// recurse once per level of the syntax tree, and a chain of && or |, brackets, clause
// keywords and arithmetic or test operators each add levels: 400,000 && in one RUN
// overflowed the 1 GiB goroutine stack, which kills the process (a stack overflow is
// not a panic recover can catch). So a script is measured before it is parsed, and one
// over a limit is read word by word instead (see split), with a note.
const (
	// maxScriptBytes bounds one script (a RUN with its heredocs, a `sh -c` argument):
	// 256 KiB, over 50 times the largest RUN of the docker-library images (4.6 KB).
	maxScriptBytes = 256 << 10
	// maxScriptOps bounds what shellOps counts in one script, an upper bound of its tree's
	// depth: 10,000, 19 times the docker-library maximum (525). At the limit the deepest
	// parse and walk take 16 to 32 MiB of stack, far from Go's 1 GiB
	// (TestShellLimitsBoundTheStack runs them under 64 MiB).
	maxScriptOps = 10_000
	// maxFileShellBytes bounds the bytes one file's scripts give the shell parser, which
	// allocates about 100 bytes per byte of script: 1 MiB, 140 times the largest file
	// total of the docker-library images (7.5 KB).
	maxFileShellBytes = 1 << 20
)

// shellParse is the shell parser of one file and what is left of its budget.
type shellParse struct {
	parser *syntax.Parser
	// left is how many bytes of script the file may still parse; -1 once it ran out.
	left int
	// skipped counts the scripts read word by word because the budget ran out, and
	// note is the index in File.Notes of the note that says so.
	skipped, note int
}

func newShellParse() *shellParse {
	return &shellParse{parser: syntax.NewParser(syntax.Variant(syntax.LangBash)), left: maxFileShellBytes, note: -1}
}

// finish completes the budget's note with the number of scripts it concerns.
func (sp *shellParse) finish(f *File) {
	if sp.note >= 0 {
		f.Notes[sp.note].Msg = fmt.Sprintf("%s (%d scripts in all)", f.Notes[sp.note].Msg, sp.skipped)
	}
}

// opBytes are the bytes that can open a level of the shell syntax tree: operators,
// brackets, substitutions, and the operators of arithmetic and of [[ ]] tests.
var opBytes = func() (t [256]bool) {
	for _, c := range []byte("&|()[]{}<>!$`+-*/%^=~?:,") {
		t[c] = true
	}
	return t
}()

// shellOps counts the operator bytes and clause keywords (if, while, until, for, case,
// select, time, coproc, function) of a script. Quoting is ignored, so the count is an
// upper bound of the depth of the script's syntax tree.
func shellOps(text string) int {
	n := 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		if opBytes[c] {
			n++
			continue
		}
		if c < 'a' || c > 'z' || i > 0 && isWordByte(text[i-1]) {
			continue
		}
		j := i + 1
		for j < len(text) && text[j] >= 'a' && text[j] <= 'z' {
			j++
		}
		if j == len(text) || !isWordByte(text[j]) {
			switch text[i:j] {
			case "if", "while", "until", "for", "case", "select", "time", "coproc", "function":
				n++
			}
		}
		i = j - 1
	}
	return n
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// admit tells whether a script may be parsed as shell, charging it to the file's budget;
// when it may not, it notes why and the caller reads the script word by word.
func (p *cmdParser) admit(s source) bool {
	var why string
	switch {
	case len(s.text) > maxScriptBytes:
		why = fmt.Sprintf("it is %d bytes, over the limit of %d", len(s.text), maxScriptBytes)
	case p.sh.left < 0:
		p.sh.skipped++
		return false
	case len(s.text) > p.sh.left:
		p.sh.left, p.sh.skipped, p.sh.note = -1, 1, len(p.f.Notes)
		why = fmt.Sprintf("the file's scripts are over the limit of %d bytes parsed as shell; "+
			"this one and those after it were read word by word", maxFileShellBytes)
	default:
		if ops := shellOps(s.text); ops > maxScriptOps {
			why = fmt.Sprintf("it has %d operators, brackets and clause keywords, over the limit of %d", ops, maxScriptOps)
		} else {
			p.sh.left -= len(s.text)
			return true
		}
	}
	if !strings.HasSuffix(why, "word by word") {
		why += "; its commands were read word by word"
	}
	line, col := s.at(0)
	p.f.Notes = append(p.f.Notes, Note{Line: line, Col: col,
		Msg: fmt.Sprintf("%s script not parsed as shell: %s", p.in.Kind, why)})
	return false
}

// source is a shell script and where each of its bytes is in the Dockerfile.
type source struct {
	text string
	// at returns the physical line and 1-based column of the byte at offset off of
	// text (0 <= off <= len(text)); column 0 when only the line is known.
	at func(off int) (line, col int)
}

func fixedAt(line, col int) func(int) (int, int) {
	return func(int) (int, int) { return line, col }
}

// cmdParser collects the commands of one instruction.
type cmdParser struct {
	f   *File
	in  *Instruction
	sh  *shellParse
	out []*Command
	// pendingEnv are assignments split has read before a command name.
	pendingEnv []string
}

// commandsOf returns the commands a RUN, CMD or ENTRYPOINT executes.
func commandsOf(f *File, in *Instruction, cl instructions.ShellDependantCmdLine, sh *shellParse) []*Command {
	p := &cmdParser{f: f, in: in, sh: sh}
	switch {
	case !cl.PrependShell:
		if len(cl.CmdLine) == 0 {
			return nil
		}
		line, col := in.Line, firstCol(f, in.Line, "[")
		c := &Command{Name: cl.CmdLine[0], Args: append([]string(nil), cl.CmdLine[1:]...), Line: line, Col: col,
			Raw: strings.Join(cl.CmdLine, " "), Instruction: in}
		p.out = append(p.out, c)
		p.innerExec(c, 1)
	case len(in.Shell) == 0 || !posixShells[path.Base(in.Shell[0])]:
		// PowerShell, cmd.exe...: the process docker starts is the shell itself.
		script := strings.Join(cl.CmdLine, " ")
		s := p.instructionSource(script)
		line, col := s.at(0)
		args := append(append([]string(nil), in.Shell[1:]...), script)
		if len(in.Shell) == 0 {
			return nil
		}
		p.out = append(p.out, &Command{Name: in.Shell[0], Args: args, Line: line, Col: col, Raw: script, Instruction: in})
	default:
		p.script(p.instructionSource(strings.Join(cl.CmdLine, " ")), nil, 0)
	}
	sort.SliceStable(p.out, func(i, j int) bool {
		a, b := p.out[i], p.out[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	// The words are only needed while parsing; kept, they would hold the parser's
	// allocation batches (about 2 KB per script) for the life of the file.
	for _, c := range p.out {
		c.words = nil
	}
	return p.out
}

// firstCol is the 1-based column of the first sep on a line, or 1.
func firstCol(f *File, line int, sep string) int {
	if line < 1 || line > len(f.Lines) {
		return 0
	}
	if i := strings.Index(f.Lines[line-1], sep); i >= 0 {
		return i + 1
	}
	return 1
}

type lineCol struct{ line, col int32 }

// positions maps byte offsets of a joined instruction back to physical lines: one
// segment per physical line (where its text starts in the joined string), and the
// position just after the last byte.
type positions struct {
	segs []posSeg
	end  lineCol
	n    int // length of the joined text
}

type posSeg struct {
	off int // offset in the joined text where this line's text begins
	lc  lineCol
}

// at returns the physical position of byte off of the joined text; offsets at or past
// its end map to the position after the last byte.
func (p positions) at(off int) lineCol {
	if off >= p.n || len(p.segs) == 0 {
		return p.end
	}
	i := sort.Search(len(p.segs), func(i int) bool { return p.segs[i].off > off }) - 1
	if i < 0 {
		i = 0
	}
	s := p.segs[i]
	return lineCol{s.lc.line, s.lc.col + int32(off-s.off)}
}

// instructionSource maps the shell-form script of the instruction (BuildKit's joined
// text after the keyword and flags) and its heredoc bodies back to physical positions.
func (p *cmdParser) instructionSource(script string) source {
	f, in := p.f, p.in
	joined, pos, last := joinLines(f.Lines, in.Line, f.Escape)
	start := -1
	if joined == in.Original {
		start = strings.LastIndex(joined, script)
	}
	text := script
	var tailStarts []int // offsets in text where each heredoc line starts
	if len(in.Heredocs) > 0 && last < in.EndLine && in.EndLine <= len(f.Lines) {
		var b strings.Builder
		b.WriteString(script)
		for _, l := range f.Lines[last:in.EndLine] {
			b.WriteByte('\n')
			tailStarts = append(tailStarts, b.Len())
			b.WriteString(l)
		}
		b.WriteByte('\n')
		text = b.String()
	}
	at := func(off int) (int, int) {
		if off < len(script) || len(tailStarts) == 0 {
			if start < 0 {
				return in.Line, 0
			}
			lc := pos.at(start + off)
			return int(lc.line), int(lc.col)
		}
		i := sort.SearchInts(tailStarts, off+1) - 1 // the last line starting at or before off
		if i < 0 {
			if start < 0 {
				return in.Line, 0
			}
			lc := pos.at(start + len(script))
			return int(lc.line), int(lc.col)
		}
		return last + 1 + i, off - tailStarts[i] + 1
	}
	return source{text: text, at: at}
}

// joinLines joins an instruction's physical lines from line start the way BuildKit does
// (leading white space of the first line dropped, comment and blank lines inside the
// continuation skipped, continuation characters removed) and returns the text, the
// position of each byte (plus one past the end) and the last physical line joined.
func joinLines(lines []string, start int, esc rune) (string, positions, int) {
	var b strings.Builder
	var pos positions
	for i := start - 1; i < len(lines); i++ {
		tok, off := lines[i], 0
		if i == start-1 {
			t := strings.TrimLeftFunc(tok, unicode.IsSpace)
			off, tok = len(tok)-len(t), t
		} else {
			t := strings.TrimLeftFunc(tok, unicode.IsSpace)
			if t == "" || t[0] == '#' {
				continue
			}
		}
		j, cont := continuation(tok, esc)
		tok = tok[:j]
		if len(tok) > 0 {
			pos.segs = append(pos.segs, posSeg{b.Len(), lineCol{int32(i + 1), int32(off + 1)}})
		}
		b.WriteString(tok)
		pos.end = lineCol{int32(i + 1), int32(off + len(tok) + 1)}
		if !cont {
			pos.n = b.Len()
			return b.String(), pos, i + 1
		}
	}
	if len(pos.segs) == 0 {
		pos.end = lineCol{int32(len(lines)), 1}
	} else {
		// No line ended the instruction: the old per-byte table ended on its last byte.
		last := pos.segs[len(pos.segs)-1]
		pos.end = lineCol{last.lc.line, last.lc.col + int32(b.Len()-1-last.off)}
	}
	pos.n = b.Len()
	return b.String(), pos, len(lines)
}

// continuation tells whether a line ends with the escape character (then followed only
// by spaces and tabs) that is not itself escaped, and where the kept text ends.
func continuation(line string, esc rune) (int, bool) {
	t := strings.TrimRight(line, " \t")
	e := string(esc)
	if !strings.HasSuffix(t, e) {
		return len(line), false
	}
	j := len(t) - len(e)
	if j > 0 && strings.HasSuffix(t[:j], e) {
		return len(line), false
	}
	return j, true
}

// script parses a shell script and records its commands.
func (p *cmdParser) script(s source, parent *Command, depth int) {
	if depth > maxScriptDepth || strings.TrimSpace(s.text) == "" {
		return
	}
	if !p.admit(s) {
		p.split(s, parent)
		return
	}
	file, err := p.sh.parser.Parse(strings.NewReader(s.text), "")
	if err != nil {
		p.split(s, parent)
		return
	}
	var (
		stack []syntax.Node
		subst int
		pipes []pipe
		order []callAt
		calls = map[*syntax.CallExpr]*Command{}
	)
	syntax.Walk(file, func(n syntax.Node) bool {
		if n == nil {
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			switch top.(type) {
			case *syntax.CmdSubst, *syntax.ProcSubst:
				subst--
			}
			return true
		}
		stack = append(stack, n)
		switch n := n.(type) {
		case *syntax.CmdSubst, *syntax.ProcSubst:
			subst++
		case *syntax.CallExpr:
			if len(n.Args) == 0 {
				break
			}
			c := p.call(s, n, parent, subst > 0)
			calls[n] = c
			order = append(order, callAt{int(n.Pos().Offset()), subst, n})
			p.inner(c, s, depth)
		case *syntax.DeclClause:
			p.decl(s, n, parent, subst > 0)
		case *syntax.BinaryCmd:
			if n.Op == syntax.Pipe || n.Op == syntax.PipeAll {
				pipes = append(pipes, pipe{n.X, n.Y, subst})
			}
		case *syntax.Redirect:
			if n.Hdoc == nil || (n.Op != syntax.Hdoc && n.Op != syntax.DashHdoc) || len(stack) < 2 {
				break
			}
			stmt, ok := stack[len(stack)-2].(*syntax.Stmt)
			if !ok {
				break
			}
			if stmt.Cmd == nil {
				// RUN <<EOF: BuildKit runs a lone heredoc as the script itself.
				if depth == 0 && parent == nil && len(file.Stmts) == 1 {
					p.heredoc(s, n, nil, depth)
				}
				break
			}
			if ce, ok := stmt.Cmd.(*syntax.CallExpr); ok && calls[ce] != nil && readsScriptFromStdin(calls[ce].Unwrap()) {
				p.heredoc(s, n, calls[ce], depth)
			}
		}
		return true
	})
	slices.SortFunc(order, func(a, b callAt) int { return cmp.Or(cmp.Compare(a.subst, b.subst), cmp.Compare(a.off, b.off)) })
	for _, pp := range pipes {
		l := calls[sideCall(order, pp.subst, int(pp.x.Pos().Offset()), int(pp.x.End().Offset()), true)]
		r := calls[sideCall(order, pp.subst, int(pp.y.Pos().Offset()), int(pp.y.End().Offset()), false)]
		if l != nil && r != nil {
			l.PipeTo, r.PipeFrom = r, l
		}
	}
}

// call records a simple command.
func (p *cmdParser) call(s source, ce *syntax.CallExpr, parent *Command, subst bool) *Command {
	c := &Command{Parent: parent, Subst: subst, Instruction: p.in, words: ce.Args}
	c.Name = unquote(ce.Args[0], s.text, nil)
	c.Args = make([]string, len(ce.Args)-1)
	for i, w := range ce.Args[1:] {
		c.Args[i] = unquote(w, s.text, nil)
	}
	for _, a := range ce.Assigns {
		c.Env = append(c.Env, assignString(a, s.text))
	}
	c.Line, c.Col = s.at(int(ce.Args[0].Pos().Offset()))
	c.Raw = slice(s.text, ce.Pos(), ce.End())
	p.out = append(p.out, c)
	return c
}

// decl records export, declare, local, readonly and typeset as commands.
func (p *cmdParser) decl(s source, d *syntax.DeclClause, parent *Command, subst bool) {
	c := &Command{Name: d.Variant.Value, Parent: parent, Subst: subst, Instruction: p.in}
	for _, a := range d.Args {
		c.Args = append(c.Args, assignString(a, s.text))
	}
	c.Line, c.Col = s.at(int(d.Pos().Offset()))
	c.Raw = slice(s.text, d.Pos(), d.End())
	p.out = append(p.out, c)
}

func assignString(a *syntax.Assign, text string) string {
	switch {
	case a.Naked && a.Value != nil:
		return unquote(a.Value, text, nil)
	case a.Name == nil:
		return ""
	case a.Value != nil:
		return a.Name.Value + "=" + unquote(a.Value, text, nil)
	case a.Array != nil:
		return a.Name.Value + "=" + slice(text, a.Array.Pos(), a.Array.End())
	case a.Naked:
		return a.Name.Value
	}
	return a.Name.Value + "="
}

func slice(text string, from, to syntax.Pos) string {
	i, j := int(from.Offset()), int(to.Offset())
	if i < 0 || j > len(text) || i > j {
		return ""
	}
	return text[i:j]
}

// inner parses the script of `sh -c SCRIPT` or `su -c SCRIPT` (through wrappers such as
// sudo) as commands whose parent is c.
func (p *cmdParser) inner(c *Command, s source, depth int) {
	u := c.Unwrap()
	i := shellScript(u.Base(), u.Args)
	if i < 0 || len(u.words) != len(u.Args)+1 {
		return
	}
	var m []int
	text := unquote(u.words[i+1], s.text, &m)
	p.script(source{text: text, at: func(off int) (int, int) { return s.at(m[min(off, len(m)-1)]) }}, c, depth+1)
}

// innerExec is inner for an exec-form command, whose words have no source positions.
func (p *cmdParser) innerExec(c *Command, depth int) {
	u := c.Unwrap()
	if i := shellScript(u.Base(), u.Args); i >= 0 {
		p.script(source{text: u.Args[i], at: fixedAt(c.Line, c.Col)}, c, depth)
	}
}

// heredoc parses a heredoc body fed to a shell as a script. A body starting with a #!
// line naming another interpreter is not shell.
func (p *cmdParser) heredoc(s source, r *syntax.Redirect, parent *Command, depth int) {
	from, to := int(r.Hdoc.Pos().Offset()), int(r.Hdoc.End().Offset())
	if from < 0 || to > len(s.text) || from >= to {
		return
	}
	text := s.text[from:to]
	// The body's end can take in the closing delimiter line; it is not a command.
	if r.Word != nil {
		delim := unquote(r.Word, s.text, nil)
		body := strings.TrimRight(text, "\n")
		last := body[strings.LastIndexByte(body, '\n')+1:]
		if strings.TrimLeft(last, "\t") == delim {
			text = body[:len(body)-len(last)]
		}
	}
	if first, _, _ := strings.Cut(text, "\n"); strings.HasPrefix(first, "#!") {
		interp := strings.Fields(first[2:])
		if len(interp) > 0 && path.Base(interp[0]) == "env" && len(interp) > 1 {
			interp = interp[1:]
		}
		if len(interp) == 0 || !posixShells[path.Base(interp[0])] {
			return
		}
	}
	p.script(source{text: text, at: func(off int) (int, int) { return s.at(from + off) }}, parent, depth+1)
}

// pipe is the two sides of a | or |&, and the number of substitutions it is in.
type pipe struct {
	x, y  *syntax.Stmt
	subst int
}

// callAt is a simple command of a script with its offset and the number of command or
// process substitutions it is in.
type callAt struct {
	off, subst int
	ce         *syntax.CallExpr
}

// sideCall returns the first (or last) simple command of a pipeline side spanning
// [from, to) that is outside the side's own substitutions: of those, in order (sorted
// by substitution depth, then offset), the ones at the pipeline's own depth subst. A
// binary search, where walking each side made a long pipeline quadratic.
func sideCall(order []callAt, subst, from, to int, last bool) *syntax.CallExpr {
	at := func(off int) int {
		return sort.Search(len(order), func(i int) bool {
			o := order[i]
			return o.subst > subst || o.subst == subst && o.off >= off
		})
	}
	lo, hi := at(from), at(to)
	switch {
	case lo >= hi:
		return nil
	case last:
		return order[hi-1].ce
	}
	return order[lo].ce
}

// unquote returns a word as the shell passes it to the program after quote removal,
// keeping expansions ($VAR, $(cmd)) as written. When m is not nil it receives the
// offset in text of each byte of the result, plus the offset just past the word.
func unquote(w *syntax.Word, text string, m *[]int) string {
	if len(w.Parts) == 1 && m == nil {
		if l, ok := w.Parts[0].(*syntax.Lit); ok && !strings.Contains(l.Value, `\`) {
			return l.Value
		}
	}
	var b strings.Builder
	emit := func(i int) {
		b.WriteByte(text[i])
		if m != nil {
			*m = append(*m, i)
		}
	}
	end := 0
	for _, part := range w.Parts {
		from, to := int(part.Pos().Offset()), int(part.End().Offset())
		if from < 0 || to > len(text) || from > to {
			continue
		}
		end = to
		switch q := part.(type) {
		case *syntax.Lit:
			for i := from; i < to; i++ {
				if text[i] == '\\' && i+1 < to {
					i++
					if text[i] == '\n' {
						continue
					}
				}
				emit(i)
			}
		case *syntax.SglQuoted:
			if q.Dollar {
				from++
			}
			for i := from + 1; i < to-1; i++ {
				emit(i)
			}
		case *syntax.DblQuoted:
			if q.Dollar {
				from++
			}
			for i := from + 1; i < to-1; i++ {
				if text[i] == '\\' && i+1 < to-1 && strings.IndexByte("$`\"\\\n", text[i+1]) >= 0 {
					i++
					if text[i] == '\n' {
						continue
					}
				}
				emit(i)
			}
		default:
			for i := from; i < to; i++ {
				emit(i)
			}
		}
	}
	if m != nil {
		*m = append(*m, end)
	}
	return b.String()
}

// split is the fallback for a script the shell parser rejects: words split on white
// space, commands split on the operators && || ; | & written as separate words (or a
// trailing ;), pipes recorded.
func (p *cmdParser) split(s source, parent *Command) {
	var cur, piped *Command
	// Raw is joined once a command ends: appending word by word is quadratic.
	end := func() {
		if cur != nil {
			cur.Raw = strings.Join(append([]string{cur.Name}, cur.Args...), " ")
		}
		cur = nil
	}
	text := s.text
	for i := 0; i < len(text); {
		for i < len(text) && isSpace(text[i]) {
			i++
		}
		if i >= len(text) {
			break
		}
		j := i
		for j < len(text) && !isSpace(text[j]) {
			j++
		}
		tok, start := text[i:j], i
		i = j
		switch tok {
		case "&&", "||", ";", "&":
			end()
			continue
		case "|", "|&":
			piped = cur
			end()
			continue
		}
		semi := len(tok) > 1 && strings.HasSuffix(tok, ";")
		if semi {
			tok = tok[:len(tok)-1]
		}
		if cur == nil {
			if k := strings.IndexByte(tok, '='); k > 0 && isName(tok[:k]) && !semi {
				p.pendingEnv = append(p.pendingEnv, tok)
				continue
			}
			cur = &Command{Name: tok, Env: p.pendingEnv, Parent: parent, Instruction: p.in, split: true}
			p.pendingEnv = nil
			cur.Line, cur.Col = s.at(start)
			if piped != nil {
				piped.PipeTo, cur.PipeFrom = cur, piped
				piped = nil
			}
			p.out = append(p.out, cur)
		} else {
			cur.Args = append(cur.Args, tok)
		}
		if semi {
			end()
		}
	}
	end()
	p.pendingEnv = nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}
