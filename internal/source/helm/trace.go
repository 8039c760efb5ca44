package helm

import (
	"slices"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"unicode/utf8"

	"helm.sh/helm/v4/pkg/chart/common"
)

// Tracing: where each byte of a rendered template was written.
//
// Every template file is instrumented (with the limits' ticks, limits.go) with marks that
// record, as the chart renders, what each piece of output was: a text node of a template
// (whose bytes are the source's own, so any byte maps to a line and column of the file
// it was written in) or the output of an action ({{ .Values.image.tag }}, which maps to
// the action, and through its pipeline to the values it read). The marks print nothing
// and the actions' values pass through unchanged, so the chart renders as Helm renders
// it; the record is checked against what Helm printed, and a template whose record does
// not match is not traced (its findings name the file without a line, and say so).
//
//   - Text: {{_khardenText N}} before the text node N.
//   - Action: {{ pipeline | _khardenOut N }} records what the action N printed.
//   - include: include (_khardenInc NAME) DATA | _khardenRet brackets the helper's
//     execution: what it writes goes to a frame of its own, and its result, when the
//     action prints it as it is or indented (nindent, indent), keeps its pieces: a field
//     written in a helper maps to the helper's line (the include site is named in a note).
//     Any other use of the result (quote, trim, b64enc...) maps to the action as a whole.
//   - range: {{_khardenRange N}} before it and {{_khardenIter N}} at its body's start
//     count the iterations, so that a value read in a loop is named with its index.
//   - {{_khardenStart F $}} and {{_khardenEnd F $}} around a file's own body mark its
//     rendering as the top-level template (Helm also executes a template's body when
//     another includes it by name, for a checksum say: that is a helper call like any).
const (
	markStart = "_khardenStart"
	markEnd   = "_khardenEnd"
	markText  = "_khardenText"
	markOut   = "_khardenOut"
	markInc   = "_khardenInc"
	markRet   = "_khardenRet"
	markRange = "_khardenRange"
	markIter  = "_khardenIter"
)

// tfile is a template file as traced.
type tfile struct {
	tr    *tracer
	id    int
	place place
	text  string // as written
	lines []int  // offset of each line's start
	ok    bool   // false when the marks would have changed the template
}

// tnode is a node of a traced template: a text node, an action or a range.
type tnode struct {
	file   *tfile
	pos    int    // text: its first byte; action and range: their {{
	text   string // a text node's text
	action bool
	define string // the define the node is in; "" in the file's own body
	keys   []vkey // values an action reads
	dump   bool   // an action that prints its one value as YAML or JSON (toYaml .Values.x)
}

// vkey is a values key as the template reads it: names, and the elements of ranges
// (which name or index is known only at run time).
type vkey []kseg

type kseg struct {
	name string
	rng  int // >= 0: an element of the range node rng
}

func (k vkey) add(names ...string) vkey {
	out := slices.Clip(k)
	for _, n := range names {
		out = append(out, kseg{name: n, rng: -1})
	}
	return out
}

// cv is what the static walk knows of a value in a template: nothing, the root context
// (. at the top of a file or a helper: helpers are taken to be included with it), or a
// values key.
type cv struct {
	root bool
	key  vkey // nil when neither root nor a values key
}

// scope is what a template's dot and variables are, as far as the walk can tell.
type scope struct {
	dot  cv
	vars map[string]cv
}

func (sc *scope) child() *scope {
	vars := make(map[string]cv, len(sc.vars))
	for k, v := range sc.vars {
		vars[k] = v
	}
	return &scope{dot: sc.dot, vars: vars}
}

func rootScope() *scope {
	return &scope{dot: cv{root: true}, vars: map[string]cv{"$": {root: true}}}
}

// value is what a single-valued pipeline (.Values.x, $v.y, .) is.
func (sc *scope) value(p *parse.PipeNode) cv {
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return cv{}
	}
	return sc.arg(p.Cmds[0].Args[0])
}

