package engine

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/rules/k8s"
)

// Pending is what a scan keeps of its inputs until the last one is read, to settle the
// results that wait for another input (docs/design/cross-object.md): the ServiceAccounts
// of every input, merged into one index as they come, and the held results as compact
// records. A held result's Settle is called once per k8s.SettleCases when it is added, so
// a record is data (its final message in each case) and keeps no function, input or
// string of the input alive. Records, and the runs of records of one file that say where
// they are, go to buffers that move to temporary files once past defaultSpillAt bytes, so
// the memory a scan keeps for them does not grow with their number; the runs are read
// back, and sorted by file, only at Settle.
//
// A Pending is not safe for concurrent use. Close releases its temporary files.
type Pending struct {
	sas    *k8s.ServiceAccounts
	metas  []*rule.Meta
	metaIx map[*rule.Meta]uint64
	n      int
	// suppressed tells that a held result was suppressed: the results are then settled
	// into one part (see Settle).
	suppressed bool

	// recs are the records; runs the runs of records of one file but the last, cur,
	// encoded (see appendRun), since a scan may hold one per file it read.
	recs, runs spillBuf
	cur        pendingRun
	hasCur     bool
}

// pendingRun is a run of records of one file, as they were added.
type pendingRun struct {
	file string
	off  int64 // where its first record starts, counting spilled bytes first
	size int64
	n    int32
	// list says whether the records are results or suppressed results.
	list pendingList
	// first and last are the positions of its first and last records; ordered says
	// that its records are in the order of their positions (false too when a position
	// does not fit).
	ordered     bool
	first, last pendingPos
}

// pendingPos is a line and column, kept small: a scan may hold a run per file.
type pendingPos [2]int32

func posOf(l *rule.Location) (pendingPos, bool) {
	if l.Line < 0 || l.Line > math.MaxInt32 || l.Column < 0 || l.Column > math.MaxInt32 {
		return pendingPos{}, false
	}
	return pendingPos{int32(l.Line), int32(l.Column)}, true
}

type pendingList uint8

const (
	pendingResults pendingList = iota
	pendingSuppressed
)

// defaultSpillAt is the size of the records a Pending holds in memory before it moves
// them to a temporary file.
const defaultSpillAt = 256 << 10

// NewPending returns an empty Pending.
func NewPending() *Pending {
	return &Pending{sas: k8s.NewServiceAccounts(nil, false), metaIx: map[*rule.Meta]uint64{},
		recs: spillBuf{at: defaultSpillAt}, runs: spillBuf{at: defaultSpillAt}}
}

// Len is the number of results held.
func (p *Pending) Len() int { return p.n }

// Add takes what one input left to settle: its ServiceAccounts join the index, its held
// results are recorded. a is not kept.
func (p *Pending) Add(a *Awaiting) {
	if a == nil {
		return
	}
	a.ServiceAccounts.Each(p.sas.Add)
	for i := range a.held {
		h := &a.held[i]
		var finals [len(k8s.SettleCases)][]rule.Finding
		for c, sc := range k8s.SettleCases {
			finals[c] = callSettle(h.settle, sc.SA, sc.Found)
		}
		for j := range h.results {
			p.record(&h.results[j], pendingResults, h.ref, &finals)
		}
		for j := range h.suppressed {
			p.suppressed = true
			p.record(&h.suppressed[j], pendingSuppressed, h.ref, &finals)
		}
	}
	p.recs.maybeSpill()
	p.runs.maybeSpill()
}

// callSettle calls a rule's Settle; a panic there settles to no finding, as a rule that
// found nothing.
func callSettle(settle k8s.Settle, sa k8s.ServiceAccountFacts, found bool) (fs []rule.Finding) {
	defer func() {
		if recover() != nil {
			fs = nil
		}
	}()
	return settle(sa, found)
}

