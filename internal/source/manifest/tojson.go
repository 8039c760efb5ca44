package manifest

import (
	"cmp"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// objectJSON appends the JSON that sigs.k8s.io/yaml.YAMLToJSON makes of the document
// whose root mapping is n, read from the tree already parsed for positions rather than by
// parsing the text a second time (the scan's largest cost after the first parse). It
// covers what manifests are made of; for anything whose YAML 1.1 reading (kubectl's)
// is not certain from the tree it returns false and the caller converts the text:
// aliases, merge keys, explicit tags, duplicate keys, plain scalars that read as NaN
// or infinities, and plain keys that read as anything but a string. Keys are written sorted, as
// encoding/json writes a map. It also says where it wrote the head of the object
// (spans).
func objectJSON(b []byte, n *yaml.Node) ([]byte, *spans, bool) {
	sp := &spans{}
	b, ok := writeJSON(b, n, sp, 0)
	return b, sp, ok
}

// spans are where objectJSON wrote the values Load reads of every object (head, and
// headMeta in metadata), as offsets in its output, so that Load need not decode the
// JSON a second time to find them: a [start, end) of {0, 0} is a key not there.
type spans struct {
	apiVersion, kind, metadata, items [2]int
	name, generateName, namespace     [2]int
}

// field is where the value of key goes in sp at depth (0 the object, 1 its metadata),
// or nil.
func (sp *spans) field(key string, depth int) *[2]int {
	if sp == nil {
		return nil
	}
	switch {
	case depth == 0 && key == "apiVersion":
		return &sp.apiVersion
	case depth == 0 && key == "kind":
		return &sp.kind
	case depth == 0 && key == "metadata":
		return &sp.metadata
	case depth == 0 && key == "items":
		return &sp.items
	case depth == 1 && key == "name":
		return &sp.name
	case depth == 1 && key == "generateName":
		return &sp.generateName
	case depth == 1 && key == "namespace":
		return &sp.namespace
	}
	return nil
}

// writeJSON writes n as objectJSON does; sp, when not nil, records the values of the
// head's keys met at depth 0 (and in metadata, at depth 1).
func writeJSON(b []byte, n *yaml.Node, sp *spans, depth int) ([]byte, bool) {
	if n.Style&yaml.TaggedStyle != 0 {
		return b, false
	}
	switch n.Kind {
	case yaml.MappingNode:
		type pair struct {
			key string
			val *yaml.Node
		}
		pairs := make([]pair, 0, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Style&yaml.TaggedStyle != 0 {
				return b, false
			}
			if k.Style == 0 || k.Style == yaml.FlowStyle {
				if _, ok := plainString(k.Value); !ok || k.Value == "" {
					return b, false // a merge key, or a key read as null, a boolean or a number
				}
			}
			pairs = append(pairs, pair{k.Value, n.Content[i+1]})
		}
		slices.SortStableFunc(pairs, func(a, b pair) int { return cmp.Compare(a.key, b.key) })
		b = append(b, '{')
		for i, p := range pairs {
			if i > 0 {
				if p.key == pairs[i-1].key {
					return b, false
				}
				b = append(b, ',')
			}
			b = appendString(b, p.key)
			b = append(b, ':')
			at := sp.field(p.key, depth)
			sub := sp
			if at == nil || depth > 0 || p.key != "metadata" {
				sub = nil // only metadata's keys are looked for below the object
			}
			start := len(b)
			var ok bool
			if b, ok = writeJSON(b, p.val, sub, depth+1); !ok {
				return b, false
			}
			if at != nil {
				*at = [2]int{start, len(b)}
			}
		}
		return append(b, '}'), true
	case yaml.SequenceNode:
		b = append(b, '[')
		for i, c := range n.Content {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = writeJSON(b, c, nil, 0); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	case yaml.ScalarNode:
		if n.Style != 0 && n.Style != yaml.FlowStyle {
			return appendString(b, n.Value), true // quoted or block: a string
		}
		return appendPlain(b, n.Value)
	}
	return b, false
}

// appendPlain appends the JSON of a plain scalar value as kubectl reads it: YAML 1.1 as
// go.yaml.in/yaml/v2 resolves an untagged scalar, then encoding/json. It reports false
// only where that reading is not one JSON value: NaN and the infinities, which
// encoding/json refuses, and the merge key.
func appendPlain(b []byte, v string) ([]byte, bool) {
	if s, ok := plainString(v); ok {
		return appendString(b, s), true
	}
	switch v {
	case "", "~", "null", "Null", "NULL":
		return append(b, "null"...), true
	case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
		return append(b, "true"...), true
	case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
		return append(b, "false"...), true
	case ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<":
		return b, false
	}
	if decimal(v) {
		return append(b, v...), true
	}
	switch c := v[0]; {
	case c == '.':
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return appendFloat(b, f)
		}
	case c >= '0' && c <= '9', c == '+', c == '-':
		// The order is yaml.v2's: integer (any base strconv knows, underscores
		// dropped), unsigned, float of YAML's own form, binary. (A timestamp, tried
		// first, reads as its text, which none of these takes.)
		plain := strings.ReplaceAll(v, "_", "")
		if i, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return strconv.AppendInt(b, i, 10), true
		}
		if u, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return strconv.AppendUint(b, u, 10), true
		}
		if yamlFloat.MatchString(plain) {
			if f, err := strconv.ParseFloat(plain, 64); err == nil {
				return appendFloat(b, f)
			}
		}
		if bin, ok := strings.CutPrefix(plain, "0b"); ok {
			if i, err := strconv.ParseInt(bin, 2, 64); err == nil {
				return strconv.AppendInt(b, i, 10), true
			}
			if u, err := strconv.ParseUint(bin, 2, 64); err == nil {
				return strconv.AppendUint(b, u, 10), true
			}
		} else if bin, ok := strings.CutPrefix(plain, "-0b"); ok {
			if i, err := strconv.ParseInt("-"+bin, 2, 64); err == nil {
				return strconv.AppendInt(b, i, 10), true
			}
		}
	}
	return appendString(b, v), true // anything else is a string
}

