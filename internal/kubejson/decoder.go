// Package kubejson decodes the JSON of the Kubernetes kinds the admission webhook sees
// most (workloads, and the AdmissionRequest around them) without reflection, with code
// generated from the API types (gen/, `go generate`). At thousands of AdmissionReviews a
// second, decoding with reflection was a quarter of the webhook's CPU and most of its
// garbage.
//
// It decodes exactly as encoding/json would, or not at all: Decode reports false for
// anything it does not take the straight way (escaped or differently-cased keys,
// duplicate keys, numbers that are not plain integers, a value of the wrong type, ...),
// and the caller then decodes with encoding/json, whose answer stands. Values whose
// type decodes itself (resource.Quantity, metav1.Time, RawExtension, ...) get their own
// bytes, as encoding/json hands them; strings with escapes or non-ASCII bytes, and the
// rare kinds the generator leaves alone, go to encoding/json one value at a time. A fuzz
// test holds it to encoding/json on every valid JSON input.
//
// DecodeReview reads a whole AdmissionReview the same way in one pass, its object
// included, and checks as it goes everything it skips (userInfo, managedFields, the old
// object), so that a body it takes is valid JSON: the webhook then needs no separate
// validity scan. The fuzz test holds that checking to json.Valid.
package kubejson

import "encoding/json"

//go:generate go run ./gen -out zz_generated.go

// Decode decodes data into v, which must point at a zero value of one of the generated
// types, and reports whether it did. data must be valid JSON (the webhook's scanner has
// checked it): Decode checks only what it reads, not the members it skips. When it
// reports false, v holds a partial value: zero it before decoding again. It never
// panics, whatever data is.
func Decode(data []byte, v any) bool { return decode(decoder{data: data}, v) }

// DecodeWithoutManagedFields is Decode, except that it skips metadata.managedFields,
// which the rules never read and which are most of an object the API server sends.
func DecodeWithoutManagedFields(data []byte, v any) bool {
	return decode(decoder{data: data, skipManagedFields: true}, v)
}

func decode(d decoder, v any) bool {
	if !decodeRoot(&d, v) {
		return false
	}
	d.ws()
	return d.pos == len(d.data)
}

// DecodeStrict is Decode, except that it also reports false for a member the type has
// no field for: where it reports true, the API server's strict field validation (which
// refuses unknown fields) has nothing to say either.
func DecodeStrict(data []byte, v any) bool { return decode(decoder{data: data, strict: true}, v) }

// Supports reports whether Decode knows v's type.
func Supports(v any) bool { return supports(v) }

// SupportsKind reports whether Decode knows the type of an API group's kind (the core
// group is "").
func SupportsKind(group, kind string) bool { return supportsKind(group, kind) }

// decoder reads one JSON text. Every method leaves pos after what it read and returns
// false where the generated code should give up.
type decoder struct {
	data              []byte
	pos               int
	skipManagedFields bool
	// strict: a member the type has no field for makes the decode give up.
	strict bool
	// checked: what the decoder skips is checked as JSON too (DecodeReview, which reads
	// input nothing has checked); otherwise skipping only finds the end of a value.
	checked bool
}