func (sc *scope) arg(n parse.Node) cv {
	switch n := n.(type) {
	case *parse.DotNode:
		return sc.dot
	case *parse.FieldNode:
		return resolve(sc.dot, n.Ident)
	case *parse.VariableNode:
		return resolve(sc.vars[n.Ident[0]], n.Ident[1:])
	case *parse.PipeNode:
		return sc.value(n)
	}
	return cv{}
}

func resolve(base cv, fields []string) cv {
	switch {
	case len(fields) == 0:
		return base
	case base.root:
		if fields[0] == "Values" && len(fields) > 1 {
			return cv{key: vkey(nil).add(fields[1:]...)}
		}
	case base.key != nil:
		return cv{key: base.key.add(fields...)}
	}
	return cv{}
}

// with is the scope of a with body.
func (sc *scope) with(p *parse.PipeNode) *scope {
	c := sc.child()
	v := sc.value(p)
	c.dot = v
	for _, d := range p.Decl {
		c.vars[d.Ident[0]] = v
	}
	return c
}

// keys are the values an action's pipeline reads, in order.
func (sc *scope) keys(p *parse.PipeNode) (keys []vkey, dump bool) {
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.PipeNode:
			if n == nil {
				return
			}
			for _, c := range n.Cmds {
				walk(c)
			}
		case *parse.CommandNode:
			if id, ok := n.Args[0].(*parse.IdentifierNode); ok && dumps[id.Ident] {
				dump = true
			}
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.FieldNode, *parse.VariableNode:
			if v := sc.arg(n); v.key != nil && !slices.ContainsFunc(keys, func(k vkey) bool { return slices.Equal(k, v.key) }) {
				keys = append(keys, v.key)
			}
		}
	}
	walk(p)
	return keys, dump && len(keys) == 1
}

// dumps are the functions that print a value's whole structure, so that a field of their
// output is a field of the value.
var dumps = map[string]bool{"toYaml": true, "mustToYaml": true, "toJson": true, "mustToJson": true,
	"toPrettyJson": true, "mustToPrettyJson": true, "toRawJson": true, "mustToRawJson": true}

func (in *instrumenter) node(n tnode) int {
	tr := in.tf.tr
	n.file, n.define = in.tf, in.define
	tr.nodes = append(tr.nodes, n)
	return len(tr.nodes) - 1
}

// open finds the {{ (with its trim marker) of the action whose pipeline starts at pos.
func open(text string, pos int) (at int, trim bool) {
	at = strings.LastIndex(text[:pos], "{{")
	if at < 0 {
		return -1, false
	}
	return at, strings.HasPrefix(text[at:], "{{- ")
}

// closing finds the }} of the action whose pipeline starts at pos: the offset where an
// insert goes before it (before " -}}" when it trims).
func closing(text string, pos int) int {
	depth := 0
	for i := pos; i < len(text); i++ {
		switch c := text[i]; {
		case c == '"' || c == '`' || c == '\'':
			j := i + 1
			for j < len(text) && text[j] != c {
				if text[j] == '\\' && c != '`' {
					j++
				}
				j++
			}
			i = j
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && c == '}' && strings.HasPrefix(text[i:], "}}"):
			if i >= 2 && text[i-2:i] == " -" {
				return i - 2
			}
			return i
		}
	}
	return -1
}

func (in *instrumenter) traceFileStart() {
	in.ins = append(in.ins, insert{0, "{{" + markStart + " " + strconv.Itoa(in.tf.id) + " $}}"})
}

func (in *instrumenter) traceFileEnd() {
	in.ins = append(in.ins, insert{len(in.text), "{{" + markEnd + " " + strconv.Itoa(in.tf.id) + " $}}"})
}

func (in *instrumenter) traceText(n *parse.TextNode) {
	if in.tf == nil || len(n.Text) == 0 {
		return
	}
	id := in.node(tnode{pos: int(n.Pos), text: string(n.Text)})
	in.ins = append(in.ins, insert{int(n.Pos), "{{" + markText + " " + strconv.Itoa(id) + "}}"})
}

