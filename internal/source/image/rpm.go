package image

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/package-url/packageurl-go"
)

// The rpm database holds one header blob per installed package, in one of three
// formats, all read here in pure Go from the file's content in memory:
//   - SQLite (rpm 4.16 and later, RHEL 9, Fedora 33+): rpmdb.sqlite, table Packages
//     (hnum INTEGER PRIMARY KEY, blob BLOB);
//   - Berkeley DB hash (RHEL 7 and 8, CentOS, Amazon Linux 2): Packages, the key a
//     header number, the value the blob;
//   - NDB (SUSE): Packages.db, slots pointing at blobs.
// The blob is an rpm header without its lead: the index count, the data length, the
// index entries (tag, type, offset, count) and the data store.

// Limits of the rpm parsers.
const (
	maxRpmPackages    = 200_000
	maxRpmHeaderIndex = 0xffff // rpm's own limit on index entries
	maxRpmHeaderData  = 256 << 20
	maxSQLiteDepth    = 64
)

// rpmBlob is one header blob and where it is in the database.
type rpmBlob struct {
	num  uint32 // the header number (SQLite hnum, BDB key, NDB package index)
	at   int64  // byte offset of the blob, or of the record that holds it
	blob []byte
}

// parseRpmDB reads the packages of an rpmdb in any of its three formats.
func parseRpmDB(b []byte) ([]Package, []lineError) {
	var blobs []rpmBlob
	var err error
	switch {
	case bytes.HasPrefix(b, []byte("SQLite format 3\x00")):
		blobs, err = sqliteRpmBlobs(b)
	case bytes.HasPrefix(b, []byte("RpmP")):
		blobs, err = ndbBlobs(b)
	case len(b) >= 16 && (binary.LittleEndian.Uint32(b[12:]) == bdbHashMagic || binary.BigEndian.Uint32(b[12:]) == bdbHashMagic):
		blobs, err = bdbBlobs(b)
	default:
		return nil, []lineError{{0, "not an rpm database: neither SQLite, Berkeley DB hash nor NDB"}}
	}
	var errs []lineError
	if err != nil {
		errs = append(errs, lineError{0, err.Error()})
	}
	var out []Package
	for _, bl := range blobs {
		p, err := parseRpmHeader(bl.blob)
		if err != nil {
			errs = append(errs, lineError{0, fmt.Sprintf("header %d at byte %d: %v", bl.num, bl.at, err)})
			continue
		}
		if p.Name == "gpg-pubkey" && p.Arch == "" {
			continue // an imported signing key, not software
		}
		out = append(out, p)
	}
	return out, errs
}

// Header tags and types (rpmtag.h).
const (
	rpmTagName      = 1000
	rpmTagVersion   = 1001
	rpmTagRelease   = 1002
	rpmTagEpoch     = 1003
	rpmTagLicense   = 1014
	rpmTagArch      = 1022
	rpmTagSourceRPM = 1044

	rpmTypeInt32       = 4
	rpmTypeString      = 6
	rpmTypeStringArray = 8
	rpmTypeI18NString  = 9
)

