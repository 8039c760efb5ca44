// Package manifest loads Kubernetes manifests (multi-document YAML or JSON) into documents
// that keep the position of every node, so that any field path can be turned back into a
// file, line and column.
package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
	kjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/kharden/kharden/internal/kubejson"
	"github.com/kharden/kharden/internal/rule"
)

// MaxFileSize bounds the bytes read from one input; larger inputs are refused with an
// error instead of being read into memory.
const MaxFileSize = 32 << 20

// MaxDocuments bounds the YAML documents read from one input (each costs two parses);
// larger inputs get an error and their first MaxDocuments documents are checked.
const MaxDocuments = 100_000

// Document is one Kubernetes object from a file, with its YAML tree for positions.
type Document struct {
	File   string
	Object rule.Object
	// Root is the object's mapping node; field paths resolve against it.
	Root *yaml.Node
	// JSON is the object converted to JSON, for decoding into typed API structs.
	JSON []byte
	// Origin names where the object came from when File is not its source (a rendered
	// Helm template, say); empty otherwise.
	Origin string
	// Place, when set, says where a field path is for the reader when File's lines are
	// not the ones the user wrote (a built kustomization): Locate positions a path in
	// File, Place in the user's own file, or nowhere when that cannot be told truly.
	Place func(path string) Position
	// typed is the object as Load's field check decoded it, handed to the first Decode
	// into the same type so that the object is decoded once.
	typed any
	// meta is the JSON of the object's metadata, within JSON, when Load found it.
	meta json.RawMessage
}

// Position is where a field is for the reader: a file, and a line and column there when
// one can be given truthfully (zero otherwise). Note, when set, says why the position is
// not the field's own line, or what else the reader needs to change the field (the chart
// value it came from), for the finding's message. ValuesKey names that chart value
// (image.tag) when the field's text came from one.
type Position struct {
	File         string
	Line, Column int
	Note         string
	ValuesKey    string
}

