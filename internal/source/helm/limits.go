package helm

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
	"time"

	"github.com/Masterminds/sprig/v3"
)

// Limits on rendering one chart. Helm's engine has none but a depth of 1000 for nested
// includes of one name, and text/template cannot be stopped from outside, so kharden
// instruments the chart: every range body and define (and every text given to tpl, which
// is instrumented the same way before Helm parses it) calls a tick that counts, checks
// the clock and the heap, and stops the rendering with an error once a limit is passed.
// Functions that allocate in one call in proportion to a number (until, repeat, printf
// widths...) refuse numbers beyond the limits below.
const (
	// RenderTimeout bounds the rendering of one chart.
	RenderTimeout = 10 * time.Second
	// MaxRenderSteps bounds the loop iterations, includes and tpl calls of one chart.
	MaxRenderSteps = 1_000_000
	// MaxRenderHeap bounds how much the live Go heap (as of the last collection) may grow
	// while a chart renders.
	MaxRenderHeap = 256 << 20
	// MaxRenderedSize bounds the rendered output of one chart.
	MaxRenderedSize = 32 << 20
	// MaxList bounds the lists until, untilStep and seq make, and those uniq takes.
	MaxList = 10_000
	// MaxString bounds the strings repeat, indent, printf widths and rand* make.
	MaxString = 1 << 20
)

const tickFunc, tplGate = "_khardenTick", "_khardenTpl"

// maxTplFrames bounds the Go stack at a tpl call: a nested tpl adds a dozen frames, so
// tpl may nest some 150 deep (fewer with includes between).
const maxTplFrames = 2000

// topName names the text being instrumented, apart from its defines.
const topName = "\x00top"

// errStopped marks an error that ended a rendering for good.
var errStopped = errors.New("rendering stopped")

// budget is the running account of one chart's rendering.
type budget struct {
	deadline time.Time
	steps    int
	heap0    uint64
	sample   []metrics.Sample
	stopped  error // set once: every later tick fails with it
}

