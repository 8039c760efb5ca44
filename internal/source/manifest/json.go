package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// maxAliasNodes bounds how many nodes alias expansion may produce in one document, so an
// alias bomb ("billion laughs") becomes an error rather than exhausting memory.
const maxAliasNodes = 100_000

// maxDepth bounds nesting; no Kubernetes object comes close.
const maxDepth = 1000

type posError struct {
	node *yaml.Node
	msg  string
}

func (e *posError) Error() string { return e.msg }

type jsonWriter struct {
	buf     bytes.Buffer
	aliased int
	// bools are plain scalars written as JSON booleans although YAML 1.2 reads them
	// as strings: YAML 1.1 words (yes, on, off...) in fields Kubernetes types as bool.
	bools map[*yaml.Node]bool
}

// toJSON converts a YAML node to JSON the way Kubernetes reads YAML: scalars by their
// resolved tag, merge keys applied, aliases expanded (within a budget), duplicate keys
// refused.
func toJSON(n *yaml.Node, bools map[*yaml.Node]bool) ([]byte, error) {
	w := &jsonWriter{bools: bools}
	w.buf.Grow(512)
	if err := w.node(n, 0, false); err != nil {
		return nil, err
	}
	return w.buf.Bytes(), nil
}

func (w *jsonWriter) node(n *yaml.Node, depth int, viaAlias bool) error {
	if depth > maxDepth {
		return &posError{n, fmt.Sprintf("nesting deeper than %d levels", maxDepth)}
	}
	if viaAlias {
		w.aliased++
		if w.aliased > maxAliasNodes {
			return &posError{n, fmt.Sprintf("alias expansion exceeds %d nodes (an alias bomb?)", maxAliasNodes)}
		}
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return &posError{n, "alias to an unknown anchor"}
		}
		return w.node(n.Alias, depth+1, true)
	case yaml.MappingNode:
		return w.mapping(n, depth, viaAlias)
	case yaml.SequenceNode:
		w.buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				w.buf.WriteByte(',')
			}
			if err := w.node(c, depth+1, viaAlias); err != nil {
				return err
			}
		}
		w.buf.WriteByte(']')
		return nil
	case yaml.ScalarNode:
		return w.scalar(n)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			w.buf.WriteString("null")
			return nil
		}
		return w.node(n.Content[0], depth, viaAlias)
	}
	return &posError{n, "unsupported YAML node"}
}

type kv struct{ k, v *yaml.Node }

func (w *jsonWriter) mapping(n *yaml.Node, depth int, viaAlias bool) error {
	pairs, err := w.mappingPairs(n, depth)
	if err != nil {
		return err
	}
	w.buf.WriteByte('{')
	for i, p := range pairs {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		writeString(&w.buf, p.k.Value)
		w.buf.WriteByte(':')
		if err := w.node(p.v, depth+1, viaAlias); err != nil {
			return err
		}
	}
	w.buf.WriteByte('}')
	return nil
}