func (in *instrumenter) traceAction(n *parse.ActionNode, sc *scope) {
	if len(n.Pipe.Decl) > 0 {
		// A declaration prints nothing; what it binds is known to the rest of the list.
		v := sc.value(n.Pipe)
		if n.Pipe.IsAssign {
			v = cv{}
		}
		for _, d := range n.Pipe.Decl {
			sc.vars[d.Ident[0]] = v
		}
		return
	}
	if in.tf == nil {
		return
	}
	at, _ := open(in.text, int(n.Pos))
	end := closing(in.text, int(n.Pos))
	if at < 0 || end < 0 {
		return
	}
	keys, dump := sc.keys(n.Pipe)
	id := in.node(tnode{pos: at, action: true, keys: keys, dump: dump})
	in.ins = append(in.ins, insert{end, " | " + markOut + " " + strconv.Itoa(id)})
}

// traceInclude brackets an include that starts a pipeline and names its template and
// data (include "x" . | nindent 4): only then can its result be followed.
func (in *instrumenter) traceInclude(n *parse.CommandNode) {
	if in.tf == nil || len(n.Args) != 3 {
		return
	}
	if id, ok := n.Args[0].(*parse.IdentifierNode); !ok || id.Ident != "include" {
		return
	}
	from, to, ok := operand(in.text, n.Args[1])
	if !ok {
		return
	}
	_, end, ok := operand(in.text, n.Args[2])
	if !ok {
		return
	}
	in.ins = append(in.ins, insert{from, "(" + markInc + " "}, insert{to, ")"}, insert{end, " | " + markRet})
}

// traceRange marks a range and its iterations, and returns the scope of its body.
func (in *instrumenter) traceRange(n *parse.RangeNode, sc *scope) *scope {
	body := sc.child()
	id := -1
	if in.tf != nil {
		at, trim := open(in.text, int(n.Pipe.Pos))
		i := int(n.List.Pos)
		for i > 0 && strings.ContainsRune(" \t\r\n", rune(in.text[i-1])) {
			i--
		}
		if at >= 0 && i >= 2 && in.text[i-2:i] == "}}" {
			id = in.node(tnode{pos: at})
			mark := "{{" + markRange + " " + strconv.Itoa(id) + "}}"
			if trim {
				mark = "{{- " + markRange + " " + strconv.Itoa(id) + "}}"
			}
			iter := "{{" + markIter + " " + strconv.Itoa(id) + "}}"
			if i >= 4 && in.text[i-4:i-2] == " -" {
				iter = "{{" + markIter + " " + strconv.Itoa(id) + " -}}"
			}
			in.ins = append(in.ins, insert{at, mark}, insert{i, iter})
		}
	}
	elem := cv{}
	if v := sc.value(n.Pipe); v.key != nil && id >= 0 {
		elem = cv{key: append(slices.Clip(v.key), kseg{rng: id})}
	}
	body.dot = elem
	switch len(n.Pipe.Decl) {
	case 1:
		body.vars[n.Pipe.Decl[0].Ident[0]] = elem
	case 2:
		body.vars[n.Pipe.Decl[0].Ident[0]] = cv{}
		body.vars[n.Pipe.Decl[1].Ident[0]] = elem
	}
	return body
}

// tracer holds the traced files and nodes of one chart, and the record of a rendering.
type tracer struct {
	files  []*tfile
	nodes  []tnode
	byFile map[*common.File]*tfile
	names  map[string]*tfile // top-level templates by engine name, for the rendering under way

	stack []*frame
	iters []iter
	done  map[string]*frame
}

// iter is the iteration of a range that a piece of output was written in, and the
// iterations of the ranges around it (parent, -1 for none).
type iter struct {
	rng, index, parent int
}

func newTracer() *tracer { return &tracer{byFile: map[*common.File]*tfile{}} }