func newBudget() *budget {
	b := &budget{deadline: time.Now().Add(RenderTimeout),
		sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	b.heap0 = b.heap()
	return b
}

func (b *budget) heap() uint64 {
	metrics.Read(b.sample)
	if b.sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return b.sample[0].Value.Uint64()
}

func (b *budget) stop(format string, args ...any) error {
	if b.stopped == nil {
		b.stopped = fmt.Errorf("%w: %s", errStopped, fmt.Sprintf(format, args...))
	}
	return b.stopped
}

// tick is called at every loop iteration, include and tpl call.
func (b *budget) tick() error {
	if b.stopped != nil {
		return b.stopped
	}
	b.steps++
	switch {
	case b.steps > MaxRenderSteps:
		return b.stop("more than %d loop iterations, includes and tpl calls", MaxRenderSteps)
	case time.Now().After(b.deadline):
		return b.stop("not finished within %v", RenderTimeout)
	}
	if h := b.heap(); h > b.heap0 && h-b.heap0 > MaxRenderHeap {
		return b.stop("more than %d MiB of memory", MaxRenderHeap>>20)
	}
	return nil
}

// funcs are the template functions that replace or add to Helm's for one rendering.
func (b *budget) funcs() template.FuncMap {
	orig := sprig.TxtFuncMap()
	tooLong := func(fn string, n float64) error {
		return b.stop("%s would make %.0f elements (the limit is %d)", fn, n, MaxList)
	}
	tooBig := func(fn string, n float64) error {
		return b.stop("%s would make %.0f bytes (the limit is %d)", fn, n, MaxString)
	}
	span := func(from, to, step int) float64 {
		return math.Abs(float64(to)-float64(from))/math.Max(1, math.Abs(float64(step))) + 1
	}
	fm := template.FuncMap{
		tickFunc: func() (string, error) { return "", b.tick() },
		tplGate: func(text any) (any, error) {
			if err := b.tick(); err != nil {
				return nil, err
			}
			// tpl has no depth limit of its own, and an error coming back up through
			// every level grows at each one: look at how deep the stack is.
			var pc [1]uintptr
			if runtime.Callers(maxTplFrames, pc[:]) > 0 {
				return nil, b.stop("tpl calls nested more than %d frames deep", maxTplFrames)
			}
			s, ok := text.(string)
			if !ok {
				return text, nil // tpl says what is wrong with it
			}
			return instrument(s), nil
		},
		"until": func(n int) ([]int, error) {
			if c := math.Abs(float64(n)); c > MaxList {
				return nil, tooLong("until", c)
			}
			return orig["until"].(func(int) []int)(n), nil
		},
		"untilStep": func(from, to, step int) ([]int, error) {
			if c := span(from, to, step); c > MaxList {
				return nil, tooLong("untilStep", c)
			}
			return orig["untilStep"].(func(int, int, int) []int)(from, to, step), nil
		},
		"seq": func(p ...int) (string, error) {
			c := 0.0
			switch len(p) {
			case 1:
				c = span(1, p[0], 1)
			case 2:
				c = span(p[0], p[1], 1)
			case 3:
				c = span(p[0], p[2], p[1])
			}
			if c > MaxList {
				return "", tooLong("seq", c)
			}
			return orig["seq"].(func(...int) string)(p...), nil
		},
		"repeat": func(n int, s string) (string, error) {
			if c := float64(n) * float64(len(s)); c > MaxString {
				return "", tooBig("repeat", c)
			}
			return orig["repeat"].(func(int, string) string)(n, s), nil
		},
		"indent": func(n int, s string) (string, error) {
			if c := float64(n) * float64(strings.Count(s, "\n")+1); c > MaxString {
				return "", tooBig("indent", c)
			}
			return orig["indent"].(func(int, string) string)(n, s), nil
		},
		"nindent": func(n int, s string) (string, error) {
			if c := float64(n) * float64(strings.Count(s, "\n")+1); c > MaxString {
				return "", tooBig("nindent", c)
			}
			return orig["nindent"].(func(int, string) string)(n, s), nil
		},
		"printf": func(format string, args ...any) (string, error) {
			if w := widest(format, args); w > MaxString {
				return "", tooBig("printf", w)
			}
			return fmt.Sprintf(format, args...), nil
		},
	}
	// uniq compares every element with every other.
	long := func(list any) bool {
		v := reflect.ValueOf(list)
		return (v.Kind() == reflect.Slice || v.Kind() == reflect.Array) && v.Len() > MaxList
	}
	uniq := orig["uniq"].(func(any) []any)
	fm["uniq"] = func(list any) ([]any, error) {
		if long(list) {
			return nil, b.stop("uniq of more than %d elements", MaxList)
		}
		return uniq(list), nil
	}
	mustUniq := orig["mustUniq"].(func(any) ([]any, error))
	fm["mustUniq"] = func(list any) ([]any, error) {
		if long(list) {
			return nil, b.stop("mustUniq of more than %d elements", MaxList)
		}
		return mustUniq(list)
	}
	for _, name := range []string{"randAlphaNum", "randAlpha", "randNumeric", "randAscii"} {
		f := orig[name].(func(int) string)
		fm[name] = func(n int) (string, error) {
			if n > MaxString {
				return "", tooBig(name, float64(n))
			}
			return f(n), nil
		}
	}
	return fm
}

// widest returns the largest width or precision a printf format asks for, * included.
func widest(format string, args []any) float64 {
	w := 0.0
	num := 0.0
	inNum := false
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c >= '0' && c <= '9' {
			num = num*10 + float64(c-'0')
			inNum = true
			continue
		}
		if inNum {
			w = math.Max(w, num)
			num, inNum = 0, false
		}
	}
	if inNum {
		w = math.Max(w, num)
	}
	if strings.Contains(format, "*") {
		for _, a := range args {
			if v := reflect.ValueOf(a); v.CanInt() {
				w = math.Max(w, math.Abs(float64(v.Int())))
			} else if v.CanUint() {
				w = math.Max(w, float64(v.Uint()))
			}
		}
	}
	return w
}

