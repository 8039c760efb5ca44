package admission

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// A small JSON scanner for the parts of an AdmissionReview the webhook does not decode
// itself. encoding/json reads every byte of a body several times (a validity pass, then
// the decoding pass, which skips an embedded object byte by byte through its state
// machine, then the same again when the object is decoded); the scanner validates and
// splits a review in one quick pass, so encoding/json only ever sees the small request
// fields and, once, the object itself. It accepts exactly what json.Valid accepts (a
// fuzz test compares them).

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

var errSyntax = errors.New("invalid JSON")

type scanner struct {
	data  []byte
	i     int
	depth int
	// What the scan saw, for the decoder's fast path (decodeTyped): a byte outside ASCII
	// in a string (the only place JSON allows one), and an escape in an object key.
	nonASCII, keyEscape bool
}

func (s *scanner) ws() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) fail(what string) error {
	return fmt.Errorf("%w: %s at offset %d", errSyntax, what, s.i)
}

// value checks one value starting at s.i (after whitespace) and moves past it.
func (s *scanner) value() error {
	if s.i >= len(s.data) {
		return s.fail("unexpected end")
	}
	switch c := s.data[s.i]; {
	case c == '{':
		return s.object(nil, nil)
	case c == '[':
		return s.array()
	case c == '"':
		return s.str()
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return s.fail("unexpected character")
}

func (s *scanner) literal(lit string) error {
	if len(s.data)-s.i < len(lit) || string(s.data[s.i:s.i+len(lit)]) != lit {
		return s.fail("bad literal")
	}
	s.i += len(lit)
	return nil
}

func (s *scanner) number() error {
	d := s.data
	if d[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(d) && d[s.i] == '0':
		s.i++
	case s.i < len(d) && d[s.i] >= '1' && d[s.i] <= '9':
		for s.i < len(d) && d[s.i] >= '0' && d[s.i] <= '9' {
			s.i++
		}
	default:
		return s.fail("bad number")
	}
	if s.i < len(d) && d[s.i] == '.' {
		s.i++
		start := s.i
		for s.i < len(d) && d[s.i] >= '0' && d[s.i] <= '9' {
			s.i++
		}
		if s.i == start {
			return s.fail("bad number")
		}
	}
	if s.i < len(d) && (d[s.i] == 'e' || d[s.i] == 'E') {
		s.i++
		if s.i < len(d) && (d[s.i] == '+' || d[s.i] == '-') {
			s.i++
		}
		start := s.i
		for s.i < len(d) && d[s.i] >= '0' && d[s.i] <= '9' {
			s.i++
		}
		if s.i == start {
			return s.fail("bad number")
		}
	}
	return nil
}

// str checks a string; as encoding/json, it allows any byte but control characters and
// checks escapes.
func (s *scanner) str() error {
	d := s.data
	s.i++ // opening quote
	for s.i < len(d) {
		// Most bytes are plain: skip them in a tight loop.
		for s.i < len(d) && plain[d[s.i]] {
			s.i++
		}
		if s.i >= len(d) {
			break
		}
		c := d[s.i]
		switch {
		case c == '"':
			s.i++
			return nil
		case c == '\\':
			s.i++
			if s.i >= len(d) {
				return s.fail("unexpected end")
			}
			switch d[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				if len(d)-s.i < 5 {
					return s.fail("bad escape")
				}
				for _, h := range d[s.i+1 : s.i+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return s.fail("bad escape")
					}
				}
				s.i += 5
			default:
				return s.fail("bad escape")
			}
		case c < 0x20:
			return s.fail("control character in string")
		default: // c >= 0x80
			s.nonASCII = true
			s.i++
		}
	}
	return s.fail("unterminated string")
}

func (s *scanner) array() error {
	if s.depth++; s.depth > maxDepth {
		return s.fail("exceeded max depth")
	}
	s.i++
	s.ws()
	if s.i < len(s.data) && s.data[s.i] == ']' {
		s.i++
		s.depth--
		return nil
	}
	for {
		s.ws()
		if err := s.value(); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.data) {
			return s.fail("unexpected end")
		}
		switch s.data[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			s.depth--
			return nil
		default:
			return s.fail("expected , or ]")
		}
	}
}

// plain marks the ASCII bytes a string holds as they are: not a quote, a backslash or a
// control character.
var plain = func() (t [256]bool) {
	for i := range t {
		t[i] = i >= 0x20 && i < 0x80 && i != '"' && i != '\\'
	}
	return t
}()

// member is one member of an object: the key, unescaped, and where the member and its
// value are.
type member struct {
	key        string
	start      int // the key's opening quote
	valueStart int
	end        int // just after the value
}

// nest says, for a member's key, where to list the members of its value when that is
// an object (nil: nowhere), and how to treat the members' own values in turn.
type nest func(key string) (*[]member, nest)