// parseRpmHeader reads the package of one header blob.
func parseRpmHeader(b []byte) (Package, error) {
	if len(b) < 8 {
		return Package{}, fmt.Errorf("%d bytes, too short for a header", len(b))
	}
	il, dl := binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:])
	if il == 0 || il > maxRpmHeaderIndex {
		return Package{}, fmt.Errorf("%d index entries (want 1 to %d)", il, maxRpmHeaderIndex)
	}
	if dl > maxRpmHeaderData {
		return Package{}, fmt.Errorf("a data store of %d bytes, more than %d", dl, maxRpmHeaderData)
	}
	if need := 8 + 16*int64(il) + int64(dl); need > int64(len(b)) {
		return Package{}, fmt.Errorf("%d index entries and %d bytes of data need %d bytes, the blob has %d", il, dl, need, len(b))
	}
	index := b[8 : 8+16*int(il)]
	data := b[8+16*int(il) : 8+16*int(il)+int(dl)]
	var p Package
	var epoch, source string
	for i := 0; i < int(il); i++ {
		e := index[16*i:]
		tag, typ := binary.BigEndian.Uint32(e), binary.BigEndian.Uint32(e[4:])
		off, count := binary.BigEndian.Uint32(e[8:]), binary.BigEndian.Uint32(e[12:])
		var dst *string
		switch tag {
		case rpmTagName:
			dst = &p.Name
		case rpmTagVersion:
			dst = &p.Version
		case rpmTagRelease:
			dst = &p.SourceVersion // the release, for now
		case rpmTagLicense:
			dst = &p.License
		case rpmTagArch:
			dst = &p.Arch
		case rpmTagSourceRPM:
			dst = &source
		case rpmTagEpoch:
			if typ != rpmTypeInt32 || count < 1 || int64(off)+4 > int64(len(data)) {
				return Package{}, fmt.Errorf("tag %d (epoch): type %d, count %d at offset %d of %d bytes", tag, typ, count, off, len(data))
			}
			epoch = strconv.FormatUint(uint64(binary.BigEndian.Uint32(data[off:])), 10)
			continue
		default:
			continue
		}
		if typ != rpmTypeString && typ != rpmTypeI18NString && typ != rpmTypeStringArray {
			return Package{}, fmt.Errorf("tag %d: type %d, not a string", tag, typ)
		}
		if int64(off) >= int64(len(data)) {
			return Package{}, fmt.Errorf("tag %d: offset %d outside the data store of %d bytes", tag, off, len(data))
		}
		s := data[off:]
		end := bytes.IndexByte(s, 0)
		if end < 0 {
			return Package{}, fmt.Errorf("tag %d: the string at offset %d has no end", tag, off)
		}
		*dst = string(s[:end])
	}
	release := p.SourceVersion
	p.SourceVersion = ""
	switch {
	case p.Name == "":
		return Package{}, fmt.Errorf("no name (tag %d)", rpmTagName)
	case p.Version == "":
		return Package{}, fmt.Errorf("package %q has no version (tag %d)", clip(p.Name), rpmTagVersion)
	}
	p.Type = packageurl.TypeRPM
	if release != "" {
		p.Version += "-" + release
	}
	if epoch != "" && epoch != "0" {
		p.Version = epoch + ":" + p.Version
	}
	if name, version, ok := SplitSourceRPM(source); ok {
		p.Source = name
		if vr := StripEpoch(p.Version); version != vr {
			p.SourceVersion = version
		}
	}
	return p, nil
}

// SplitSourceRPM (used by the SBOM reader too) splits NAME-VERSION-RELEASE.src.rpm into the name and
// VERSION-RELEASE.
func SplitSourceRPM(s string) (name, version string, ok bool) {
	nvr, found := strings.CutSuffix(s, ".src.rpm")
	if !found {
		if nvr, found = strings.CutSuffix(s, ".nosrc.rpm"); !found {
			return "", "", false
		}
	}
	r := strings.LastIndexByte(nvr, '-')
	if r <= 0 {
		return "", "", false
	}
	v := strings.LastIndexByte(nvr[:r], '-')
	if v <= 0 {
		return "", "", false
	}
	return nvr[:v], nvr[v+1:], true
}

// StripEpoch drops "EPOCH:" from an rpm version.
func StripEpoch(v string) string {
	if i := strings.IndexByte(v, ':'); i >= 0 {
		return v[i+1:]
	}
	return v
}

