package manifest

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"

	"github.com/kharden/kharden/internal/kube"
	"github.com/kharden/kharden/internal/kubejson"
)

// Segment is one step of a field path: a key, or an index when Key is empty.
type Segment struct {
	Key   string
	Index int
}

// SplitPath parses a field path such as
// `spec.containers[1].securityContext` or `metadata.annotations["a.b/c"]`.
func SplitPath(p string) ([]Segment, error) {
	// At most one segment per '.' or '[' and one more: allocated once.
	return appendPath(make([]Segment, 0, 1+strings.Count(p, ".")+strings.Count(p, "[")), p)
}

// appendPath is SplitPath appending to segs, so that a caller that only walks the
// segments can keep them on its stack.
func appendPath(segs []Segment, p string) ([]Segment, error) {
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
	steps, found := d.Walk(path)
	if len(steps) == 0 {
		return d.Root.Line, d.Root.Column, found
	}
	at := steps[len(steps)-1].At
	return at.Line, at.Column, found
}

// Step is one step of a field path through a document's YAML tree: At is where Locate
// points for it (the key of a mapping entry, or the list item), Value the node reached.
type Step struct {
	Segment
	At, Value *yaml.Node
}

// Walk follows a field path through the document as Locate does, and returns the steps
// it could take (none for the root) and the path they make.
func (d *Document) Walk(path string) (steps []Step, found string) {
	var b strings.Builder
	d.follow(path, func(s Step) {
		if steps == nil {
			steps = make([]Step, 0, strings.Count(path, ".")+strings.Count(path, "[")+1)
		}
		steps = append(steps, s)
		if s.Key != "" {
			cur := b.String()
			b.Reset()
			b.WriteString(JoinKey(cur, s.Key))
		} else {
			b.WriteString("[" + strconv.Itoa(s.Index) + "]")
		}
	})
	return steps, b.String()
}

// Position is Locate without the path found: where findings are placed, for each one.
func (d *Document) Position(path string) (line, col int) {
	if last := d.follow(path, nil); last.At != nil {
		return last.At.Line, last.At.Column
	}
	return d.Root.Line, d.Root.Column
}

// follow goes down path from the root as far as the tree has it, calls each (when not
// nil) with every step taken, and returns the last (zero when none was).
func (d *Document) follow(path string, each func(Step)) (last Step) {
	var buf [16]Segment // deeper paths than most rules report grow past it
	segs, err := appendPath(buf[:0], path)
	if err != nil {
		return Step{}
	}
	n := d.Root
	for _, s := range segs {
		n = deref(n)
		var step Step
		if s.Key != "" {
			if k, v := lookupKey(n, s.Key); v != nil {
				// Point at the key of a mapping entry: that is where editors put the cursor.
				step = Step{s, k, v}
			}
		} else if n != nil && n.Kind == yaml.SequenceNode && s.Index >= 0 && s.Index < len(n.Content) {
			step = Step{s, n.Content[s.Index], n.Content[s.Index]}
		}
		if step.Value == nil {
			break
		}
		if each != nil {
			each(step)
		}
		last = step
		n = step.Value
	}
	return last
}

// maxUnknown bounds the unknown-field errors reported for one object.
const maxUnknown = 20

// validate decodes a kind kharden reads as a typed struct the way the API server does
// (field names are case-sensitive) and reports the fields the server's strict field
// validation refuses, at their key: kubectl apply and Helm refuse such an object. The
// rules judge it as the server would store it, without those fields. Removed API versions
// (decoded into today's struct) are not checked for unknown fields: their shape differs.
func (d *Document) validate() []*Error {
	typed := kube.New(d.Object.APIVersion, d.Object.Kind)
	if typed == nil {
		return nil
	}
	current := served(typed) == d.Object.APIVersion
	if kubejson.Supports(typed) {
		// The workload kinds most manifests are: the generated decoder reads them
		// without reflection, and where it takes the JSON the strict decode below has
		// no error to tell (it gives up on unknown, duplicate and differently-cased
		// fields, and on anything it does not read as the server does).
		decode := kubejson.Decode
		if current {
			decode = kubejson.DecodeStrict
		}
		if decode(d.JSON, typed) {
			d.typed = typed
			return nil
		}
		typed = kube.New(d.Object.APIVersion, d.Object.Kind) // it may hold part of a value
	}
	var opts []kjson.StrictOption
	if current {
		opts = append(opts, kjson.DisallowUnknownFields)
	} else {
		opts = append(opts, kjson.DisallowDuplicateFields) // none in JSON made from a map
	}
	strict, err := kjson.UnmarshalStrict(d.JSON, typed, opts...)
	if err != nil {
		return nil // Decode reports it, positioned
	}
	d.typed = typed
	var errs []*Error
	for i, e := range strict {
		if i == maxUnknown {
			errs = append(errs, &Error{File: d.File, Line: d.Root.Line, Column: d.Root.Column,
				Msg: fmt.Sprintf("%s %s: %d more unknown fields", d.Object.Kind, d.Object.Name, len(strict)-i)})
			break
		}
		path := ""
		if fe, ok := e.(kjson.FieldError); ok {
			path = fe.FieldPath()
		}
		line, col, _ := d.Locate(path)
		hint := ""
		if last := path[strings.LastIndexAny(path, ".]")+1:]; last != "" && last[0] >= 'A' && last[0] <= 'Z' {
			hint = " (field names are case-sensitive)"
		}
		errs = append(errs, &Error{File: d.File, Line: line, Column: col,
			Msg: fmt.Sprintf("%s %s: unknown field %q%s: the API server's strict field validation, the kubectl default, refuses the object; kharden checks it without the field", d.Object.Kind, d.Object.Name, truncate(path, 200), hint)})
	}
	return errs
}