// Error is a problem with an input, positioned where it was found.
type Error struct {
	File   string
	Line   int
	Column int
	Msg    string
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Note is something worth telling about an input that is not an error, such as a YAML
// document that is not a Kubernetes object.
type Note = Error

// Result is everything loaded from one input.
type Result struct {
	Docs   []*Document
	Errors []*Error
	Notes  []*Note
}

var (
	yamlLine      = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	unknownAnchor = regexp.MustCompile(`unknown anchor '([^']*)' referenced`)
	unmarshalLine = regexp.MustCompile(`(?s)^unmarshal errors:\s*line (\d+): (.*)$`)
)

// lineOf returns the 1-based line of the first occurrence of s in data, or 0.
func lineOf(data []byte, s string) int {
	i := bytes.Index(data, []byte(s))
	if i < 0 {
		return 0
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}

// Load parses one input the way kubectl and Helm read it before anything reaches the API
// server: documents are split at "---" lines (a separator followed by anything but a
// comment is an error, as in kubectl), and each is turned into JSON by sigs.k8s.io/yaml
// (YAML 1.1: yes/no/on/off are booleans, a later duplicate key or merge key overrides an
// earlier one), so the rules judge what the API server would store. The YAML tree kept
// for positions is read with the same precedence. A document that fails to parse becomes
// an Error and the next document is still read. List kinds are expanded into their items.
func Load(file string, data []byte) *Result {
	res := &Result{}
	if len(data) > MaxFileSize {
		res.Errors = append(res.Errors, &Error{File: file, Msg: fmt.Sprintf("file is %d bytes, more than the %d byte limit", len(data), MaxFileSize)})
		return res
	}
	if isUTF16(data) {
		data = fromUTF16(data)
	} else if i := bytes.IndexByte(data, 0); i >= 0 || !utf8.Valid(data) {
		res.Errors = append(res.Errors, &Error{File: file, Msg: "binary file: not YAML or JSON text"})
		return res
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	docs := 0
	split(data, func(c chunk) {
		if c.err != "" {
			res.Errors = append(res.Errors, &Error{File: file, Line: c.line, Msg: c.err})
		}
		if blank(c.data) {
			return
		}
		if docs++; docs == MaxDocuments+1 {
			res.Errors = append(res.Errors, &Error{File: file, Line: c.line, Msg: fmt.Sprintf("more than %d documents in one file: the rest is not read", MaxDocuments)})
		}
		if docs <= MaxDocuments {
			res.chunk(file, c)
		}
	})
	return res
}

// chunk is one document of a stream, as kubectl's YAML reader cuts it.
type chunk struct {
	data []byte
	line int    // 1-based line of data's first byte in the file
	err  string // a problem with the separator that opened it
}

// split cuts a stream at lines that start with "---" as kubectl does
// (k8s.io/apimachinery/pkg/util/yaml.YAMLReader): a separator ends a non-empty document
// and is dropped; one met while the document is still empty stays in it (so "---#" is
// YAML's to judge, as there). Like kubectl it ends every line with a plain "\n" (a final
// line without one gets one; "\r\n" becomes "\n"). kubectl refuses a separator followed
// by content ("--- {a: 1}"); here that is an error and the line starts the next document,
// so its content is still checked. Each document goes to f as soon as it is cut.
func split(data []byte, f func(chunk)) {
	sp := splitter{cur: chunk{line: 1}}
	if bytes.IndexByte(data, '\r') < 0 {
		sp.inPlace = true // documents are slices of data
	}
	for i := 0; i < len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		next := len(data)
		if end >= 0 {
			next = i + end + 1
			end += i
		} else {
			end = len(data)
		}
		sp.line(data[i:end], end < len(data), f)
		i = next
	}
	sp.end(f)
}

// splitter is split's state between lines, so that a stream read line by line (Stream)
// is cut exactly as a whole file is.
type splitter struct {
	cur chunk
	buf []byte
	// inPlace says the lines are slices of one text, each followed there by its "\n"
	// and none changed by the cut (no "\r"): buf is then a slice of that text
	// (borrowed) until a line that is not (a last one without "\n") makes it a copy.
	inPlace  bool
	borrowed bool
	n        int // lines seen
	// limit, when set, bounds a document's bytes: the rest of a larger one is dropped
	// (over) and its chunk carries an error instead.
	limit int
	over  bool
}

// line takes the next line without its "\n"; nl tells whether it had one (a "\r" before
// it is dropped too).
func (s *splitter) line(l []byte, nl bool, f func(chunk)) {
	s.n++
	if nl && len(l) > 0 && l[len(l)-1] == '\r' {
		l = l[:len(l)-1]
	}
	if bytes.HasPrefix(l, []byte("---")) {
		if rest := bytes.TrimSpace(l[3:]); len(rest) > 0 && rest[0] != '#' {
			s.cur.data, s.over = s.take(), false
			f(s.cur)
			s.cur = chunk{err: fmt.Sprintf("invalid document separator %q: kubectl accepts only a comment after ---", truncate(string(l), 40))}
		} else if len(s.buf) > 0 || s.over {
			s.cur.data, s.over = s.take(), false
			f(s.cur)
			s.cur = chunk{}
			return
		}
	}
	if s.over {
		return
	}
	if len(s.buf) == 0 {
		s.cur.line = s.n
	}
	if s.limit > 0 && len(s.buf)+len(l) >= s.limit {
		s.cur.err = fmt.Sprintf("document is more than the %d byte limit: not read", s.limit)
		s.buf, s.borrowed, s.over = nil, false, true
		return
	}
	if s.inPlace && nl && (len(s.buf) == 0 || s.borrowed) {
		if len(s.buf) == 0 {
			s.buf = l[:0] // the line's "\n" follows it in the text
		}
		s.buf, s.borrowed = s.buf[:len(s.buf)+len(l)+1], true
		return
	}
	if s.borrowed {
		s.buf, s.borrowed = bytes.Clone(s.buf), false
	}
	s.buf = append(append(s.buf, l...), '\n')
}

// take is the document cut so far, for a chunk: a borrowed slice is capped, so that
// no append to it can reach the next document.
func (s *splitter) take() []byte {
	b := s.buf[:len(s.buf):len(s.buf)]
	s.buf, s.borrowed = nil, false
	return b
}

// end hands on the last document.
func (s *splitter) end(f func(chunk)) {
	if s.over && len(s.buf) == 0 {
		f(s.cur) // only its error
		return
	}
	s.cur.data = s.take()
	f(s.cur)
}

// blank tells whether a document holds nothing but blank lines, comments and document
// start markers, which YAML reads as null: such documents need no parse. Anything that
// YAML reads otherwise than this line-by-line look leaves the document to the parser: a
// character YAML forbids anywhere, comments included (kubectl refuses the document); a
// line break other than "\n" ("\r", NEL, U+2028, U+2029), after which a "comment" goes on
// as content that kubectl applies; a tab before a line's first character, which YAML
// refuses there.
func blank(data []byte) bool {
	all := data
	// Line by line first: a document's first line of content ends the look, where the
	// character check must read every character.
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			i = len(data)
		}
		l := data[:i]
		data = data[min(i+1, len(data)):]
		if t := bytes.TrimLeft(l, " "); len(t) > 0 && t[0] == '\t' {
			return false
		}
		t := bytes.TrimSpace(l)
		switch {
		case len(t) == 0 || t[0] == '#':
		case bytes.HasPrefix(l, []byte("---")) && (len(l) == 3 || l[3] == ' ' || l[3] == '\t') && (len(bytes.TrimSpace(l[3:])) == 0 || bytes.TrimSpace(l[3:])[0] == '#'):
		default:
			return false
		}
	}
	return bytes.IndexFunc(all, func(r rune) bool { return !printable(r) || r == '\r' || r == 0x85 || r == 0x2028 || r == 0x2029 }) < 0
}