// rpmPURL is pkg:rpm/VENDOR/NAME@VERSION-RELEASE?arch=..&distro=..&epoch=..&upstream=SRPM,
// the vendor being the OS release's ID.
func rpmPURL(p Package, osr *OSRelease) string {
	vendor, distro := "", ""
	if osr != nil && osr.ID != "" {
		vendor = strings.ToLower(osr.ID)
		if osr.VersionID != "" {
			distro = vendor + "-" + osr.VersionID
		}
	}
	version, epoch := StripEpoch(p.Version), ""
	if i := strings.IndexByte(p.Version, ':'); i >= 0 {
		epoch = p.Version[:i]
	}
	var q packageurl.Qualifiers
	add := func(k, v string) {
		if v != "" {
			q = append(q, packageurl.Qualifier{Key: k, Value: v})
		}
	}
	add("arch", p.Arch)
	add("distro", distro)
	add("epoch", epoch)
	if p.Source != "" {
		sv := p.SourceVersion
		if sv == "" {
			sv = version
		}
		add("upstream", p.Source+"-"+sv+".src.rpm")
	}
	return packageurl.NewPackageURL(p.Type, vendor, p.Name, version, q, "").ToString()
}

// SQLite: enough of the file format (sqlite.org/fileformat.html) to read one table's
// rows through its b-tree, overflow pages included.

// sqliteDB is an SQLite file in memory.
type sqliteDB struct {
	b      []byte
	page   int // page size
	usable int // page size less the reserved bytes
	pages  int
	// budget is what payloads may still take: a file whose rows, together, are
	// larger than twice the file shares pages between them (a loop).
	budget int64
}