// yamlFloat is the form of a float yaml.v2 accepts (after its integer forms).
var yamlFloat = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

// appendFloat appends f as encoding/json writes a float64, which is how kubectl's
// conversion hands it on (the API server then reads "1" and "1.0" differently).
func appendFloat(b []byte, f float64) ([]byte, bool) {
	js, err := json.Marshal(f)
	if err != nil {
		return b, false
	}
	return append(b, js...), true
}

// plainString returns a plain scalar's value when YAML 1.1 reads it as a string for
// sure: its first character starts no null, boolean, number, timestamp or merge key
// (go.yaml.in/yaml/v2's resolve table), or it starts one of those words and is none.
func plainString(v string) (string, bool) {
	if v == "" {
		return "", false
	}
	switch c := v[0]; {
	case c >= '0' && c <= '9', c == '+', c == '-', c == '.':
		return v, textual(v)
	case c == '<':
		return v, v != "<<"
	case c == '~':
		return v, v != "~"
	case c == 'y' || c == 'Y' || c == 'n' || c == 'N' || c == 't' || c == 'T' || c == 'f' || c == 'F' || c == 'o' || c == 'O':
		switch v {
		case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
			"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "null", "Null", "NULL":
			return "", false
		}
	}
	return v, true
}

// textual tells whether a plain scalar that starts as a number may start is a string for
// sure: it holds a character that no YAML 1.1 number, infinity, NaN or timestamp holds
// (100Mi, 30s, --port), or it is digits with two dots or more (1.15.1), which neither an
// integer nor a float nor a timestamp is.
func textual(v string) bool {
	dots, digitsAndDots := 0, true
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9':
		case c == '.':
			dots++
		case strings.IndexByte(numberish, c) >= 0:
			digitsAndDots = false
		default:
			return true
		}
	}
	return digitsAndDots && dots >= 2
}

// numberish are the characters besides digits and dots that a YAML 1.1 number (signs,
// exponents, hexadecimal, octal and binary digits and prefixes, underscores, sexagesimal
// colons), infinity, NaN or timestamp (T, Z, spaces, colons, signs) can hold.
const numberish = "+-_:eExXoObBaAcCdDfFtTzZiInN \t"

// decimal tells whether v is a decimal integer that YAML 1.1 and JSON read alike: no
// sign but a minus, no leading zero, no underscore, well inside int64.
func decimal(v string) bool {
	d := v
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 18 || d[0] == '0' && (len(d) > 1 || len(v) > 1) {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}

// appendString appends s as a JSON string (s is valid UTF-8: Load checks its input).
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			continue
		}
		if c >= utf8.RuneSelf {
			continue // kept as is
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
