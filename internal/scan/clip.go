package scan

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kharden/kharden/internal/report"
)

// Limits of a problem's message. A message quotes what it is about (a value, a key, a
// Dockerfile line), and what it quotes comes from the input: a megabyte scalar would
// be a megabyte line, and a file that should never have been read would be shown. A
// message keeps a short excerpt of each long word and of the whole.
const (
	maxWord    = 200 // bytes of one run without spaces (an image reference with a digest fits)
	keepWord   = 160
	maxMessage = 1000
	keepMsg    = 800
)

// clipProblems shortens the messages of a part's errors and notes.
func clipProblems(part *report.Report) {
	for i := range part.Errors {
		part.Errors[i].Message = clip(part.Errors[i].Message)
	}
	for i := range part.Notes {
		part.Notes[i].Message = clip(part.Notes[i].Message)
	}
}

// clip escapes the control characters and invalid bytes of msg (a message is one line
// of text) and cuts each word longer than maxWord bytes, and the whole message beyond
// maxMessage, saying how many bytes were left out.
func clip(msg string) string {
	if len(msg) <= maxWord && clean(msg) {
		return msg
	}
	var b strings.Builder
	for i := 0; i < len(msg); {
		j := i
		for j < len(msg) && msg[j] != ' ' {
			j++
		}
		word := msg[i:j]
		if len(word) > maxWord {
			// The punctuation that ends a quoted word ("'x':") stays, so that the
			// message still reads.
			end := strings.TrimRight(word[len(word)-2:], `:,;.'")]`)
			tail := word[len(word)-2+len(end):]
			cut := cutAt(word, keepWord)
			word = escape(word[:cut]) + fmt.Sprintf("... (%d bytes left out)", len(word)-cut-len(tail)) + tail
		} else {
			word = escape(word)
		}
		b.WriteString(word)
		if j < len(msg) {
			b.WriteByte(' ')
		}
		i = j + 1
		if b.Len() > maxMessage {
			out := b.String()
			cut := cutAt(out, keepMsg)
			return out[:cut] + fmt.Sprintf("... (%d bytes left out)", len(out)-cut+max(len(msg)-i, 0))
		}
	}
	return b.String()
}

// clean tells whether s is valid UTF-8 without control characters.
func clean(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// escape writes control characters and invalid bytes as Go escapes.
func escape(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			_, n := utf8.DecodeRuneInString(s[i:])
			if n == 1 {
				fmt.Fprintf(&b, `\x%02x`, s[i])
				continue
			}
			b.WriteRune(r)
		case unicode.IsControl(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cutAt is the largest index at most n that does not split a UTF-8 sequence.
func cutAt(s string, n int) int {
	if n >= len(s) {
		return len(s)
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}