// record appends one held result (its message cut to the suffix the engine added, see
// suffixes) and its final message in each case.
func (p *Pending) record(res *rule.Result, list pendingList, ref k8s.ServiceAccountRef, finals *[len(k8s.SettleCases)][]rule.Finding) {
	off := p.recs.size()
	pos, fits := posOf(&res.Location)
	if !p.hasCur || p.cur.file != res.Location.File || p.cur.list != list || p.cur.n == math.MaxInt32 {
		p.endRun()
		p.cur, p.hasCur = pendingRun{file: res.Location.File, off: off, list: list, ordered: true, first: pos}, true
	}
	mi, ok := p.metaIx[res.Meta]
	if !ok {
		mi = uint64(len(p.metas))
		p.metaIx[res.Meta] = mi
		p.metas = append(p.metas, res.Meta)
	}
	b := binary.AppendUvarint(p.recs.buf, mi)
	b = appendStr(appendStr(b, ref.Namespace), ref.Name)
	b = appendStr(b, string(res.Status))
	b = binary.AppendVarint(b, int64(res.Severity))
	b = appendStr(b, res.Message)
	l := &res.Location
	b = binary.AppendVarint(b, int64(l.Line))
	b = binary.AppendVarint(b, int64(l.Column))
	for _, s := range [...]string{l.FieldPath, l.Object.APIVersion, l.Object.Kind, l.Object.Namespace, l.Object.Name, l.ValuesKey, res.Suppressed, res.Control} {
		b = appendStr(b, s)
	}
	if res.Practices == nil {
		b = append(b, 0)
	} else {
		b = binary.AppendUvarint(b, uint64(len(res.Practices))+1)
		for _, s := range res.Practices {
			b = appendStr(b, s)
		}
	}
	var vuln []byte
	if res.Vulnerability != nil {
		vuln, _ = json.Marshal(res.Vulnerability) // plain data: cannot fail
	}
	b = appendStr(b, string(vuln))
	for c := range finals {
		i := slices.IndexFunc(finals[c], func(f rule.Finding) bool { return f.Path == l.FieldPath })
		if i < 0 {
			b = append(b, 0)
			continue
		}
		b = appendStr(append(b, 1), finals[c][i].Message)
	}
	p.recs.buf = b
	r := &p.cur
	r.size = p.recs.size() - r.off
	if !fits || r.n > 0 && comparePos(pos, r.last) < 0 {
		r.ordered = false
	}
	r.last = pos
	r.n++
	p.n++
}