// instrument inserts a tick at the start of every range body and define of a template,
// and routes the text of every tpl call through the tpl gate (which instruments it in
// turn). The output is unchanged: a tick prints nothing and takes on the trim marker of
// the action before it; line numbers are unchanged (nothing is inserted with a newline).
// A template that does not parse is returned as it is, for Helm to report; should the
// tpl gates break one that does (which they should not), it gets the ticks alone.
func instrument(text string) string {
	out, _ := instrumentSpans(text, nil)
	return out
}

// span is text inserted by instrument: at is its offset in the output.
type span struct{ at, n int }

// instrumentSpans is instrument, also returning what it inserted where. With a traced
// file, it also inserts the marks that trace the file's output to its source (trace.go);
// should they break the template, the file is not traced.
func instrumentSpans(text string, tf *tfile) (string, []span) {
	if tf != nil {
		if out, spans, ok := instrumentWith(text, true, tf); ok {
			return out, spans
		}
		tf.untraced()
	}
	if out, spans, ok := instrumentWith(text, true, nil); ok {
		return out, spans
	}
	out, spans, _ := instrumentWith(text, false, nil)
	return out, spans
}

// column maps a 1-based column on a line of instrumented text back to the original.
func column(out string, spans []span, line, col int) int {
	start := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(out[start:], '\n')
		if i < 0 {
			return col
		}
		start += i + 1
	}
	at, shift := start+col-1, 0
	for _, s := range spans {
		if s.at >= start && s.at+s.n <= at {
			shift += s.n
		}
	}
	return col - shift
}

// insert is text to insert at an offset of a template.
type insert struct {
	at   int
	text string
}

// instrumenter walks the parse trees of one template text and collects inserts.
type instrumenter struct {
	text  string
	gates bool
	tf    *tfile // nil: no trace marks
	ins   []insert
	// define is the define being walked, "" for the text's own body.
	define string
}

// tick inserts a tick at the start of a range body or define.
func (in *instrumenter) tick(body *parse.ListNode) {
	if body == nil {
		return
	}
	text := in.text
	// After the }} that ends the action opening the body, skipping the whitespace
	// that a -}} trimmed.
	i := int(body.Pos)
	for i > 0 && strings.ContainsRune(" \t\r\n", rune(text[i-1])) {
		i--
	}
	if i < 2 || text[i-2:i] != "}}" {
		return
	}
	s := "{{" + tickFunc + "}}"
	if i >= 4 && text[i-4:i-2] == " -" {
		s = "{{" + tickFunc + " -}}"
	}
	in.ins = append(in.ins, insert{i, s})
}

func (in *instrumenter) walk(n parse.Node, sc *scope) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				in.walk(c, sc)
			}
		}
	case *parse.TextNode:
		in.traceText(n)
	case *parse.RangeNode:
		in.walk(n.Pipe, sc)
		body := in.traceRange(n, sc)
		in.tick(n.List)
		in.walk(n.List, body)
		in.walk(n.ElseList, sc.child())
	case *parse.IfNode:
		in.walk(n.Pipe, sc)
		in.walk(n.List, sc.child())
		in.walk(n.ElseList, sc.child())
	case *parse.WithNode:
		in.walk(n.Pipe, sc)
		in.walk(n.List, sc.with(n.Pipe))
		in.walk(n.ElseList, sc.child())
	case *parse.ActionNode:
		in.walk(n.Pipe, sc)
		in.traceAction(n, sc)
	case *parse.TemplateNode:
		in.walk(n.Pipe, sc)
	case *parse.PipeNode:
		if n != nil {
			for i, c := range n.Cmds {
				in.walk(c, sc)
				if i == 0 {
					in.traceInclude(c)
				}
			}
		}
	case *parse.ChainNode:
		in.walk(n.Node, sc)
	case *parse.CommandNode:
		for _, a := range n.Args {
			in.walk(a, sc)
		}
		if !in.gates || len(n.Args) < 2 {
			return
		}
		if id, ok := n.Args[0].(*parse.IdentifierNode); !ok || id.Ident != "tpl" {
			return
		}
		from, to, ok := operand(in.text, n.Args[1])
		if !ok {
			return
		}
		in.ins = append(in.ins, insert{from, "(" + tplGate + " "}, insert{to, ")"})
	}
}

