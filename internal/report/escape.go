package report

import (
	"strconv"
	"unicode/utf8"
)

// Escape returns s as appendEscaped writes it, for text printed outside a report (the
// CLI's error lines, the CIS benchmark listing).
func Escape(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return string(appendEscaped(nil, s))
		}
	}
	return s
}

// appendEscaped appends s for a terminal. File names, object names, namespaces, field
// paths and messages come from the scanned input, which may be hostile: an escape
// sequence could clear the screen or recolour a line, a newline or carriage return could
// forge a line of the report, and a bidi override (U+202A-U+202E, U+2066-U+2069) could
// make text read in another order than it is. So every character that is not printable
// (C0 and C1 controls, DEL, Unicode format characters, line and paragraph separators)
// is written as a Go escape, \x1b, \n, \u202e, and invalid UTF-8 bytes as \xff, much as
// strconv.Quote writes them. Printable Unicode and backslashes are kept as they are:
// the output is for reading, not for decoding back.
func appendEscaped(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		// Printable ASCII, the bulk of every report, is skipped eight bytes at a time.
		for ; i+8 <= len(s); i += 8 {
			if x := load64(s[i:]); (x|(x+ones))&highs != 0 || (x-0x20*ones)&^x&highs != 0 {
				// A byte >= 0x7f has its high bit set, or gets it by adding 1 (no
				// carry crosses a byte whose high bit is clear); a byte < 0x20 is
				// found by the classic "has less" test.
				break
			}
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		r, size := rune(c), 1
		if c >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
			if (r != utf8.RuneError || size != 1) && strconv.IsPrint(r) {
				i += size
				continue
			}
		}
		b = append(b, s[start:i]...)
		if r == utf8.RuneError && size == 1 {
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xF])
		} else {
			b = appendEscapedRune(b, r)
		}
		i += size
		start = i
	}
	return append(b, s[start:]...)
}

const ones, highs = 0x0101010101010101, 0x8080808080808080

// load64 reads the first 8 bytes of s, little-endian, in one load.
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// appendEscapedRune appends r, a character that is not printable, as a Go escape.
func appendEscapedRune(b []byte, r rune) []byte {
	switch {
	case r == '\n':
		return append(b, '\\', 'n')
	case r == '\r':
		return append(b, '\\', 'r')
	case r == '\t':
		return append(b, '\\', 't')
	case r < utf8.RuneSelf:
		return append(b, '\\', 'x', hexDigits[r>>4], hexDigits[r&0xF])
	case r <= 0xFFFF:
		return append(b, '\\', 'u', hexDigits[r>>12&0xF], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
	}
	b = append(b, '\\', 'U')
	for shift := 28; shift >= 0; shift -= 4 {
		b = append(b, hexDigits[r>>shift&0xF])
	}
	return b
}