// mappingPairs returns the key/value pairs of a mapping with merge keys resolved: explicit
// keys win over merged ones, and earlier merged maps over later ones, as YAML specifies.
func (w *jsonWriter) mappingPairs(n *yaml.Node, depth int) ([]kv, error) {
	hasMerge := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		if isMerge(n.Content[i]) {
			hasMerge = true
			break
		}
	}
	pairs := make([]kv, 0, len(n.Content)/2)
	if !hasMerge {
		// Small mappings are the norm: a linear scan beats a map for duplicates.
		var seen map[string]struct{}
		if len(n.Content) > 32 {
			seen = make(map[string]struct{}, len(n.Content)/2)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, &posError{k, "mapping key must be a scalar"}
			}
			if seen != nil {
				if _, dup := seen[k.Value]; dup {
					return nil, &posError{k, fmt.Sprintf("duplicate key %q", k.Value)}
				}
				seen[k.Value] = struct{}{}
			} else {
				for _, p := range pairs {
					if p.k.Value == k.Value {
						return nil, &posError{k, fmt.Sprintf("duplicate key %q", k.Value)}
					}
				}
			}
			pairs = append(pairs, kv{k, n.Content[i+1]})
		}
		return pairs, nil
	}
	index := map[string]int{}
	var merged []kv
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMerge(k) {
			v = deref(v)
			var sources []*yaml.Node
			if v.Kind == yaml.SequenceNode {
				sources = v.Content
			} else {
				sources = []*yaml.Node{v}
			}
			for _, s := range sources {
				s = deref(s)
				if s.Kind != yaml.MappingNode {
					return nil, &posError{s, "merge key value must be a mapping"}
				}
				// Merged mappings count against the alias budget: merges of merges can
				// fan out as fast as aliases do.
				w.aliased += len(s.Content) / 2
				if depth > maxDepth || w.aliased > maxAliasNodes {
					return nil, &posError{s, "merge keys nested too deeply or expanding too much"}
				}
				sub, err := w.mappingPairs(s, depth+1)
				if err != nil {
					return nil, err
				}
				merged = append(merged, sub...)
			}
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return nil, &posError{k, "mapping key must be a scalar"}
		}
		if _, dup := index[k.Value]; dup {
			return nil, &posError{k, fmt.Sprintf("duplicate key %q", k.Value)}
		}
		index[k.Value] = len(pairs)
		pairs = append(pairs, kv{k, v})
	}
	for _, p := range merged {
		if _, ok := index[p.k.Value]; ok {
			continue
		}
		index[p.k.Value] = len(pairs)
		pairs = append(pairs, p)
	}
	return pairs, nil
}

func (w *jsonWriter) scalar(n *yaml.Node) error {
	v := n.Value
	if w.bools[n] {
		b, _ := yaml11Bool(n)
		w.buf.WriteString(strconv.FormatBool(b))
		return nil
	}
	switch n.ShortTag() {
	case "!!null":
		w.buf.WriteString("null")
	case "!!bool":
		b, err := strconv.ParseBool(strings.ToLower(v))
		if err != nil {
			return &posError{n, fmt.Sprintf("invalid boolean %q", v)}
		}
		w.buf.WriteString(strconv.FormatBool(b))
	case "!!int":
		clean := strings.ReplaceAll(v, "_", "")
		if i, err := strconv.ParseInt(clean, 0, 64); err == nil {
			w.buf.WriteString(strconv.FormatInt(i, 10))
		} else if u, err := strconv.ParseUint(clean, 0, 64); err == nil {
			w.buf.WriteString(strconv.FormatUint(u, 10))
		} else if f, err := strconv.ParseFloat(clean, 64); err == nil && !math.IsInf(f, 0) {
			w.buf.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
		} else {
			writeString(&w.buf, v)
		}
	case "!!float":
		f, err := strconv.ParseFloat(strings.ReplaceAll(v, "_", ""), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			// JSON has no infinities; keep the text so typed decoding reports a clear error.
			writeString(&w.buf, v)
			return nil
		}
		w.buf.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
	default:
		writeString(&w.buf, v)
	}
	return nil
}

// writeString writes s as a JSON string. Most Kubernetes strings need no escaping.
func writeString(b *bytes.Buffer, s string) {
	simple := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			simple = false
			break
		}
	}
	if simple {
		b.WriteByte('"')
		b.WriteString(s)
		b.WriteByte('"')
		return
	}
	enc, _ := json.Marshal(s)
	b.Write(enc)
}

// yaml11Bool reads the boolean words of YAML 1.1, which Kubernetes' YAML decoder accepts
// for boolean fields (hostNetwork: yes) while YAML 1.2 reads them as strings.
func yaml11Bool(n *yaml.Node) (value, ok bool) {
	if n.Kind != yaml.ScalarNode || n.Style != 0 || n.ShortTag() != "!!str" {
		return false, false
	}
	switch n.Value {
	case "y", "Y", "yes", "Yes", "YES", "on", "On", "ON":
		return true, true
	case "n", "N", "no", "No", "NO", "off", "Off", "OFF":
		return false, true
	}
	return false, false
}