// served returns the apiVersion the API server serves a typed struct under ("apps/v1"
// for k8s.io/api/apps/v1).
func served(typed any) string {
	pkg := reflect.TypeOf(typed).Elem().PkgPath()
	parts := strings.Split(strings.TrimPrefix(pkg, "k8s.io/api/"), "/")
	if len(parts) != 2 {
		return ""
	}
	if parts[0] == "core" {
		return parts[1]
	}
	group := parts[0]
	switch group {
	case "rbac":
		group = "rbac.authorization.k8s.io"
	case "networking", "storage", "policy", "scheduling", "node", "discovery":
		group += ".k8s.io"
	}
	return group + "/" + parts[1]
}

// Typed hands over the typed struct Load's strict check decoded the document into (a
// pointer to the type kube.New gives for its apiVersion and kind), or returns nil when
// there is none or it was handed over already.
func (d *Document) Typed() any {
	t := d.typed
	d.typed = nil
	return t
}

// DecodeMeta decodes the object's metadata as Decode would decode the whole object into
// a struct with only a metadata field (what is read of a kind without a type): with the
// generated decoder from the metadata's own JSON when Load found it and the decoder takes
// it, else by Decode, whose errors are positioned.
func (d *Document) DecodeMeta(into *metav1.ObjectMeta) *Error {
	if len(d.meta) > 0 && kubejson.Decode(d.meta, into) {
		return nil
	}
	*into = metav1.ObjectMeta{} // it may hold part of a value
	var partial struct {
		Metadata metav1.ObjectMeta `json:"metadata"`
	}
	if err := d.Decode(&partial); err != nil {
		return err
	}
	*into = partial.Metadata
	return nil
}

// Decode decodes the document into a typed API struct as the API server does: field names
// are case-sensitive and unknown fields are dropped (Load reports them). A value of the
// wrong type becomes an Error at the offending node.
func (d *Document) Decode(into any) *Error {
	if d.typed != nil && reflect.TypeOf(into) == reflect.TypeOf(d.typed) {
		reflect.ValueOf(into).Elem().Set(reflect.ValueOf(d.typed).Elem())
		d.typed = nil // handed over: the caller owns it now
		return nil
	}
	err := kjson.UnmarshalCaseSensitivePreserveInts(d.JSON, into)
	if err == nil {
		return nil
	}
	if field, value, typ, ok := typeError(err); ok {
		n := findTyped(d.Root, strings.Split(field, "."))
		if n == nil {
			n = d.Root
		}
		got := value
		if n.Kind == yaml.ScalarNode {
			got = fmt.Sprintf("%s %q", value, truncate(n.Value, 100))
		}
		return &Error{File: d.File, Line: n.Line, Column: n.Column,
			Msg: fmt.Sprintf("%s %s: field %s must be %s, not %s", d.Object.Kind, d.Object.Name, field, jsonTypeName(typ), got)}
	}
	if ok, _ := kjson.SyntaxErrorOffset(err); ok {
		return &Error{File: d.File, Line: d.Root.Line, Column: d.Root.Column, Msg: "invalid JSON: " + err.Error()}
	}
	return &Error{File: d.File, Line: d.Root.Line, Column: d.Root.Column, Msg: fmt.Sprintf("%s %s: %s", d.Object.Kind, d.Object.Name, truncate(err.Error(), 300))}
}

// typeError reads a JSON type error (the decoder's own type is internal to its module,
// so its fields are read by name).
func typeError(err error) (field, value, typ string, ok bool) {
	v := reflect.ValueOf(err)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct || v.Elem().Type().Name() != "UnmarshalTypeError" {
		return "", "", "", false
	}
	e := v.Elem()
	f, val, t := e.FieldByName("Field"), e.FieldByName("Value"), e.FieldByName("Type")
	if f.Kind() != reflect.String || val.Kind() != reflect.String || !t.IsValid() {
		return "", "", "", false
	}
	if rt, isType := t.Interface().(reflect.Type); isType && rt != nil {
		typ = rt.String()
	}
	return f.String(), val.String(), typ, true
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
