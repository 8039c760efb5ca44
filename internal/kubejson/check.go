package kubejson

// checkDepth bounds the nesting check follows. encoding/json allows 10,000 levels in
// all; nothing the API server sends nests a hundredth of that, so deeper values are
// simply not taken (the caller's other way then reports encoding/json's verdict).
const checkDepth = 1000

// check moves past the next value (after whitespace) if it is valid JSON as
// encoding/json reads it (json.Valid), and reports whether it was.
func (d *decoder) check(depth int) bool {
	if d.pos >= len(d.data) {
		return false
	}
	switch c := d.data[d.pos]; {
	case c == '"':
		return d.checkString()
	case c == '{' || c == '[':
		if depth >= checkDepth {
			return false
		}
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		d.pos++
		if d.peek() == end {
			d.pos++
			return true
		}
		for {
			if c == '{' && (d.peek() != '"' || !d.checkString() || !d.consume(':')) {
				return false // an object's key
			}
			d.ws()
			if !d.check(depth + 1) {
				return false
			}
			switch d.peek() {
			case ',':
				d.pos++
			case end:
				d.pos++
				return true
			default:
				return false
			}
		}
	case c == '-' || c >= '0' && c <= '9':
		return d.checkNumber()
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	}
	return false
}

func (d *decoder) literal(lit string) bool {
	if len(d.data)-d.pos < len(lit) || string(d.data[d.pos:d.pos+len(lit)]) != lit {
		return false
	}
	d.pos += len(lit)
	return true
}

// checkString moves past a string: any bytes but control characters (invalid UTF-8
// too, which encoding/json replaces when it decodes), and only JSON's escapes.
func (d *decoder) checkString() bool {
	data := d.data
	i := d.pos + 1
	for i < len(data) {
		for i < len(data) && plain[data[i]] {
			i++
		}
		if i >= len(data) {
			return false
		}
		switch c := data[i]; {
		case c == '"':
			d.pos = i + 1
			return true
		case c == '\\':
			if i+1 >= len(data) {
				return false
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(data)-i < 6 {
					return false
				}
				for _, h := range data[i+2 : i+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return false
					}
				}
				i += 6
			default:
				return false
			}
		case c < 0x20:
			return false
		default:
			i++
		}
	}
	return false
}

// checkNumber moves past a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *decoder) checkNumber() bool {
	data, i := d.data, d.pos
	digits := func() int {
		start := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		return i - start
	}
	if data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(data) && data[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	d.pos = i
	return true
}

// plain marks the bytes a string holds as they are, ASCII or not: not a quote, a
// backslash or a control character.
var plain = func() (t [256]bool) {
	for i := range t {
		t[i] = i >= 0x20 && i != '"' && i != '\\'
	}
	return t
}()
