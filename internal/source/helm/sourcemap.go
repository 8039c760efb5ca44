package helm

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"

	"helm.sh/helm/v4/pkg/chart/common"
	chart "helm.sh/helm/v4/pkg/chart/v2"

	"github.com/kharden/kharden/internal/source/manifest"
)

// noLine is the note of a position whose line cannot be told.
const noLine = "no line: kharden could not trace this rendered template to its lines"

// tmap maps the output of one rendered template back to the lines that wrote it.
type tmap struct {
	tr     *tracer
	file   string // the template, for the user
	out    string // its rendered output
	lines  []int  // offset of each line's start in out
	pieces []piece
	why    string // when pieces is nil: why
	prefix []string
	values any // the chart's values, for naming the elements of ranges
}

// mapping builds the map of the template rendered under the engine name, as the chart c,
// which printed out. vals are the root chart's values.
func (tr *tracer) mapping(name, out string, p place, c *chart.Chart, vals common.Values) *tmap {
	m := &tmap{tr: tr, file: p.file, out: out, lines: []int{0}}
	for i := 0; i < len(out); i++ {
		if out[i] == '\n' {
			m.lines = append(m.lines, i+1)
		}
	}
	var v any = map[string]any(vals)
	for ; c != nil && c.Parent() != nil; c = c.Parent() {
		m.prefix = append([]string{c.Name()}, m.prefix...)
	}
	for _, k := range m.prefix {
		mv, _ := asMap(v)
		v = mv[k]
	}
	m.values = v
	f := tr.done[name]
	if f == nil {
		m.why = noLine
		return m
	}
	got, pieces := f.out.String(), f.pieces
	if strings.Contains(got, "<no value>") {
		// Helm removes what text/template prints for a missing value.
		got, pieces = removeNoValue(got, pieces)
	}
	if got != out {
		m.why = noLine
		return m
	}
	m.pieces = pieces
	return m
}

// removeNoValue removes "<no value>" from s as Helm does, and from the pieces.
func removeNoValue(s string, pieces []piece) (string, []piece) {
	const nv = "<no value>"
	var cuts [][2]int
	for i := 0; ; {
		j := strings.Index(s[i:], nv)
		if j < 0 {
			break
		}
		cuts = append(cuts, [2]int{i + j, i + j + len(nv)})
		i += j + len(nv)
	}
	// at maps an offset outside the cuts to the output.
	at := func(off int) int {
		n := 0
		for _, c := range cuts {
			if c[1] <= off {
				n += len(nv)
			}
		}
		return off - n
	}
	var out []piece
	for _, p := range pieces {
		from := p.start
		emit := func(to int) {
			if to > from {
				q := p
				q.src += from - p.start
				q.start = at(from)
				q.end = q.start + to - from
				out = append(out, q)
			}
		}
		for _, c := range cuts {
			if c[1] <= from || c[0] >= p.end {
				continue
			}
			emit(c[0])
			from = c[1]
		}
		emit(p.end)
	}
	return strings.ReplaceAll(s, nv, ""), out
}

func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case common.Values:
		return m, true
	}
	return nil, false
}

// offset is the offset in the output of a 1-based line and column (in characters).
func (m *tmap) offset(line, col int) int {
	if line < 1 || line > len(m.lines) {
		return -1
	}
	off := m.lines[line-1]
	for ; col > 1 && off < len(m.out); col-- {
		_, n := utf8.DecodeRuneInString(m.out[off:])
		off += n
	}
	return off
}

// pieceAt is the index of the piece holding the node's first character, or -1.
func (m *tmap) pieceAt(n *yaml.Node) int {
	off := m.offset(n.Line, n.Column)
	i, found := slices.BinarySearchFunc(m.pieces, off, func(p piece, off int) int {
		switch {
		case p.end <= off:
			return -1
		case p.start > off:
			return 1
		}
		return 0
	})
	if !found {
		return -1
	}
	return i
}

// source is where a piece's byte at off (of the output) was written.
func (m *tmap) source(i, off int) manifest.Position {
	p := m.pieces[i]
	n := &m.tr.nodes[p.node]
	pos := manifest.Position{File: n.file.place.file}
	if n.action {
		pos.Line, pos.Column = n.file.position(n.pos)
	} else {
		pos.Line, pos.Column = n.file.position(p.src + off - p.start)
	}
	if p.via >= 0 {
		v := &m.tr.nodes[p.via]
		line, _ := v.file.position(v.pos)
		what := strconv.Quote(n.define)
		if n.define == "" {
			what = n.file.place.file
		}
		pos.Note = fmt.Sprintf("written by helper %s included at %s:%d", what, v.file.place.file, line)
	}
	return pos
}

// at maps a line and column of the output.
func (m *tmap) at(line, col int) (manifest.Position, bool) {
	i := m.pieceAt(&yaml.Node{Line: line, Column: col})
	if m.pieces == nil || i < 0 {
		return manifest.Position{File: m.file}, false
	}
	return m.source(i, m.offset(line, col)), true
}