func (tr *tracer) file(p place, text string) *tfile {
	tf := &tfile{tr: tr, id: len(tr.files), place: p, text: text, ok: true, lines: []int{0}}
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			tf.lines = append(tf.lines, i+1)
		}
	}
	tr.files = append(tr.files, tf)
	return tf
}

// untraced forgets the nodes of a file whose marks broke it.
func (tf *tfile) untraced() {
	tf.ok = false
	for i := range tf.tr.nodes {
		if tf.tr.nodes[i].file == tf {
			tf.tr.nodes[i] = tnode{file: tf}
		}
	}
}

// position is the 1-based line and column (in characters) of an offset of the file.
func (tf *tfile) position(off int) (line, col int) {
	line, _ = slices.BinarySearch(tf.lines, off+1)
	start := tf.lines[line-1]
	return line, utf8.RuneCountInString(tf.text[start:min(off, len(tf.text))]) + 1
}

// reset prepares a rendering; names are the top-level templates by engine name.
func (tr *tracer) reset(names map[string]*tfile) {
	tr.names, tr.stack, tr.iters, tr.done = names, nil, nil, map[string]*frame{}
}

// piece is a run of a frame's output written by one node.
type piece struct {
	start, end int
	node       int
	src        int // a text node's source offset at start
	iter       int // the iteration it was written in, -1 for none
	via        int // the include action that brought it from a helper, -1 for none
}

// frame is the output of a template's execution: the top-level template, or a helper.
type frame struct {
	name   string // top-level: the template's engine name
	inc    bool
	out    strings.Builder
	pieces []piece
	vals   []result // helpers' results since the last output
	iter   int
	count  map[int]int
}

type result struct {
	s      string
	pieces []piece // nil when the helper's output was not followed
}

// valid tells whether id is a node's: a chart can call the marks' functions too, with
// any argument (which at worst leaves its output untraced).
func (tr *tracer) valid(id int) bool { return id >= 0 && id < len(tr.nodes) }

func (tr *tracer) cur() *frame {
	if len(tr.stack) == 0 {
		return nil
	}
	return tr.stack[len(tr.stack)-1]
}

// templateName is .Template.Name of a template's root context.
func templateName(root any) string {
	var m map[string]any
	switch r := root.(type) {
	case map[string]any:
		m = r
	default:
		if v, ok := root.(interface{ AsMap() map[string]any }); ok {
			m = v.AsMap()
		}
	}
	var t map[string]any
	switch x := m["Template"].(type) {
	case map[string]any:
		t = x
	case interface{ AsMap() map[string]any }:
		t = x.AsMap()
	}
	name, _ := t["Name"].(string)
	return name
}

var printer = template.Must(template.New("").Parse("{{.}}"))

// printed is what text/template prints for a value.
func printed(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "<no value>"
	}
	var b strings.Builder
	if printer.Execute(&b, v) != nil {
		return "\x00" // what cannot be printed fails the action anyway
	}
	return b.String()
}