// printable tells whether YAML 1.1 allows r in a stream (its c-printable set, as
// go-yaml's reader checks it).
func printable(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r' || r == 0x85:
		return true
	case r >= 0x20 && r <= 0x7e, r >= 0xa0 && r <= 0xd7ff, r >= 0xe000 && r <= 0xfffd:
		return true
	}
	return r >= 0x10000 && r <= 0x10ffff
}

// Clip cuts a message longer than max bytes at a character boundary, saying how many
// bytes were left out: loaders' messages quote their input (a template, a value, a
// resource), which may be any size.
func Clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("... (%d bytes more)", len(s)-cut)
}

func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func isUTF16(b []byte) bool {
	return len(b) >= 2 && (b[0] == 0xff && b[1] == 0xfe || b[0] == 0xfe && b[1] == 0xff)
}

// fromUTF16 transcodes UTF-16 text with a byte order mark to UTF-8.
func fromUTF16(b []byte) []byte {
	le := b[0] == 0xff
	b = b[2:]
	u := make([]uint16, len(b)/2)
	for i := range u {
		if le {
			u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		} else {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
	}
	return []byte(string(utf16.Decode(u)))
}

func parseError(file string, data []byte, err error, offset int) *Error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		// Parser errors report the 0-based line where the unfinished construct began;
		// scanner errors report the 1-based line of the offending character.
		if strings.HasPrefix(m[2], "did not find expected") {
			line++
		}
		return &Error{File: file, Line: line + offset, Msg: "invalid YAML: " + m[2]}
	}
	if m := unknownAnchor.FindStringSubmatch(msg); m != nil {
		if l := lineOf(data, "*"+m[1]); l > 0 {
			return &Error{File: file, Line: l + offset, Msg: "invalid YAML: " + m[0]}
		}
		return &Error{File: file, Line: offset + 1, Msg: "invalid YAML: " + m[0]}
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	if m := unmarshalLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line + offset, Msg: "invalid YAML: " + truncate(m[2], 200)}
	}
	return &Error{File: file, Line: offset + 1, Msg: "invalid YAML: " + truncate(msg, 200)}
}

