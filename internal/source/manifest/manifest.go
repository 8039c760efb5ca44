// Package manifest loads Kubernetes manifests (multi-document YAML or JSON) into documents
// that keep the position of every node, so that any field path can be turned back into a
// file, line and column.
package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kharden/kharden/internal/rule"
)

// MaxFileSize bounds the bytes read from one input; larger inputs are refused with an
// error instead of being read into memory.
const MaxFileSize = 32 << 20

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
)

// lineOf returns the 1-based line of the first occurrence of s in data, or 0.
func lineOf(data []byte, s string) int {
	i := bytes.Index(data, []byte(s))
	if i < 0 {
		return 0
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}

// Load parses one input. Each YAML document that fails to parse becomes an Error; the
// documents before it are kept. List kinds are expanded into their items.
func Load(file string, data []byte) *Result {
	res := &Result{}
	if len(data) > MaxFileSize {
		res.Errors = append(res.Errors, &Error{File: file, Msg: fmt.Sprintf("file is %d bytes, more than the %d byte limit", len(data), MaxFileSize)})
		return res
	}
	if i := bytes.IndexByte(data, 0); i >= 0 || !utf8.Valid(data) && !isUTF16(data) {
		res.Errors = append(res.Errors, &Error{File: file, Msg: "binary file: not YAML or JSON text"})
		return res
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return res
		}
		if err != nil {
			res.Errors = append(res.Errors, parseError(file, data, err))
			// The decoder cannot resume after a syntax error.
			return res
		}
		if len(doc.Content) == 0 {
			continue
		}
		res.add(file, doc.Content[0])
	}
}

func isUTF16(b []byte) bool {
	return len(b) >= 2 && (b[0] == 0xff && b[1] == 0xfe || b[0] == 0xfe && b[1] == 0xff)
}

func parseError(file string, data []byte, err error) *Error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		// Parser errors report the 0-based line where the unfinished construct began;
		// scanner errors report the 1-based line of the offending character.
		if strings.HasPrefix(m[2], "did not find expected") {
			line++
		}
		return &Error{File: file, Line: line, Msg: "invalid YAML: " + m[2]}
	}
	if m := unknownAnchor.FindStringSubmatch(msg); m != nil {
		return &Error{File: file, Line: lineOf(data, "*"+m[1]), Msg: "invalid YAML: " + m[0]}
	}
	return &Error{File: file, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

func (r *Result) add(file string, n *yaml.Node) {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // an empty document, such as a trailing "---"
	}
	if n.Kind != yaml.MappingNode {
		r.Notes = append(r.Notes, &Note{File: file, Line: n.Line, Column: n.Column, Msg: "skipped: document is not a mapping, so not a Kubernetes object"})
		return
	}
	apiVersion, kind := scalar(n, "apiVersion"), scalar(n, "kind")
	if apiVersion == "" || kind == "" {
		r.Notes = append(r.Notes, &Note{File: file, Line: n.Line, Column: n.Column, Msg: "skipped: no apiVersion and kind, so not a Kubernetes object"})
		return
	}
	if items := lookup(n, "items"); strings.HasSuffix(kind, "List") && items != nil {
		items = deref(items)
		if items.Kind != yaml.SequenceNode {
			r.Errors = append(r.Errors, &Error{File: file, Line: items.Line, Column: items.Column, Msg: kind + ".items must be a list"})
			return
		}
		for _, it := range items.Content {
			r.add(file, it)
		}
		return
	}
	js, err := toJSON(n, nil)
	if err != nil {
		var pe *posError
		if errors.As(err, &pe) {
			r.Errors = append(r.Errors, &Error{File: file, Line: pe.node.Line, Column: pe.node.Column, Msg: pe.msg})
		} else {
			r.Errors = append(r.Errors, &Error{File: file, Line: n.Line, Column: n.Column, Msg: err.Error()})
		}
		return
	}
	meta := deref(lookup(n, "metadata"))
	d := &Document{File: file, Root: n, JSON: js, Object: rule.Object{APIVersion: apiVersion, Kind: kind}}
	if meta != nil {
		d.Object.Name = scalar(meta, "name")
		if d.Object.Name == "" {
			if g := scalar(meta, "generateName"); g != "" {
				d.Object.Name = g + "*"
			}
		}
		d.Object.Namespace = scalar(meta, "namespace")
	}
	r.Docs = append(r.Docs, d)
}

// deref follows aliases.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// lookup returns the value of key in mapping n, following merge keys.
func lookup(n *yaml.Node, key string) *yaml.Node {
	budget := 10_000
	return lookupBudget(n, key, &budget)
}

// lookupBudget bounds the mappings visited, since merge keys can form loops or fan out.
func lookupBudget(n *yaml.Node, key string, budget *int) *yaml.Node {
	n = deref(n)
	if *budget--; *budget < 0 {
		return nil
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var merged *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Value == key && k.Kind == yaml.ScalarNode && k.ShortTag() != "!!merge" {
			return n.Content[i+1]
		}
		if merged == nil && isMerge(k) {
			merged = mergeLookup(n.Content[i+1], key, budget)
		}
	}
	return merged
}

func mergeLookup(v *yaml.Node, key string, budget *int) *yaml.Node {
	v = deref(v)
	if v != nil && v.Kind == yaml.SequenceNode {
		for _, m := range v.Content {
			if r := lookupBudget(m, key, budget); r != nil {
				return r
			}
		}
		return nil
	}
	return lookupBudget(v, key, budget)
}

func isMerge(k *yaml.Node) bool { return k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" }

func scalar(n *yaml.Node, key string) string {
	v := deref(lookup(n, key))
	if v == nil || v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" {
		return ""
	}
	return v.Value
}