func (d *decoder) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, 0 at the end.
func (d *decoder) peek() byte {
	d.ws()
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

// null consumes a null if one comes next.
func (d *decoder) null() bool {
	if d.peek() == 'n' && len(d.data)-d.pos >= 4 && string(d.data[d.pos:d.pos+4]) == "null" {
		d.pos += 4
		return true
	}
	return false
}

// consume expects byte c next.
func (d *decoder) consume(c byte) bool {
	if d.peek() != c {
		return false
	}
	d.pos++
	return true
}

// object reads an object's members: before each, next reports whether there is one
// and reads its key (plain ASCII without escapes, else the decoder gives up).
func (d *decoder) objectStart() bool { return d.consume('{') }

// next moves to the next member of an object, returning its key (aliasing the input)
// and true, or false at the closing brace. ok is false when the input is not what this
// decoder takes.
func (d *decoder) next(first bool) (key []byte, more, ok bool) {
	c := d.peek()
	if c == '}' {
		d.pos++
		return nil, false, true
	}
	if !first {
		if c != ',' {
			return nil, false, false
		}
		d.pos++
		c = d.peek()
	}
	if c != '"' {
		return nil, false, false
	}
	start := d.pos + 1
	i := start
	for ; i < len(d.data); i++ {
		b := d.data[i]
		if b == '"' {
			break
		}
		if b == '\\' || b >= 0x80 || b < 0x20 {
			return nil, false, false // encoding/json's key folding and escapes: not ours
		}
	}
	if i >= len(d.data) {
		return nil, false, false
	}
	key = d.data[start:i]
	d.pos = i + 1
	if !d.consume(':') {
		return nil, false, false
	}
	return key, true, true
}

// arrayNext moves to the next element of an array; false at the closing bracket.
func (d *decoder) arrayNext(first bool) (more, ok bool) {
	c := d.peek()
	if c == ']' {
		d.pos++
		return false, true
	}
	if !first {
		if c != ',' {
			return false, false
		}
		d.pos++
	}
	return true, true
}

// str reads a string. Strings with escapes or non-ASCII bytes are read by
// encoding/json, which decides how invalid UTF-8 and lone surrogates read.
func (d *decoder) str() (string, bool) {
	if d.peek() != '"' {
		return "", false
	}
	start := d.pos + 1
	for i := start; i < len(d.data); i++ {
		b := d.data[i]
		switch {
		case b == '"':
			d.pos = i + 1
			return intern(d.data[start:i]), true
		case b == '\\' || b >= 0x80 || b < 0x20:
			end, ok := d.skip()
			if !ok {
				return "", false
			}
			var s string
			if json.Unmarshal(d.data[start-1:end], &s) != nil {
				return "", false
			}
			return s, true
		}
	}
	return "", false
}

// String reads data as one JSON string, as encoding/json reads it: false when data is
// anything else (another value, something after the string, invalid JSON).
func String(data []byte) (string, bool) {
	d := decoder{data: data, checked: true}
	s, ok := d.str()
	if !ok {
		return "", false
	}
	d.ws()
	return s, d.pos == len(data)
}

// boolean reads true or false.
func (d *decoder) boolean() (bool, bool) {
	switch d.peek() {
	case 't':
		if len(d.data)-d.pos >= 4 && string(d.data[d.pos:d.pos+4]) == "true" {
			d.pos += 4
			return true, true
		}
	case 'f':
		if len(d.data)-d.pos >= 5 && string(d.data[d.pos:d.pos+5]) == "false" {
			d.pos += 5
			return false, true
		}
	}
	return false, false
}

// integer reads a plain integer (no fraction or exponent: encoding/json refuses those
// for integer fields) that fits in bits.
func (d *decoder) integer(bits uint) (int64, bool) {
	d.ws()
	i := d.pos
	neg := false
	if i < len(d.data) && d.data[i] == '-' {
		neg = true
		i++
	}
	start := i
	var n uint64
	for ; i < len(d.data) && d.data[i] >= '0' && d.data[i] <= '9'; i++ {
		if i-start >= 19 {
			return 0, false // may overflow: encoding/json says how
		}
		n = n*10 + uint64(d.data[i]-'0')
	}
	if i == start || (d.data[start] == '0' && i-start > 1) {
		return 0, false
	}
	if i < len(d.data) {
		switch d.data[i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	limit := uint64(1) << (bits - 1)
	if (!neg && n >= limit) || (neg && n > limit) {
		return 0, false
	}
	d.pos = i
	if neg {
		return -int64(n), true
	}
	return int64(n), true
}

// unsigned reads a plain non-negative integer that fits in bits.
//
//lint:ignore U1000 the generator calls it for unsigned integer fields, which the API types it reads now have none of
func (d *decoder) unsigned(bits uint) (uint64, bool) {
	if d.peek() == '-' {
		return 0, false
	}
	n, ok := d.integer(64)
	if !ok || (bits < 64 && uint64(n) >= uint64(1)<<bits) {
		return 0, false
	}
	return uint64(n), true
}

// value hands the next value, whatever it is, to encoding/json (for types that decode
// themselves, and kinds the generator leaves alone: []byte, base64 in JSON).
func (d *decoder) value(v any) bool {
	d.ws()
	start := d.pos
	end, ok := d.skip()
	if !ok {
		return false
	}
	return json.Unmarshal(d.data[start:end], v) == nil
}

// raw returns the next value's bytes (aliasing the input, as encoding/json hands them
// to an UnmarshalJSON method, which must copy what it keeps).
func (d *decoder) raw() ([]byte, bool) {
	d.ws()
	start := d.pos
	end, ok := d.skip()
	if !ok {
		return nil, false
	}
	return d.data[start:end], true
}

// skipValue skips the next value (an unknown member's).
func (d *decoder) skipValue() bool {
	_, ok := d.skip()
	return ok
}

// skip moves past the next value and returns where it ends. Unless the decoder is
// checked, it looks only for the end: Decode runs on input already checked as JSON,
// and anything odd makes it give up.
func (d *decoder) skip() (int, bool) {
	if d.checked {
		d.ws()
		if !d.check(0) {
			return 0, false
		}
		return d.pos, true
	}
	return d.find()
}

// find is skip for input already checked as JSON.
func (d *decoder) find() (int, bool) {
	d.ws()
	depth := 0
	for d.pos < len(d.data) {
		b := d.data[d.pos]
		switch b {
		case '"':
			i := d.pos + 1
			for ; i < len(d.data) && d.data[i] != '"'; i++ {
				if d.data[i] == '\\' {
					i++
				}
			}
			if i >= len(d.data) {
				return 0, false
			}
			d.pos = i + 1
		case '{', '[':
			depth++
			if depth > 10000 { // encoding/json's limit
				return 0, false
			}
			d.pos++
		case '}', ']':
			depth--
			if depth < 0 {
				return 0, false
			}
			d.pos++
		case ' ', '\t', '\n', '\r':
			d.pos++
		case ',', ':':
			if depth == 0 {
				return 0, false
			}
			d.pos++
		default:
			start := d.pos
			for d.pos < len(d.data) {
				c := d.data[d.pos]
				if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':' || c == '"' {
					break
				}
				d.pos++
			}
			if d.pos == start {
				return 0, false
			}
		}
		if depth == 0 {
			return d.pos, true
		}
	}
	return 0, false
}

// foldKnown reports whether key would match one of names as encoding/json matches
// keys (case-insensitively): then a key that is not exactly one of them is not ours.
func foldKnown(key []byte, names []string) bool {
	for _, n := range names {
		if len(n) != len(key) {
			continue
		}
		same := true
		for i := range key {
			a, b := key[i], n[i]
			if a >= 'A' && a <= 'Z' {
				a += 'a' - 'A'
			}
			if b >= 'A' && b <= 'Z' {
				b += 'a' - 'A'
			}
			if a != b {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	// encoding/json also folds 'k' with the Kelvin sign and 's' with the long s, both
	// non-ASCII, which next has already refused.
	return false
}

// interned are values the API server writes in nearly every pod: shared, not copied.
var interned = func() map[string]string {
	m := map[string]string{}
	for _, s := range []string{"v1", "apps/v1", "batch/v1", "Pod", "Deployment", "ReplicaSet", "StatefulSet",
		"DaemonSet", "Job", "CronJob", "IfNotPresent", "Always", "Never", "TCP", "UDP", "File",
		"/dev/termination-log", "ClusterFirst", "default-scheduler", "default", "RuntimeDefault",
		"Localhost", "ALL", "NET_BIND_SERVICE", "OnFailure", "RollingUpdate", "Recreate", "25%",
		"metadata.name", "metadata.namespace", "status.podIP", "Exists", "Equal", "NoExecute",
		"NoSchedule", "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable", "Parallel",
		"OrderedReady", "Retain", "Delete", "CREATE", "UPDATE", "true", "false", "http", "https",
		"app", "app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/part-of",
		"app.kubernetes.io/component", "app.kubernetes.io/version", "app.kubernetes.io/managed-by",
		"pod-template-hash", "kube-api-access", "/var/run/secrets/kubernetes.io/serviceaccount",
		"kube-root-ca.crt", "ca.crt", "namespace", "token", "FallbackToLogsOnError", "Burstable",
		"BestEffort", "Guaranteed", "PreemptLowerPriority", "Pending", "pods", "deployments", "apps"} {
		m[s] = s
	}
	return m
}()

// intern returns b as a string, shared when it is a common value.
func intern(b []byte) string {
	if len(b) <= 48 {
		if s, ok := interned[string(b)]; ok { // no copy: the compiler looks up in place
			return s
		}
	}
	return string(b)
}

// count returns how many elements the array being read (just after its '[') has left,
// without reading them; 0 when it cannot tell (the decoding that follows then fails).
func (d *decoder) count() int {
	save := d.pos
	defer func() { d.pos = save }()
	n := 0
	for first := true; ; first = false {
		more, ok := d.arrayNext(first)
		if !ok || !more {
			return n
		}
		if _, ok := d.find(); !ok { // decoding the elements checks them
			return 0
		}
		n++
	}
}