// sqliteRpmBlobs reads the rows of the Packages table of an rpmdb.sqlite.
func sqliteRpmBlobs(b []byte) ([]rpmBlob, error) {
	if len(b) < 100 {
		return nil, fmt.Errorf("sqlite: %d bytes, shorter than the file header", len(b))
	}
	ps := int(binary.BigEndian.Uint16(b[16:]))
	if ps == 1 {
		ps = 65536
	}
	if ps < 512 || ps&(ps-1) != 0 {
		return nil, fmt.Errorf("sqlite: page size %d at byte 16 is not a power of two from 512 to 65536", ps)
	}
	db := &sqliteDB{b: b, page: ps, usable: ps - int(b[20]), pages: len(b) / ps, budget: rpmBudget(b)}
	if db.usable < 480 {
		return nil, fmt.Errorf("sqlite: %d reserved bytes at byte 20 leave too little of a page", b[20])
	}
	root := 0
	err := db.table(1, func(rowid int64, at int64, rec []byte) error {
		cols, err := sqliteRecord(rec)
		if err != nil {
			return fmt.Errorf("sqlite_schema row %d at byte %d: %w", rowid, at, err)
		}
		if len(cols) >= 4 && asText(cols[0]) == "table" && strings.EqualFold(asText(cols[1]), "Packages") {
			n, ok := cols[3].(int64)
			if !ok || n < 1 || n > int64(db.pages) {
				return fmt.Errorf("sqlite_schema row %d at byte %d: the Packages table's root page %v is not a page of the file", rowid, at, cols[3])
			}
			root = int(n)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if root == 0 {
		return nil, fmt.Errorf("sqlite: no Packages table: not an rpm database")
	}
	var out []rpmBlob
	var bad []string // rows that cannot be read: the others still are
	err = db.table(root, func(rowid int64, at int64, rec []byte) error {
		cols, err := sqliteRecord(rec)
		var blob []byte
		switch {
		case err != nil:
		case len(cols) < 2:
			err = fmt.Errorf("%d columns, want hnum and blob", len(cols))
		default:
			var ok bool
			if blob, ok = cols[1].([]byte); !ok {
				err = fmt.Errorf("the blob column is %T", cols[1])
			}
		}
		if err != nil {
			bad = append(bad, fmt.Sprintf("row %d of table Packages at byte %d: %v", rowid, at, err))
			return nil
		}
		if len(out) == maxRpmPackages {
			return fmt.Errorf("more than %d packages", maxRpmPackages)
		}
		out = append(out, rpmBlob{num: uint32(rowid), at: at, blob: blob})
		return nil
	})
	if err == nil && len(bad) > 0 {
		err = fmt.Errorf("sqlite: %s", strings.Join(bad, "; "))
	}
	return out, err
}

func asText(v any) string {
	s, _ := v.(string)
	return s
}

// pageAt returns page n (from 1) and the offset of its b-tree header.
func (db *sqliteDB) pageAt(n int) ([]byte, int, error) {
	if n < 1 || n > db.pages {
		return nil, 0, fmt.Errorf("sqlite: page %d is outside the file's %d pages", n, db.pages)
	}
	hdr := 0
	if n == 1 {
		hdr = 100
	}
	return db.b[(n-1)*db.page : n*db.page], hdr, nil
}

// table calls row for each row of the table b-tree rooted at page root, in rowid order.
func (db *sqliteDB) table(root int, row func(rowid, at int64, rec []byte) error) error {
	seen := map[int]bool{}
	var walk func(n, depth int) error
	walk = func(n, depth int) error {
		if depth > maxSQLiteDepth {
			return fmt.Errorf("sqlite: a b-tree deeper than %d pages", maxSQLiteDepth)
		}
		if seen[n] {
			return fmt.Errorf("sqlite: page %d is reached twice: a loop in the b-tree", n)
		}
		seen[n] = true
		pg, h, err := db.pageAt(n)
		if err != nil {
			return err
		}
		base := int64(n-1) * int64(db.page)
		typ := pg[h]
		ncells := int(binary.BigEndian.Uint16(pg[h+3:]))
		hsize := 8
		if typ == 0x05 {
			hsize = 12
		} else if typ != 0x0d {
			return fmt.Errorf("sqlite: page %d (byte %d) has type %#x, not a table b-tree page", n, base, typ)
		}
		if h+hsize+2*ncells > db.usable {
			return fmt.Errorf("sqlite: page %d (byte %d) claims %d cells, more than fit", n, base, ncells)
		}
		for i := 0; i < ncells; i++ {
			off := int(binary.BigEndian.Uint16(pg[h+hsize+2*i:]))
			if off < h+hsize || off >= db.usable {
				return fmt.Errorf("sqlite: cell %d of page %d at offset %d is outside the page", i, n, off)
			}
			cell := pg[off:db.usable]
			if typ == 0x05 {
				if len(cell) < 4 {
					return fmt.Errorf("sqlite: cell %d of page %d is cut short", i, n)
				}
				if err := walk(int(binary.BigEndian.Uint32(cell)), depth+1); err != nil {
					return err
				}
				continue
			}
			size, k := uvarint(cell)
			if k == 0 {
				return fmt.Errorf("sqlite: cell %d of page %d (byte %d): bad payload size", i, n, base+int64(off))
			}
			rowid, k2 := uvarint(cell[k:])
			if k2 == 0 {
				return fmt.Errorf("sqlite: cell %d of page %d (byte %d): bad rowid", i, n, base+int64(off))
			}
			payload, err := db.payload(cell[k+k2:], size)
			if err != nil {
				return fmt.Errorf("sqlite: row %d of page %d (byte %d): %w", int64(rowid), n, base+int64(off), err)
			}
			if err := row(int64(rowid), base+int64(off), payload); err != nil {
				return err
			}
		}
		if typ == 0x05 {
			return walk(int(binary.BigEndian.Uint32(pg[h+8:])), depth+1)
		}
		return nil
	}
	return walk(root, 0)
}

// payload gathers a table leaf cell's payload of size bytes: what the cell holds, then
// its overflow pages.
func (db *sqliteDB) payload(cell []byte, size uint64) ([]byte, error) {
	if size > uint64(len(db.b)) {
		return nil, fmt.Errorf("a payload of %d bytes, larger than the file", size)
	}
	if db.budget -= int64(size); db.budget < 0 {
		return nil, errRpmBudget
	}
	u := uint64(db.usable)
	maxLocal := u - 35
	if size <= maxLocal {
		if uint64(len(cell)) < size {
			return nil, fmt.Errorf("a payload of %d bytes runs past its page", size)
		}
		return cell[:size], nil
	}
	minLocal := (u-12)*32/255 - 23
	local := minLocal + (size-minLocal)%(u-4)
	if local > maxLocal {
		local = minLocal
	}
	if uint64(len(cell)) < local+4 {
		return nil, fmt.Errorf("a payload of %d bytes runs past its page", size)
	}
	out := make([]byte, 0, size)
	out = append(out, cell[:local]...)
	next := int(binary.BigEndian.Uint32(cell[local:]))
	for hops := 0; uint64(len(out)) < size; hops++ {
		if next == 0 || hops > db.pages {
			return nil, fmt.Errorf("the overflow chain ends after %d of %d bytes", len(out), size)
		}
		pg, _, err := db.pageAt(next)
		if err != nil {
			return nil, err
		}
		next = int(binary.BigEndian.Uint32(pg))
		take := min(size-uint64(len(out)), u-4)
		out = append(out, pg[4:4+take]...)
	}
	return out, nil
}

// rpmBudget is the most bytes of rows or blobs read from the database b: twice its
// size, since each byte of a sound database belongs to one row.
func rpmBudget(b []byte) int64 { return 2*int64(len(b)) + 1<<20 }

var errRpmBudget = fmt.Errorf("the rows add up to more than twice the file: pages are shared (a loop)")

// uvarint reads SQLite's big-endian varint of 1 to 9 bytes; 0 bytes read means bad.
func uvarint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < 9 && i < len(b); i++ {
		if i == 8 {
			return v<<8 | uint64(b[i]), 9
		}
		v = v<<7 | uint64(b[i]&0x7f)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

// sqliteRecord decodes a record into int64, float64 (as its bits), string, []byte or nil.
func sqliteRecord(rec []byte) ([]any, error) {
	hsize, k := uvarint(rec)
	if k == 0 || hsize > uint64(len(rec)) || hsize < uint64(k) {
		return nil, fmt.Errorf("a record header of %d bytes in a record of %d", hsize, len(rec))
	}
	var types []uint64
	for h := rec[k:hsize]; len(h) > 0; {
		t, n := uvarint(h)
		if n == 0 {
			return nil, fmt.Errorf("a bad serial type in the record header")
		}
		types = append(types, t)
		h = h[n:]
	}
	body := rec[hsize:]
	out := make([]any, 0, len(types))
	for _, t := range types {
		var n uint64
		switch {
		case t == 0 || t == 8 || t == 9:
			n = 0
		case t >= 1 && t <= 4:
			n = t
		case t == 5:
			n = 6
		case t == 6 || t == 7:
			n = 8
		case t >= 12:
			n = (t - 12) / 2
		default:
			return nil, fmt.Errorf("reserved serial type %d", t)
		}
		if n > uint64(len(body)) {
			return nil, fmt.Errorf("a column of %d bytes past the record's end", n)
		}
		v := body[:n]
		body = body[n:]
		switch {
		case t == 0:
			out = append(out, nil)
		case t == 8 || t == 9:
			out = append(out, int64(t-8))
		case t <= 6:
			x := int64(int8(v[0])) // sign from the first byte
			for _, c := range v[1:] {
				x = x<<8 | int64(c)
			}
			out = append(out, x)
		case t == 7:
			out = append(out, binary.BigEndian.Uint64(v))
		case t%2 == 0:
			out = append(out, v)
		default:
			out = append(out, string(v))
		}
	}
	return out, nil
}

// Berkeley DB hash: the metadata page gives the page size and the last page; every
// hash page holds key/value pairs, a value too large for its page being stored on a
// chain of overflow pages.

const (
	bdbHashMagic      = 0x061561
	bdbPageHeader     = 26
	bdbPageHashUnsort = 2
	bdbPageOverflow   = 7
	bdbPageHash       = 13
	bdbItemKeyData    = 1
	bdbItemOffPage    = 3
)

func bdbBlobs(b []byte) (out []rpmBlob, err error) {
	var bo binary.ByteOrder = binary.LittleEndian
	if binary.LittleEndian.Uint32(b[12:]) != bdbHashMagic {
		bo = binary.BigEndian
	}
	if len(b) < 72 {
		return nil, fmt.Errorf("bdb: %d bytes, shorter than the metadata page", len(b))
	}
	ps := int(bo.Uint32(b[20:]))
	if ps < 512 || ps > 65536 || ps&(ps-1) != 0 {
		return nil, fmt.Errorf("bdb: page size %d at byte 20 is not a power of two from 512 to 65536", ps)
	}
	if b[24] != 0 {
		return nil, fmt.Errorf("bdb: the database is encrypted")
	}
	pages := len(b) / ps
	if last := int64(bo.Uint32(b[32:])) + 1; last < int64(pages) {
		pages = int(last)
	}
	var bad []string
	budget := rpmBudget(b)
	defer func() {
		if len(bad) > 0 && err == nil {
			err = fmt.Errorf("bdb: %s", strings.Join(bad, "; "))
		}
	}()
	for n := 1; n < pages; n++ {
		pg := b[n*ps : (n+1)*ps]
		if t := pg[25]; t != bdbPageHash && t != bdbPageHashUnsort {
			continue
		}
		entries := int(bo.Uint16(pg[20:]))
		if bdbPageHeader+2*entries > ps {
			return out, fmt.Errorf("bdb: page %d (byte %d) claims %d entries, more than fit", n, n*ps, entries)
		}
		off := func(i int) int { return int(bo.Uint16(pg[bdbPageHeader+2*i:])) }
		for i := 0; i+1 < entries; i += 2 {
			k, v := off(i), off(i+1)
			end := off(i) // the value is stored below its key
			if k < bdbPageHeader || k >= ps || v < bdbPageHeader+2*entries || v >= end {
				return out, fmt.Errorf("bdb: entry %d of page %d (byte %d) is outside the page", i, n, n*ps)
			}
			key, val := pg[k:], pg[v:end]
			var num uint32
			if key[0] == bdbItemKeyData && len(key) >= 5 {
				num = bo.Uint32(key[1:])
			}
			at := int64(n*ps + v)
			var blob []byte
			switch val[0] {
			case bdbItemKeyData:
				blob = val[1:]
			case bdbItemOffPage:
				if len(val) < 12 {
					return out, fmt.Errorf("bdb: entry %d of page %d (byte %d): an off-page item cut short", i+1, n, at)
				}
				if budget -= int64(bo.Uint32(val[8:])); budget < 0 {
					return out, fmt.Errorf("bdb: %w", errRpmBudget)
				}
				var err error
				if blob, err = bdbOverflow(b, bo, ps, pages, int(bo.Uint32(val[4:])), bo.Uint32(val[8:])); err != nil {
					// Keep the other packages: this one is reported.
					bad = append(bad, fmt.Sprintf("header %d at byte %d: %v", num, at, err))
					continue
				}
			default:
				return out, fmt.Errorf("bdb: entry %d of page %d (byte %d) has item type %d", i+1, n, at, val[0])
			}
			if len(out) == maxRpmPackages {
				return out, fmt.Errorf("more than %d packages", maxRpmPackages)
			}
			out = append(out, rpmBlob{num: num, at: at, blob: blob})
		}
	}
	return out, nil
}

// bdbOverflow reads an off-page value of total bytes from the overflow chain at first.
func bdbOverflow(b []byte, bo binary.ByteOrder, ps, pages, first int, total uint32) ([]byte, error) {
	if int64(total) > int64(len(b)) {
		return nil, fmt.Errorf("an off-page value of %d bytes, larger than the file", total)
	}
	out := make([]byte, 0, total)
	for n, hops := first, 0; uint32(len(out)) < total; hops++ {
		if n <= 0 || n >= pages || hops >= pages {
			return nil, fmt.Errorf("the overflow chain breaks at page %d after %d of %d bytes", n, len(out), total)
		}
		pg := b[n*ps : (n+1)*ps]
		if pg[25] != bdbPageOverflow {
			return nil, fmt.Errorf("page %d of an overflow chain has type %d", n, pg[25])
		}
		l := int(bo.Uint16(pg[22:]))
		if l > ps-bdbPageHeader {
			return nil, fmt.Errorf("overflow page %d claims %d bytes", n, l)
		}
		out = append(out, pg[bdbPageHeader:bdbPageHeader+l]...)
		n = int(bo.Uint32(pg[16:]))
	}
	return out[:total], nil
}

// NDB (rpm's own format): a header page with the number of slot pages, slots of 16
// bytes (magic, package index, block offset, block count) and blobs in 16-byte blocks,
// each with a head (magic, package index, generation, length) and a tail. Little-endian.

const (
	ndbPage      = 4096
	ndbBlock     = 16
	ndbSlotStart = 2 // the 32-byte header takes the first two slots
	ndbBlobHead  = 16
)

func ndbBlobs(b []byte) ([]rpmBlob, error) {
	le := binary.LittleEndian
	if len(b) < 32 {
		return nil, fmt.Errorf("ndb: %d bytes, shorter than the header", len(b))
	}
	if v := le.Uint32(b[4:]); v != 0 {
		return nil, fmt.Errorf("ndb: version %d at byte 4, want 0", v)
	}
	slotPages := int64(le.Uint32(b[12:]))
	if slotPages < 1 || slotPages*ndbPage > int64(len(b)) {
		return nil, fmt.Errorf("ndb: %d slot pages at byte 12 do not fit in %d bytes", slotPages, len(b))
	}
	var out []rpmBlob
	budget := rpmBudget(b)
	for i := int64(ndbSlotStart); i < slotPages*ndbPage/ndbBlock; i++ {
		s := b[i*ndbBlock:]
		if string(s[:4]) != "Slot" {
			return out, fmt.Errorf("ndb: slot %d at byte %d has no Slot magic", i, i*ndbBlock)
		}
		idx, blkoff, blkcnt := le.Uint32(s[4:]), int64(le.Uint32(s[8:])), int64(le.Uint32(s[12:]))
		if idx == 0 {
			continue
		}
		at := blkoff * ndbBlock
		if blkoff < slotPages*ndbPage/ndbBlock || at+blkcnt*ndbBlock > int64(len(b)) || blkcnt*ndbBlock < ndbBlobHead {
			return out, fmt.Errorf("ndb: slot %d at byte %d points at blocks %d+%d outside the file", i, i*ndbBlock, blkoff, blkcnt)
		}
		h := b[at:]
		if string(h[:4]) != "BlbS" || le.Uint32(h[4:]) != idx {
			return out, fmt.Errorf("ndb: the blob of package %d at byte %d has no matching head", idx, at)
		}
		n := int64(le.Uint32(h[12:]))
		if n > blkcnt*ndbBlock-ndbBlobHead {
			return out, fmt.Errorf("ndb: the blob of package %d at byte %d claims %d bytes in %d blocks", idx, at, n, blkcnt)
		}
		if budget -= n; budget < 0 {
			return out, fmt.Errorf("ndb: %w", errRpmBudget)
		}
		if len(out) == maxRpmPackages {
			return out, fmt.Errorf("more than %d packages", maxRpmPackages)
		}
		out = append(out, rpmBlob{num: idx, at: at, blob: h[ndbBlobHead : ndbBlobHead+n]})
	}
	return out, nil
}