// funcs are the marks' functions.
func (tr *tracer) funcs() template.FuncMap {
	return template.FuncMap{
		markStart: func(id int, root any) string {
			if name := templateName(root); id >= 0 && id < len(tr.files) && tr.names[name] == tr.files[id] {
				tr.stack = []*frame{{name: name, iter: -1}}
			}
			return ""
		},
		markEnd: func(id int, root any) string {
			if f := tr.cur(); len(tr.stack) == 1 && f.name == templateName(root) {
				tr.done[f.name] = f
				tr.stack = nil
			}
			return ""
		},
		markText: func(id int) string {
			if f := tr.cur(); f != nil && tr.valid(id) {
				n := &tr.nodes[id]
				f.vals = f.vals[:0]
				f.pieces = append(f.pieces, piece{start: f.out.Len(), end: f.out.Len() + len(n.text), node: id, src: n.pos, iter: f.iter, via: -1})
				f.out.WriteString(n.text)
			}
			return ""
		},
		markOut: func(id int, v any) any {
			if f := tr.cur(); f != nil && tr.valid(id) {
				f.output(id, printed(v))
			}
			return v
		},
		markInc: func(name any) any {
			if len(tr.stack) > 0 {
				tr.stack = append(tr.stack, &frame{inc: true, iter: -1})
			}
			return name
		},
		markRet: func(s string) string {
			if n := len(tr.stack); n > 1 && tr.stack[n-1].inc {
				f := tr.stack[n-1]
				tr.stack = tr.stack[:n-1]
				r := result{s: s}
				if f.out.String() == s {
					r.pieces = f.pieces
				}
				parent := tr.stack[n-2]
				parent.vals = append(parent.vals, r)
			}
			return s
		},
		markRange: func(id int) string {
			if f := tr.cur(); f != nil {
				if f.count == nil {
					f.count = map[int]int{}
				}
				f.count[id] = 0
			}
			return ""
		},
		markIter: func(id int) string {
			if f := tr.cur(); f != nil {
				parent := f.iter
				for i := f.iter; i >= 0; i = tr.iters[i].parent {
					if tr.iters[i].rng == id {
						parent = tr.iters[i].parent
						break
					}
				}
				if f.count == nil {
					f.count = map[int]int{}
				}
				tr.iters = append(tr.iters, iter{rng: id, index: f.count[id], parent: parent})
				f.count[id]++
				f.iter = len(tr.iters) - 1
			}
			return ""
		},
	}
}

// output records what action id printed: the pieces of a helper's result it prints as it
// is or indented, else the action itself.
func (f *frame) output(id int, s string) {
	base := f.out.Len()
	f.out.WriteString(s)
	self := piece{node: id, iter: f.iter, via: -1}
	var mapped []piece
	for i := len(f.vals) - 1; i >= 0 && mapped == nil; i-- {
		if r := f.vals[i]; r.pieces != nil {
			mapped = indented(r, s, self)
		}
	}
	f.vals = f.vals[:0]
	if mapped == nil {
		self.start, self.end = 0, len(s)
		mapped = []piece{self}
	}
	for _, p := range mapped {
		p.start += base
		p.end += base
		f.pieces = append(f.pieces, p)
	}
}

// indented maps the pieces of a helper's result r onto s, when s is r (include), r
// indented (indent n) or a newline and r indented (nindent n); the indentation is the
// action's own. It returns nil when s is none of these.
func indented(r result, s string, self piece) []piece {
	lines := strings.Count(r.s, "\n") + 1
	n, lead := 0, 0
	switch d := len(s) - len(r.s); {
	case d == 0:
	case d > 0 && d%lines == 0 && strings.HasPrefix(s, " "):
		n = d / lines
	case d > 1 && (d-1)%lines == 0 && s[0] == '\n':
		n, lead = (d-1)/lines, 1
	default:
		return nil
	}
	pad := strings.Repeat(" ", n)
	if strings.Repeat("\n", lead)+pad+strings.ReplaceAll(r.s, "\n", "\n"+pad) != s {
		return nil
	}
	var out []piece
	own := func(from, to int) {
		if to > from {
			p := self
			p.start, p.end = from, to
			out = append(out, p)
		}
	}
	at := lead + n // where r's next byte is in s
	own(0, at)
	for _, p := range r.pieces {
		for from := p.start; from < p.end; {
			to := p.end
			if nl := strings.IndexByte(r.s[from:p.end], '\n'); nl >= 0 {
				to = from + nl + 1
			}
			q := p
			q.start, q.end = at, at+to-from
			q.src = p.src + from - p.start
			if q.via < 0 {
				q.via = self.node
			}
			out = append(out, q)
			at += to - from
			if r.s[to-1] == '\n' && to < len(r.s)+1 {
				own(at, at+n)
				at += n
			}
			from = to
		}
	}
	return out
}