func instrumentWith(text string, gates bool, tf *tfile) (string, []span, bool) {
	if !strings.Contains(text, "{{") && tf == nil {
		return text, nil, true
	}
	trees := map[string]*parse.Tree{}
	t := parse.New(topName)
	t.Mode = parse.SkipFuncCheck
	if _, err := t.Parse(text, "", "", trees); err != nil {
		return text, nil, true
	}
	in := &instrumenter{text: text, gates: gates, tf: tf}
	names := make([]string, 0, len(trees))
	for name := range trees {
		names = append(names, name)
	}
	slices.Sort(names) // node IDs in a stable order
	for _, name := range names {
		tree := trees[name]
		if tree.Root == nil {
			continue
		}
		in.define = ""
		if name != topName {
			in.tick(tree.Root)
			in.define = name
		}
		// A tree of nothing but blanks does not replace a define of the same name, and
		// is no template of its own: marks would make it one.
		traced := in.tf != nil && !parse.IsEmptyTree(tree.Root)
		if traced && name == topName {
			in.traceFileStart()
		}
		keep := in.tf
		if !traced {
			in.tf = nil
		}
		in.walk(tree.Root, rootScope())
		in.tf = keep
		if traced && name == topName {
			in.traceFileEnd()
		}
	}
	if len(in.ins) == 0 {
		return text, nil, true
	}
	ins := in.ins
	slices.SortStableFunc(ins, func(a, b insert) int { return a.at - b.at })
	var b strings.Builder
	spans := make([]span, 0, len(ins))
	last := 0
	for _, in := range ins {
		b.WriteString(text[last:in.at])
		spans = append(spans, span{b.Len(), len(in.text)})
		b.WriteString(in.text)
		last = in.at
	}
	b.WriteString(text[last:])
	out := b.String()
	// The instrumented text must parse as the original did.
	check := parse.New(topName)
	check.Mode = parse.SkipFuncCheck
	if _, err := check.Parse(out, "", "", map[string]*parse.Tree{}); err != nil {
		return text, nil, false
	}
	return out, spans, true
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// operand finds where an argument of a command starts and ends in the text: a
// parenthesised pipeline from its parenthesis, a string, or a word (field, variable,
// constant) with any .field chain after it.
func operand(text string, n parse.Node) (from, to int, ok bool) {
	if c, isChain := n.(*parse.ChainNode); isChain {
		n = c.Node
	}
	from = int(n.Position())
	switch n.(type) {
	case *parse.FieldNode, *parse.VariableNode:
		// Their position is that of their last .name: back to the first.
		for from > 0 && (isWordByte(text[from-1]) || text[from-1] == '.' || text[from-1] == '$') {
			from--
		}
	case *parse.PipeNode:
		i := from
		for i > 0 && strings.ContainsRune(" \t\r\n", rune(text[i-1])) {
			i--
		}
		if i == 0 || text[i-1] != '(' {
			return 0, 0, false
		}
		from = i - 1
	}
	i, depth := from, 0
	for i < len(text) {
		switch c := text[i]; {
		case c == '"' || c == '`' || c == '\'':
			j := i + 1
			for j < len(text) && text[j] != c {
				if text[j] == '\\' && c != '`' {
					j++
				}
				j++
			}
			if j >= len(text) {
				return 0, 0, false
			}
			i = j + 1
			continue
		case c == '(':
			depth++
		case c == ')':
			if depth == 0 {
				return from, i, i > from
			}
			depth--
			if depth == 0 && (i+1 >= len(text) || text[i+1] != '.') {
				return from, i + 1, true
			}
		case depth == 0 && (strings.IndexByte(" \t\r\n|}", c) >= 0 || c == '-' && i+2 < len(text) && text[i+1:i+3] == "}}"):
			return from, i, i > from
		}
		i++
	}
	return 0, 0, false
}
