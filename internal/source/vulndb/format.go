package vulndb

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"slices"
	"strings"
)

// The files of one source in a generation directory (docs/vulndb.md, "Format"):
//
//	sN.dat  the source's advisories, each its compacted JSON followed by "\n"
//	sN.idx  the index: package (ecosystem, name) -> the records of its advisories
//
// sN.idx is, all integers little-endian:
//
//	header   magic "KHVDBIX1", nkeys u32, nposts u32, nrecs u32, nstr u32
//	keys     nkeys x (str offset u32, str length u32, first posting u32, postings u32),
//	         sorted by their strings (bytewise)
//	posts    nposts x record number u32
//	recs     nrecs x (offset in sN.dat u64, length u32, CRC-32C of the record u32)
//	strings  nstr bytes: each key "ecosystem\x00name"
//	trailer  CRC-32C of everything before it, u32
const (
	idxMagic   = "KHVDBIX1"
	headerSize = 8 + 4*4
	keySize    = 16
	postSize   = 4
	recSize    = 16
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// record is where one advisory is in a data file.
type record struct {
	off      uint64
	len, crc uint32
}

// writeIndex writes an index file of the keys (each with its sorted record numbers)
// and records.
func writeIndex(path string, posts map[string][]uint32, recs []record) error {
	keys := make([]string, 0, len(posts))
	nposts := 0
	nstr := 0
	for k, p := range posts {
		keys = append(keys, k)
		nposts += len(p)
		nstr += len(k)
	}
	slices.Sort(keys)
	if uint64(nposts) > 1<<32-1 || uint64(nstr) > 1<<32-1 || uint64(len(recs)) > 1<<32-1 {
		return fmt.Errorf("index %s: too many advisories for the format", path)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	h := crc32.New(castagnoli)
	w := bufio.NewWriterSize(f, 1<<16)
	out := func(b []byte) {
		w.Write(b)
		h.Write(b)
	}
	var b [recSize]byte
	out([]byte(idxMagic))
	for _, n := range []int{len(keys), nposts, len(recs), nstr} {
		binary.LittleEndian.PutUint32(b[:4], uint32(n))
		out(b[:4])
	}
	soff, poff := 0, 0
	for _, k := range keys {
		binary.LittleEndian.PutUint32(b[0:], uint32(soff))
		binary.LittleEndian.PutUint32(b[4:], uint32(len(k)))
		binary.LittleEndian.PutUint32(b[8:], uint32(poff))
		binary.LittleEndian.PutUint32(b[12:], uint32(len(posts[k])))
		out(b[:keySize])
		soff += len(k)
		poff += len(posts[k])
	}
	for _, k := range keys {
		for _, p := range posts[k] {
			binary.LittleEndian.PutUint32(b[:4], p)
			out(b[:4])
		}
	}
	for _, r := range recs {
		binary.LittleEndian.PutUint64(b[0:], r.off)
		binary.LittleEndian.PutUint32(b[8:], r.len)
		binary.LittleEndian.PutUint32(b[12:], r.crc)
		out(b[:recSize])
	}
	for _, k := range keys {
		out([]byte(k))
	}
	binary.LittleEndian.PutUint32(b[:4], h.Sum32())
	w.Write(b[:4])
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// index is a loaded index file: its bytes, read once, searched in place.
type index struct {
	b                                 []byte
	nkeys, nposts, nrecs              int
	keysAt, postsAt, recsAt, stringAt int
	// datSize bounds the records.
	datSize uint64
}

// parseIndex checks an index file's checksum and layout.
func parseIndex(b []byte, datSize int64) (*index, error) {
	if len(b) < headerSize+4 || string(b[:8]) != idxMagic {
		return nil, fmt.Errorf("not a kharden index (bad header)")
	}
	body := b[:len(b)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return nil, fmt.Errorf("checksum mismatch")
	}
	x := &index{b: body, datSize: uint64(datSize)}
	x.nkeys = int(binary.LittleEndian.Uint32(b[8:]))
	x.nposts = int(binary.LittleEndian.Uint32(b[12:]))
	x.nrecs = int(binary.LittleEndian.Uint32(b[16:]))
	nstr := int(binary.LittleEndian.Uint32(b[20:]))
	x.keysAt = headerSize
	x.postsAt = x.keysAt + x.nkeys*keySize
	x.recsAt = x.postsAt + x.nposts*postSize
	x.stringAt = x.recsAt + x.nrecs*recSize
	if x.stringAt+nstr != len(body) {
		return nil, fmt.Errorf("sizes do not add up")
	}
	return x, nil
}

func (x *index) u32(at int) uint32 { return binary.LittleEndian.Uint32(x.b[at:]) }

// keyAt is the string of key i, or false when its bounds are wrong.
func (x *index) keyAt(i int) (string, bool) {
	at := x.keysAt + i*keySize
	off, n := int(x.u32(at)), int(x.u32(at+4))
	if off < 0 || n < 0 || x.stringAt+off+n > len(x.b) {
		return "", false
	}
	return string(x.b[x.stringAt+off : x.stringAt+off+n]), true
}

// find returns the records of key k. An error is a corrupt index.
func (x *index) find(k string) ([]record, error) {
	lo, hi := 0, x.nkeys
	var bad bool
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		s, ok := x.keyAt(m)
		if !ok {
			bad = true
			break
		}
		if c := strings.Compare(s, k); c < 0 {
			lo = m + 1
		} else if c == 0 {
			lo, hi = m, m
			break
		} else {
			hi = m
		}
	}
	if bad {
		return nil, fmt.Errorf("key out of bounds")
	}
	if lo >= x.nkeys {
		return nil, nil
	}
	if s, _ := x.keyAt(lo); s != k {
		return nil, nil
	}
	at := x.keysAt + lo*keySize
	first, n := int(x.u32(at+8)), int(x.u32(at+12))
	if first < 0 || n < 0 || first+n > x.nposts {
		return nil, fmt.Errorf("postings out of bounds")
	}
	recs := make([]record, 0, n)
	for i := range n {
		r := int(x.u32(x.postsAt + (first+i)*postSize))
		if r < 0 || r >= x.nrecs {
			return nil, fmt.Errorf("record number out of bounds")
		}
		rec := x.record(r)
		if rec.off+uint64(rec.len) > x.datSize {
			return nil, fmt.Errorf("record beyond the end of the data file")
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// record is record number i (0 <= i < nrecs).
func (x *index) record(i int) record {
	at := x.recsAt + i*recSize
	return record{off: binary.LittleEndian.Uint64(x.b[at:]), len: x.u32(at + 8), crc: x.u32(at + 12)}
}