// chunk reads one document: the YAML tree for positions, and the JSON that kubectl sends.
func (r *Result) chunk(file string, c chunk) {
	var doc yaml.Node
	// Unmarshal parses the chunk in place; a Decoder would copy it through a reader's
	// buffers first. Either reads the first document only.
	err := yaml.Unmarshal(c.data, &doc)
	if err == nil && len(doc.Content) == 0 {
		return
	}
	offset := c.line - 1
	if err != nil {
		r.Errors = append(r.Errors, parseError(file, c.data, err, offset))
		return
	}
	n := doc.Content[0]
	shift(n, offset, 0)
	ck := &checker{}
	if err := ck.walk(n, 0, false); err != nil {
		r.Errors = append(r.Errors, &Error{File: file, Line: err.node.Line, Column: err.node.Column, Msg: err.msg})
		return
	}
	for i, k := range ck.dups {
		msg := fmt.Sprintf("duplicate key %q: kubectl and Helm keep the last value (which kharden checks), kustomize refuses the file", truncate(keyString(k), 100))
		if i == maxDuplicates {
			msg = "more duplicate keys"
		}
		r.Errors = append(r.Errors, &Error{File: file, Line: k.Line, Column: k.Column, Msg: msg})
	}
	// The tree gives the JSON when it can tell it for sure. Escapes in double-quoted
	// scalars need no second reading: yaml.v3 scans them with yaml.v2's code, unchanged
	// (FuzzDecodeParity holds the two readings together).
	if n.Kind == yaml.MappingNode && !bareTag(c.data) {
		if js, sp, ok := objectJSON(make([]byte, 0, len(c.data)), n); ok {
			r.add(file, n, js, sp)
			return
		}
	}
	js, err := sigsyaml.YAMLToJSON(c.data)
	if err != nil {
		e := parseError(file, c.data, err, offset)
		if e.Line == offset+1 {
			e.Line, e.Column = n.Line, n.Column
		}
		r.Errors = append(r.Errors, e)
		return
	}
	r.add(file, n, js, nil)
}

// bareTag tells whether data may hold the non-specific tag, "!" alone or written
// "!<!>", which a tag ends with a blank, a line break, the end or (in flow) a comma.
// yaml.v3 leaves no trace of it in the tree, where kubectl's yaml.v2 reads a plain
// scalar so tagged as a string ("! 1" is "1", "! " is ""): such a document is
// converted from its text. An exclamation mark in text only costs that.
func bareTag(data []byte) bool {
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], '!')
		if j < 0 {
			return false
		}
		i += j + 1
		if i == len(data) {
			return true
		}
		switch data[i] {
		case ' ', '\t', '\r', '\n', ',', '<':
			return true
		}
	}
}

// shift moves a tree parsed from one document to the document's place in the file.
func shift(n *yaml.Node, offset, depth int) {
	if offset == 0 || depth > maxDepth+1 {
		return
	}
	n.Line += offset
	for _, c := range n.Content {
		shift(c, offset, depth+1)
	}
}

// span is js[s[0]:s[1]], or nil for a key objectJSON did not write.
func span(js []byte, s [2]int) json.RawMessage {
	if s[1] == 0 {
		return nil
	}
	return js[s[0]:s[1]:s[1]]
}

// head is what Load reads of every object; strings only, as the API server wants them.
type head struct {
	APIVersion json.RawMessage `json:"apiVersion"`
	Kind       json.RawMessage `json:"kind"`
	Metadata   json.RawMessage `json:"metadata"`
	Items      json.RawMessage `json:"items"`
}

type headMeta struct {
	Name         json.RawMessage `json:"name"`
	GenerateName json.RawMessage `json:"generateName"`
	Namespace    json.RawMessage `json:"namespace"`
}

// str returns a JSON string's value, or "" for anything else.
func str(raw json.RawMessage) string {
	if len(raw) == 0 || raw[0] != '"' {
		return ""
	}
	if s, ok := kubejson.String(raw); ok {
		return s
	}
	return ""
}

