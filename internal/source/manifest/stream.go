package manifest

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"unicode/utf8"
)

// WholeFileSize is the size up to which a file is read whole and loaded at once (Load);
// a larger multi-document YAML file is read with Stream, so that memory is bounded by
// its largest document rather than by the file.
const WholeFileSize = 1 << 20

// BatchSize is about how many bytes of documents Stream hands on at once: enough that a
// batch is worth a worker's while, few enough that the batches in flight stay small.
const BatchSize = 64 << 10

// Batch is consecutive documents of a stream, cut as Load cuts a file, with their lines
// in the file.
type Batch struct {
	chunks []chunk
	// Size is the bytes of the documents.
	Size int
}

// Streamable tells whether an input whose first bytes are head can be read with Stream:
// YAML text in UTF-8. UTF-16 needs the whole file transcoded, a file that starts as JSON
// (or a seccomp profile) is one document, which Stream would not split, and one that
// starts as binary data is refused whole; Load reads those (up to MaxFileSize).
func Streamable(head []byte) bool {
	if isUTF16(head) || bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	// The last character may be cut short by the end of head.
	if cut := bytes.LastIndexFunc(head, func(r rune) bool { return r < utf8.RuneSelf }); cut >= 0 && !utf8.Valid(head[:cut]) {
		return false
	}
	head = bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\ufeff")), " \t\r\n")
	return len(head) > 0 && head[0] != '{' && head[0] != '['
}

// Stream reads a multi-document YAML stream from r and hands its documents to f in
// order, in batches of about BatchSize bytes, each document whole: memory is bounded by
// the largest document (at most MaxFileSize; the rest of a larger one is dropped with
// an error at its first line), not by the stream. Unlike Load there is no limit to the
// documents or to the stream's size. It stops at the first error of f or of reading.
func Stream(r io.Reader, f func(*Batch) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	sp := splitter{cur: chunk{line: 1}, limit: MaxFileSize}
	b := &Batch{}
	var ferr error
	take := func(c chunk) {
		if ferr != nil {
			return
		}
		b.chunks = append(b.chunks, c)
		b.Size += len(c.data)
		if b.Size >= BatchSize {
			ferr = f(b)
			b = &Batch{}
		}
	}
	var long []byte // a line longer than the reader's buffer
	first := true
	for ferr == nil {
		l, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(long) <= MaxFileSize {
				long = append(long, l...)
			}
			continue
		}
		if long != nil {
			l, long = append(long, l...), nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if len(l) > 0 {
			if first {
				l, first = bytes.TrimPrefix(l, []byte("\ufeff")), false
			}
			nl := l[len(l)-1] == '\n'
			if nl {
				l = l[:len(l)-1]
			}
			sp.line(l, nl, take)
		}
		if err != nil {
			break
		}
	}
	if ferr != nil {
		return ferr
	}
	sp.end(take)
	if ferr == nil && len(b.chunks) > 0 {
		ferr = f(b)
	}
	return ferr
}

// LoadBatch loads the documents of a batch as Load loads a file's, positioned in file.
// Text that is not UTF-8, or holds a NUL byte, is an error at its document, which is not
// read (Load refuses the whole file; a stream's earlier documents are already checked).
func LoadBatch(file string, b *Batch) *Result {
	res := &Result{}
	b.Each(file, func(r *Result) {
		res.Docs = append(res.Docs, r.Docs...)
		res.Errors = append(res.Errors, r.Errors...)
		res.Notes = append(res.Notes, r.Notes...)
	})
	return res
}

// Each loads the documents of a batch one at a time, as LoadBatch does, and hands each
// one's result to f: a caller that checks a document and lets it go holds one at a time.
func (b *Batch) Each(file string, f func(*Result)) {
	for _, c := range b.chunks {
		res := &Result{}
		if c.err != "" {
			res.Errors = append(res.Errors, &Error{File: file, Line: c.line, Msg: c.err})
		}
		switch {
		case bytes.IndexByte(c.data, 0) >= 0 || !utf8.Valid(c.data):
			res.Errors = append(res.Errors, &Error{File: file, Line: c.line, Msg: "binary data: not YAML or JSON text; the document is not read"})
		case !blank(c.data):
			res.chunk(file, c)
		}
		f(res)
	}
}

// Mentions tells whether some document of the batch may be a kind: its text holds the
// kind's name, or an escape that could spell it. It is a cheap look before loading a
// batch only for the objects of one kind (a stream's ServiceAccounts, which the rules of
// every other batch read).
func (b *Batch) Mentions(kind string) *Batch {
	var out *Batch
	for _, c := range b.chunks {
		if bytes.Contains(c.data, []byte(kind)) || bytes.IndexByte(c.data, '\\') >= 0 {
			if out == nil {
				out = &Batch{}
			}
			out.chunks = append(out.chunks, c)
			out.Size += len(c.data)
		}
	}
	return out
}