// object checks an object; with into, it also lists the members, and with sub, the
// members of member values that are objects, as sub says.
func (s *scanner) object(into *[]member, sub nest) error {
	if s.depth++; s.depth > maxDepth {
		return s.fail("exceeded max depth")
	}
	s.i++
	s.ws()
	if s.i < len(s.data) && s.data[s.i] == '}' {
		s.i++
		s.depth--
		return nil
	}
	for {
		s.ws()
		if s.i >= len(s.data) || s.data[s.i] != '"' {
			return s.fail("expected a key")
		}
		m := member{start: s.i}
		if err := s.str(); err != nil {
			return err
		}
		if !s.keyEscape && bytes.IndexByte(s.data[m.start:s.i], '\\') >= 0 {
			s.keyEscape = true
		}
		if into != nil {
			m.key = unquote(s.data[m.start:s.i])
		}
		s.ws()
		if s.i >= len(s.data) || s.data[s.i] != ':' {
			return s.fail("expected :")
		}
		s.i++
		s.ws()
		m.valueStart = s.i
		var nested *[]member
		var deeper nest
		if sub != nil && s.i < len(s.data) && s.data[s.i] == '{' {
			nested, deeper = sub(m.key)
		}
		var err error
		if nested != nil {
			*nested = (*nested)[:0] // the last of duplicate keys wins, as in encoding/json
			err = s.object(nested, deeper)
		} else {
			err = s.value()
		}
		if err != nil {
			return err
		}
		m.end = s.i
		if into != nil {
			*into = append(*into, m)
		}
		s.ws()
		if s.i >= len(s.data) {
			return s.fail("unexpected end")
		}
		switch s.data[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			s.depth--
			return nil
		default:
			return s.fail("expected , or }")
		}
	}
}

// unquote returns a checked JSON string's content, as encoding/json decodes it (escapes
// resolved, invalid UTF-8 replaced).
func unquote(q []byte) string {
	inner := q[1 : len(q)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner)
	}
	var out string
	_ = json.Unmarshal(q, &out)
	return out
}

// valid tells whether data is one JSON value, optionally surrounded by whitespace.
func valid(data []byte) bool {
	ok, _ := check(data)
	return ok
}

// facts are what a scan of valid JSON saw (see scanner). nonASCII false promises valid
// UTF-8, keyEscape false keys without escapes; true promises nothing.
type facts struct{ nonASCII, keyEscape bool }

// check is valid that also tells what the scan saw.
func check(data []byte) (bool, facts) {
	s := scanner{data: data}
	s.ws()
	if s.value() != nil {
		return false, facts{}
	}
	s.ws()
	return s.i == len(data), facts{nonASCII: s.nonASCII, keyEscape: s.keyEscape}
}

// splitObject checks that data is exactly one JSON object (with surrounding whitespace)
// and returns its members. errNotObject says it is valid JSON of another type.
func splitObject(data []byte) ([]member, error) { return splitNested(data, nil) }

// splitNested is splitObject that also lists, through sub, the members of member values
// that are objects (see scanner.object), in the same pass.
func splitNested(data []byte, sub nest) ([]member, error) {
	return splitNestedInto(data, nil, sub)
}

// splitNestedInto is splitNested that appends the members to ms.
func splitNestedInto(data []byte, ms []member, sub nest) ([]member, error) {
	s := &scanner{data: data}
	s.ws()
	if s.i >= len(data) {
		return nil, s.fail("unexpected end")
	}
	var err error
	if data[s.i] == '{' {
		err = s.object(&ms, sub)
	} else {
		err = s.value()
		if err == nil {
			err = errNotObject
		}
	}
	if err != nil {
		return nil, err
	}
	s.ws()
	if s.i != len(data) {
		return nil, s.fail("data after the top-level value")
	}
	return ms, nil
}

var errNotObject = errors.New("not a JSON object")

// isNull tells whether a checked value is null.
func isNull(v []byte) bool { return string(v) == "null" }

// withoutManagedFields drops metadata.managedFields from an object's JSON: the server
// side apply bookkeeping, often the largest part of an object the API server sends,
// which no rule reads (the cluster audit drops it too). Anything unexpected leaves the
// object as it is, for encoding/json to judge.
func withoutManagedFields(obj []byte) []byte {
	if !bytes.Contains(obj, []byte(`"managedFields"`)) {
		return obj // nothing to drop (a key spelt otherwise is merely decoded): no need to scan
	}
	var meta []member
	ms, err := splitNested(obj, metadataOnly(&meta))
	if err != nil {
		return obj
	}
	return dropManagedFields(obj, 0, len(obj), ms, meta)
}

// metadataOnly is the nest that lists the members of an object's metadata.
func metadataOnly(meta *[]member) nest {
	return func(key string) (*[]member, nest) {
		if strings.EqualFold(key, "metadata") {
			return meta, nil
		}
		return nil, nil
	}
}

// dropManagedFields returns the object data[start:end] without the managedFields of its
// metadata, given its members and those of its (last) metadata, all positioned in data.
// With a second metadata or managedFields key, which encoding/json would also read, the
// result goes through withoutManagedFields again.
func dropManagedFields(data []byte, start, end int, ms, meta []member) []byte {
	var metaM *member
	metas := 0
	for i := range ms {
		if strings.EqualFold(ms[i].key, "metadata") {
			metaM = &ms[i]
			metas++
		}
	}
	if metaM == nil || data[metaM.valueStart] != '{' {
		return data[start:end]
	}
	k, found := -1, 0
	for i, mm := range meta {
		if strings.EqualFold(mm.key, "managedFields") {
			if k < 0 {
				k = i
			}
			found++
		}
	}
	if k < 0 {
		return data[start:end]
	}
	// The bytes to drop: the member and the comma on one side of it.
	var cutFrom, cutTo int
	switch {
	case k+1 < len(meta):
		cutFrom, cutTo = meta[k].start, meta[k+1].start
	case k > 0:
		cutFrom, cutTo = meta[k-1].end, meta[k].end
	default:
		cutFrom, cutTo = meta[k].start, meta[k].end
	}
	out := make([]byte, 0, end-start-(cutTo-cutFrom))
	out = append(append(out, data[start:cutFrom]...), data[cutTo:end]...)
	if metas > 1 || found > 1 {
		return withoutManagedFields(out)
	}
	return out
}