func appendStr(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// endRun encodes the current run, if any, into p.runs.
func (p *Pending) endRun() {
	if !p.hasCur {
		return
	}
	r := &p.cur
	b := appendStr(p.runs.buf, r.file)
	for _, v := range [...]uint64{uint64(r.off), uint64(r.size), uint64(r.n), uint64(r.list)} {
		b = binary.AppendUvarint(b, v)
	}
	ordered := byte(0)
	if r.ordered {
		ordered = 1
	}
	b = append(b, ordered)
	for _, v := range [...]int32{r.first[0], r.first[1], r.last[0], r.last[1]} {
		b = binary.AppendVarint(b, int64(v))
	}
	p.runs.buf = b
	p.hasCur = false
}

// allRuns reads the runs back.
func (p *Pending) allRuns() ([]pendingRun, error) {
	p.endRun()
	d := pendingDecoder{}
	d.r = bufio.NewReaderSize(p.runs.reader(0, p.runs.size()), 32<<10)
	d.left = p.runs.size()
	var runs []pendingRun
	for d.left > 0 && d.err == nil {
		var r pendingRun
		r.file = d.str()
		r.off, r.size, r.n = int64(d.uvarint()), int64(d.uvarint()), int32(d.uvarint())
		r.list, r.ordered = pendingList(d.uvarint()), d.byte() == 1
		for _, v := range [...]*int32{&r.first[0], &r.first[1], &r.last[0], &r.last[1]} {
			*v = int32(d.varint())
		}
		runs = append(runs, r)
	}
	return runs, d.err
}

// spillBuf is bytes appended to a buffer that moves to a temporary file past at bytes.
// When no file can be made or written, the bytes stay in memory: the results are the
// same.
type spillBuf struct {
	buf     []byte   // the bytes after the first spilled ones
	f       *os.File // nil until the first spill, or when none could be made
	spilled int64    // bytes written to f: buf starts at this offset
	noSpill bool     // a temporary file could not be made or written: buf holds the rest
	at      int
}

// size is the number of bytes appended so far.
func (s *spillBuf) size() int64 { return s.spilled + int64(len(s.buf)) }

// maybeSpill moves the buffer to the temporary file when it has grown past s.at,
// making the file first.
func (s *spillBuf) maybeSpill() {
	if s.noSpill || len(s.buf) < s.at {
		return
	}
	if s.f == nil {
		f, err := os.CreateTemp("", "kharden-settle-*")
		if err != nil {
			s.noSpill = true
			return
		}
		// Unlinked at once where the system allows it, so that nothing is left behind
		// whatever way the process ends; else at close.
		os.Remove(f.Name())
		s.f = f
	}
	if _, err := s.f.WriteAt(s.buf, s.spilled); err != nil {
		s.noSpill = true // what was written is still read from the file; the rest stays here
		return
	}
	s.spilled += int64(len(s.buf))
	if cap(s.buf) > 2*s.at {
		s.buf = nil
	} else {
		s.buf = s.buf[:0]
	}
}

// reader reads size bytes from off: from the temporary file, then the buffer.
func (s *spillBuf) reader(off, size int64) io.Reader {
	if off >= s.spilled {
		return bytes.NewReader(s.buf[off-s.spilled : off-s.spilled+size])
	}
	n := min(size, s.spilled-off)
	return io.MultiReader(io.NewSectionReader(s.f, off, n), bytes.NewReader(s.buf[:size-n]))
}

func (s *spillBuf) close() error {
	if s.f == nil {
		return nil
	}
	name := s.f.Name()
	err := s.f.Close()
	os.Remove(name) // already gone where the system let it be removed while open
	s.f = nil
	return err
}

// Close releases the temporary files, if any were made.
func (p *Pending) Close() error {
	return errors.Join(p.recs.close(), p.runs.close())
}

// pendingPartSize is the number of results past which Settle hands a file's results
// over in pieces, when it can (see Settle).
const pendingPartSize = 1024

func comparePos(a, b pendingPos) int {
	if a[0] != b[0] {
		return cmp.Compare(a[0], b[0])
	}
	return cmp.Compare(a[1], b[1])
}

// Settle settles the held results against the ServiceAccounts of every input added, and
// hands them to emit as parts in file order, one per file: together, the parts render as
// the one part of all of them would (every format groups a part's results by file, in
// file order). A file with many results whose records are in the order of their
// positions (those of a large file read as a stream are) is handed over in pieces of
// about pendingPartSize results, marked report.Report.Continued, cut only between two
// positions. When some held result is suppressed, it hands one part of them all
// instead, since the SARIF and HTML reports list a part's results before its suppressed
// ones. A result whose ServiceAccount opts out is dropped; the others get their final
// message. An error reading the temporary file is returned as is.
func (p *Pending) Settle(emit func(*report.Report) error) error {
	runs, err := p.allRuns()
	if err != nil {
		return err
	}
	slices.SortStableFunc(runs, func(a, b pendingRun) int { return strings.Compare(a.file, b.file) })
	part := &report.Report{}
	pieces := false // part continues pieces of its file already emitted
	flush := func(continued bool) error {
		if len(part.Results)+len(part.Suppressed) == 0 && !pieces {
			return nil
		}
		part.Continued = continued
		pieces = continued
		err := emit(part)
		part = &report.Report{}
		return err
	}
	d := pendingDecoder{p: p, strs: map[string]string{}}
	for i := 0; i < len(runs); {
		// The runs of one file: j is the first of the next file.
		j, ordered := i, true
		for ; j < len(runs) && runs[j].file == runs[i].file; j++ {
			ordered = ordered && runs[j].ordered && (j == i || comparePos(runs[j-1].last, runs[j].first) <= 0)
		}
		cut := ordered && !p.suppressed
		var last pendingPos
		for k := i; k < j; k++ {
			r := &runs[k]
			err := d.decode(p.recs.reader(r.off, r.size), r, func(res *rule.Result) error {
				pos, _ := posOf(&res.Location) // in a file that is cut, every position fits
				if cut && len(part.Results) >= pendingPartSize && pos != last {
					if err := flush(true); err != nil {
						return err
					}
				}
				last = pos
				if r.list == pendingSuppressed {
					part.Suppressed = append(part.Suppressed, *res)
				} else {
					part.Results = append(part.Results, *res)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		i = j
		if !p.suppressed || i == len(runs) {
			if err := flush(false); err != nil {
				return err
			}
		}
	}
	return nil
}

// pendingDecoder reads records back, a few kilobytes at a time, sharing the strings that
// repeat (kinds, API versions, namespaces) within a Settle.
type pendingDecoder struct {
	p    *Pending
	strs map[string]string
	r    *bufio.Reader
	b    []byte // the last string read
	left int64  // bytes of the run not read yet
	err  error  // the first error reading the run, or a record that does not parse
}

var errPendingRecord = errors.New("reading the results waiting to be settled: a record does not parse")

// decode hands a run's settled results to f, in order.
func (d *pendingDecoder) decode(src io.Reader, r *pendingRun, f func(*rule.Result) error) error {
	if d.r == nil {
		d.r = bufio.NewReaderSize(src, 32<<10)
	} else {
		d.r.Reset(src)
	}
	d.left, d.err = r.size, nil
	for range r.n {
		var res rule.Result
		mi := d.uvarint()
		if mi < uint64(len(d.p.metas)) {
			res.Meta = d.p.metas[mi]
		}
		ref := k8s.ServiceAccountRef{Namespace: d.shared(), Name: d.shared()}
		res.Status = rule.Status(d.shared())
		res.Severity = rule.Severity(d.varint())
		suffix := d.str()
		res.Location.File = r.file
		res.Location.Line = int(d.varint())
		res.Location.Column = int(d.varint())
		res.Location.FieldPath = d.str()
		res.Location.Object.APIVersion = d.shared()
		res.Location.Object.Kind = d.shared()
		res.Location.Object.Namespace = d.shared()
		res.Location.Object.Name = d.str()
		res.Location.ValuesKey = d.str()
		res.Suppressed = d.str()
		res.Control = d.shared()
		if n := d.uvarint(); n > 0 && d.err == nil {
			if n-1 > uint64(d.left) {
				return errPendingRecord
			}
			res.Practices = make([]string, n-1)
			for i := range res.Practices {
				res.Practices[i] = d.shared()
			}
		}
		if v := d.bytes(); len(v) > 0 {
			res.Vulnerability = &rule.Vulnerability{}
			if json.Unmarshal(v, res.Vulnerability) != nil && d.err == nil {
				d.err = errPendingRecord
			}
		}
		// The record holds the outcome of every case: keep that of its ServiceAccount.
		var msgs [len(k8s.SettleCases)]string
		var has [len(k8s.SettleCases)]bool
		for c := range msgs {
			if d.byte() == 1 {
				has[c], msgs[c] = true, d.str()
			}
		}
		if d.err != nil {
			return d.err
		}
		c := k8s.SettleCase(d.p.sas.Lookup(ref))
		if !has[c] {
			continue
		}
		res.Message = msgs[c] + suffix
		if err := f(&res); err != nil {
			return err
		}
	}
	return nil
}

// fail records the first error of a run; io.EOF, inside a run, is a record cut short.
func (d *pendingDecoder) fail(err error) {
	if d.err == nil {
		if err == io.EOF {
			err = errPendingRecord
		}
		d.err = err
	}
}

func (d *pendingDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(d)
	if err != nil {
		d.fail(err)
	}
	return v
}

func (d *pendingDecoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, err := binary.ReadVarint(d)
	if err != nil {
		d.fail(err)
	}
	return v
}

// ReadByte reads one byte of the run, for binary.ReadUvarint.
func (d *pendingDecoder) ReadByte() (byte, error) {
	if d.left <= 0 {
		return 0, io.EOF
	}
	c, err := d.r.ReadByte()
	if err == nil {
		d.left--
	}
	return c, err
}

func (d *pendingDecoder) byte() byte {
	if d.err != nil {
		return 0
	}
	c, err := d.ReadByte()
	if err != nil {
		d.fail(err)
	}
	return c
}

// bytes returns the next string's bytes, valid until the next is read.
func (d *pendingDecoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(d.left) {
		d.fail(errPendingRecord)
		return nil
	}
	d.b = slices.Grow(d.b[:0], int(n))[:n]
	if _, err := io.ReadFull(d.r, d.b); err != nil {
		d.fail(err)
		return nil
	}
	d.left -= int64(n)
	if cap(d.b) > 1<<20 {
		b := d.b
		d.b = nil
		return b
	}
	return d.b
}

func (d *pendingDecoder) str() string { return string(d.bytes()) }

// shared returns the next string, the same string as an equal one read before.
func (d *pendingDecoder) shared() string {
	b := d.bytes()
	if s, ok := d.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.strs) < 1<<12 {
		d.strs[s] = s
	}
	return s
}
