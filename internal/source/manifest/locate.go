package manifest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Segment is one step of a field path: a key, or an index when Key is empty.
type Segment struct {
	Key   string
	Index int
}

// SplitPath parses a field path such as
// `spec.containers[1].securityContext` or `metadata.annotations["a.b/c"]`.
func SplitPath(p string) ([]Segment, error) {
	var segs []Segment
	for i := 0; i < len(p); {
		switch p[i] {
		case '.':
			i++
		case '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("field path %q: unclosed [", p)
			}
			inner := p[i+1 : i+end]
			if strings.HasPrefix(inner, `"`) {
				// A quoted key may itself contain ']'; find the closing quote.
				key, rest, err := unquoteKey(p[i+1:])
				if err != nil {
					return nil, fmt.Errorf("field path %q: %w", p, err)
				}
				segs = append(segs, Segment{Key: key})
				i = len(p) - len(rest)
				continue
			}
			n, err := strconv.Atoi(inner)
			if err != nil {
				return nil, fmt.Errorf("field path %q: bad index %q", p, inner)
			}
			segs = append(segs, Segment{Index: n})
			i += end + 1
		default:
			j := i
			for j < len(p) && p[j] != '.' && p[j] != '[' {
				j++
			}
			segs = append(segs, Segment{Key: p[i:j]})
			i = j
		}
	}
	return segs, nil
}

func unquoteKey(s string) (key, rest string, err error) {
	// s starts with `"`; find the matching quote honouring escapes.
	for j := 1; j < len(s); j++ {
		if s[j] == '\\' {
			j++
			continue
		}
		if s[j] == '"' {
			key, err = strconv.Unquote(s[:j+1])
			if err != nil || j+1 >= len(s) || s[j+1] != ']' {
				return "", "", errors.New("bad quoted key")
			}
			return key, s[j+2:], nil
		}
	}
	return "", "", errors.New("unclosed quoted key")
}

// JoinKey appends a map key to a path, quoting keys that contain path syntax.
func JoinKey(base, key string) string {
	if strings.ContainsAny(key, `.[]"`) {
		return base + "[" + strconv.Quote(key) + "]"
	}
	if base == "" {
		return key
	}
	return base + "." + key
}

// Locate resolves a field path to the position of its value. When the field does not
// exist it returns the nearest existing ancestor and the path that was found.
func (d *Document) Locate(path string) (line, col int, found string) {
	n := d.Root
	line, col = n.Line, n.Column
	segs, err := SplitPath(path)
	if err != nil {
		return line, col, ""
	}
	var b strings.Builder
	for _, s := range segs {
		n = deref(n)
		var next *yaml.Node
		if s.Key != "" {
			if v := lookup(n, s.Key); v != nil {
				next = v
				// Point at the key of a mapping entry: that is where editors put the cursor.
				if k := keyNode(n, s.Key); k != nil {
					line, col = k.Line, k.Column
				} else {
					line, col = v.Line, v.Column
				}
				cur := b.String()
				b.Reset()
				b.WriteString(JoinKey(cur, s.Key))
			}
		} else if n != nil && n.Kind == yaml.SequenceNode && s.Index >= 0 && s.Index < len(n.Content) {
			next = n.Content[s.Index]
			line, col = next.Line, next.Column
			b.WriteString("[" + strconv.Itoa(s.Index) + "]")
		}
		if next == nil {
			return line, col, b.String()
		}
		n = next
	}
	return line, col, b.String()
}

func keyNode(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key && !isMerge(k) {
			return k
		}
	}
	return nil
}

// Decode decodes the document into a typed API struct. A value of the wrong type becomes
// an Error at the offending node.
func (d *Document) Decode(into any) *Error {
	err := json.Unmarshal(d.JSON, into)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	// A boolean field written as a YAML 1.1 word (yes, on, off) is what Kubernetes
	// accepts: rewrite those words as booleans, field by field, and decode again.
	for bools := map[*yaml.Node]bool{}; errors.As(err, &te) && te.Type.Kind() == reflect.Bool && len(bools) < 1000; {
		before := len(bools)
		for _, n := range findAll(d.Root, strings.Split(te.Field, "."), nil) {
			if _, ok := yaml11Bool(n); ok {
				bools[n] = true
			}
		}
		if len(bools) == before {
			break
		}
		js, jerr := toJSON(d.Root, bools)
		if jerr != nil {
			break
		}
		if err = json.Unmarshal(js, into); err == nil {
			d.JSON = js
			return nil
		}
	}
	if errors.As(err, &te) {
		n := findTyped(d.Root, strings.Split(te.Field, "."))
		if n == nil {
			n = d.Root
		}
		got := te.Value
		if n.Kind == yaml.ScalarNode {
			got = fmt.Sprintf("%s %q", te.Value, n.Value)
		}
		return &Error{File: d.File, Line: n.Line, Column: n.Column,
			Msg: fmt.Sprintf("%s %s: field %s must be %s, not %s", d.Object.Kind, d.Object.Name, te.Field, jsonTypeName(te.Type.String()), got)}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &Error{File: d.File, Line: d.Root.Line, Column: d.Root.Column, Msg: "invalid JSON: " + se.Error()}
	}
	return &Error{File: d.File, Line: d.Root.Line, Column: d.Root.Column, Msg: fmt.Sprintf("%s %s: %v", d.Object.Kind, d.Object.Name, err)}
}

func jsonTypeName(goType string) string {
	switch {
	case goType == "bool" || goType == "*bool":
		return "a boolean"
	case strings.Contains(goType, "int"):
		return "an integer"
	case strings.Contains(goType, "string") && !strings.HasPrefix(goType, "map") && !strings.HasPrefix(goType, "[]"):
		return "a string"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map"):
		return "a mapping"
	}
	return "an object (" + goType + ")"
}

// findAll returns every node on a dotted field path, across all list elements.
func findAll(n *yaml.Node, keys []string, out []*yaml.Node) []*yaml.Node {
	n = deref(n)
	if n == nil || len(out) > 10000 {
		return out
	}
	if len(keys) == 0 {
		return append(out, n)
	}
	switch n.Kind {
	case yaml.SequenceNode:
		for _, c := range n.Content {
			out = findAll(c, keys, out)
		}
	case yaml.MappingNode:
		if v := lookup(n, keys[0]); v != nil {
			out = findAll(v, keys[1:], out)
		}
	}
	return out
}

// findTyped follows a dotted field path without list indexes (as encoding/json reports
// it) and returns the first matching node, trying every list element on the way.
func findTyped(n *yaml.Node, keys []string) *yaml.Node {
	n = deref(n)
	if n == nil {
		return nil
	}
	if len(keys) == 0 || len(keys) == 1 && keys[0] == "" {
		return n
	}
	switch n.Kind {
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if r := findTyped(c, keys); r != nil {
				return r
			}
		}
	case yaml.MappingNode:
		if v := lookup(n, keys[0]); v != nil {
			return findTyped(v, keys[1:])
		}
	}
	return nil
}