func (r *Result) add(file string, n *yaml.Node, js []byte, sp *spans) {
	n = deref(n)
	js = bytes.TrimSpace(js)
	if string(js) == "null" {
		return // an empty document, such as a trailing "---"
	}
	if len(js) == 0 || js[0] != '{' {
		r.Notes = append(r.Notes, &Note{File: file, Line: n.Line, Column: n.Column, Msg: "skipped: document is not a mapping, so not a Kubernetes object"})
		return
	}
	var h head
	if sp != nil {
		h = head{APIVersion: span(js, sp.apiVersion), Kind: span(js, sp.kind), Metadata: span(js, sp.metadata), Items: span(js, sp.items)}
	} else if err := kjson.UnmarshalCaseSensitivePreserveInts(js, &h); err != nil {
		r.Errors = append(r.Errors, &Error{File: file, Line: n.Line, Column: n.Column, Msg: "invalid JSON: " + err.Error()})
		return
	}
	apiVersion, kind := str(h.APIVersion), str(h.Kind)
	if apiVersion == "" || kind == "" {
		r.Notes = append(r.Notes, &Note{File: file, Line: n.Line, Column: n.Column, Msg: "skipped: no apiVersion and kind, so not a Kubernetes object"})
		return
	}
	if items := bytes.TrimSpace(h.Items); strings.HasSuffix(kind, "List") && len(items) > 0 && string(items) != "null" {
		itemsNode := deref(lookup(n, "items"))
		var list []json.RawMessage
		if items[0] != '[' || kjson.UnmarshalCaseSensitivePreserveInts(items, &list) != nil {
			at := n
			if itemsNode != nil {
				at = itemsNode
			}
			r.Errors = append(r.Errors, &Error{File: file, Line: at.Line, Column: at.Column, Msg: kind + ".items must be a list"})
			return
		}
		for i, it := range list {
			itemNode := n
			if itemsNode != nil && itemsNode.Kind == yaml.SequenceNode && len(itemsNode.Content) == len(list) {
				itemNode = itemsNode.Content[i]
			}
			r.add(file, itemNode, it, nil)
		}
		return
	}
	d := &Document{File: file, Root: n, JSON: js, Object: rule.Object{APIVersion: apiVersion, Kind: kind}}
	var meta headMeta
	if sp != nil {
		meta = headMeta{Name: span(js, sp.name), GenerateName: span(js, sp.generateName), Namespace: span(js, sp.namespace)}
	}
	d.meta = h.Metadata
	if len(h.Metadata) > 0 && h.Metadata[0] == '{' && (sp != nil || kjson.UnmarshalCaseSensitivePreserveInts(h.Metadata, &meta) == nil) {
		d.Object.Name = str(meta.Name)
		if d.Object.Name == "" {
			if g := str(meta.GenerateName); g != "" {
				d.Object.Name = g + "*"
			}
		}
		d.Object.Namespace = str(meta.Namespace)
	}
	r.Errors = append(r.Errors, d.validate()...)
	r.Docs = append(r.Docs, d)
}

// deref follows aliases.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// lookup returns the value of key in mapping n.
func lookup(n *yaml.Node, key string) *yaml.Node {
	_, v := lookupKey(n, key)
	return v
}

// lookupKey returns the key and value that decide key in mapping n, with the precedence
// of the YAML decoder behind kubectl and Helm (go.yaml.in/yaml/v2): entries apply in
// order, a later one overriding an earlier one; a merge key applies its mapping where it
// stands, and of a list of merged mappings the first wins.
func lookupKey(n *yaml.Node, key string) (k, v *yaml.Node) {
	budget := 10_000
	return lookupBudget(n, key, &budget)
}

// lookupBudget bounds the mappings visited, since merge keys can form loops or fan out.
func lookupBudget(n *yaml.Node, key string, budget *int) (k, v *yaml.Node) {
	n = deref(n)
	if *budget--; *budget < 0 {
		return nil, nil
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn := n.Content[i]
		if isMerge(kn) {
			if mk, mv := mergeLookup(n.Content[i+1], key, budget); mv != nil {
				k, v = mk, mv
			}
			continue
		}
		if kn.Kind == yaml.ScalarNode && keyString(kn) == key {
			k, v = kn, n.Content[i+1]
		}
	}
	return k, v
}

func mergeLookup(v *yaml.Node, key string, budget *int) (*yaml.Node, *yaml.Node) {
	v = deref(v)
	if v != nil && v.Kind == yaml.SequenceNode {
		for _, m := range v.Content {
			if k, r := lookupBudget(m, key, budget); r != nil {
				return k, r
			}
		}
		return nil, nil
	}
	return lookupBudget(v, key, budget)
}

func isMerge(k *yaml.Node) bool { return k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" }