// place is where the field at path of d, a document of the output, was written: the
// line of the template text or action that wrote the field's key, and the chart values
// that the field's value came from.
func (m *tmap) place(d *manifest.Document, path string) manifest.Position {
	if m.pieces == nil {
		return manifest.Position{File: m.file, Note: m.why}
	}
	steps, _ := d.Walk(path)
	at, val := d.Root, d.Root
	if len(steps) > 0 {
		at, val = steps[len(steps)-1].At, steps[len(steps)-1].Value
	}
	i := m.pieceAt(at)
	if i < 0 {
		return manifest.Position{File: m.file, Note: noLine}
	}
	pos := m.source(i, m.offset(at.Line, at.Column))
	keys := m.keys(steps, i, val)
	if len(keys) > 0 {
		pos.ValuesKey = strings.Join(keys, ", ")
		note := "values key " + pos.ValuesKey
		if len(keys) > 1 {
			note = "values keys " + pos.ValuesKey
		}
		if pos.Note != "" {
			note = pos.Note + "; " + note
		}
		pos.Note = note
	}
	return pos
}

// keys names the chart values that the field's key (in piece i) and value came from.
func (m *tmap) keys(steps []manifest.Step, i int, val *yaml.Node) []string {
	var out []string
	add := func(p piece, suffix []manifest.Step) {
		n := &m.tr.nodes[p.node]
		if !n.action {
			return
		}
		for _, k := range n.keys {
			if s := m.name(k, p.iter, suffix); !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	p := m.pieces[i]
	if n := &m.tr.nodes[p.node]; n.action && n.dump {
		// A field inside a value printed whole (toYaml .Values.x): its path below the
		// first field of that output continues the value's key.
		j := len(steps) - 1
		for j > 0 && m.pieceAt(steps[j-1].At) == i {
			j--
		}
		add(p, steps[max(j, 0):])
		return out
	}
	add(p, nil)
	val = deref(val)
	switch {
	case val == nil:
	case val.Kind == yaml.ScalarNode:
		// Every action that wrote part of the value, to the end of its line.
		from := m.offset(val.Line, val.Column)
		to := len(m.out)
		if nl := strings.IndexByte(m.out[max(from, 0):], '\n'); nl >= 0 {
			to = from + nl
		}
		for j := max(i, 0); j < len(m.pieces) && m.pieces[j].start < to; j++ {
			if m.pieces[j].end > from {
				add(m.pieces[j], nil)
			}
		}
	case len(val.Content) > 0:
		// A mapping or list that a value printed whole.
		if j := m.pieceAt(val.Content[0]); j >= 0 && m.tr.nodes[m.pieces[j].node].dump {
			add(m.pieces[j], nil)
		}
	}
	return out
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// name spells a values key as the user sets it (db.image.tag for a subchart's
// image.tag), the elements of ranges by their index or key in the iteration it, and
// suffix the path below it.
func (m *tmap) name(k vkey, it int, suffix []manifest.Step) string {
	var b strings.Builder
	key := func(s string) {
		if b.Len() == 0 {
			b.WriteString(manifest.JoinKey("", s))
		} else {
			cur := b.String()
			b.Reset()
			b.WriteString(manifest.JoinKey(cur, s))
		}
	}
	if len(k) > 0 && k[0].name != "global" {
		for _, p := range m.prefix {
			key(p)
		}
	}
	cur := m.values
	for _, s := range k {
		if s.rng < 0 {
			key(s.name)
			mv, _ := asMap(cur)
			cur = mv[s.name]
			continue
		}
		index := -1
		for j := it; j >= 0; j = m.tr.iters[j].parent {
			if m.tr.iters[j].rng == s.rng {
				index = m.tr.iters[j].index
				break
			}
		}
		switch c := cur.(type) {
		case []any:
			if index >= 0 && index < len(c) {
				b.WriteString("[" + strconv.Itoa(index) + "]")
				cur = c[index]
				continue
			}
		default:
			if mv, ok := asMap(c); ok && index >= 0 && index < len(mv) {
				names := make([]string, 0, len(mv))
				for n := range mv {
					names = append(names, n)
				}
				slices.Sort(names) // the order range visits a map in
				key(names[index])
				cur = mv[names[index]]
				continue
			}
		}
		b.WriteString("[*]")
		cur = nil
	}
	for _, s := range suffix {
		if s.Key != "" {
			key(s.Key)
		} else {
			b.WriteString("[" + strconv.Itoa(s.Index) + "]")
		}
	}
	return b.String()
}

// marks match the trace marks in the text of a node that an error message quotes.
var marks = regexp.MustCompile(`\(` + markInc + ` ([^()]*)\)| \| (?:` + markRet + `|` + markOut + ` \d+)`)

// unmark removes the trace marks from an error message.
func unmark(msg string) string {
	if !strings.Contains(msg, "_kharden") {
		return msg
	}
	return marks.ReplaceAllString(msg, "$1")
}
