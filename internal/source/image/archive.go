package image

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"
)

// archive is a tar file (docker-archive, oci-archive) read in place: one pass over its
// headers records where each member's data lies, and members are then read as
// sections of the file. Nothing is unpacked.
type archive struct {
	f       *os.File
	members map[string]member
}

type member struct {
	offset, size int64
	// link is the target of a symbolic or hard link member (old `docker save` output
	// links identical layers), as an archive path.
	link string
}

// maxArchiveMembers bounds the members of an image archive: a few per layer.
const maxArchiveMembers = 100_000

// positionReader tracks the offset of the file tar reads, so the offset of each
// member's data is known.
type positionReader struct {
	f   *os.File
	pos int64
}

func (r *positionReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	r.pos += int64(n)
	return n, err
}

func (r *positionReader) Seek(off int64, whence int) (int64, error) {
	n, err := r.f.Seek(off, whence)
	if err == nil {
		r.pos = n
	}
	return n, err
}

// openArchive indexes the tar file p.
func openArchive(p string, lim Limits) (*archive, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("not a regular file")
	}
	a := &archive{f: f, members: map[string]member{}}
	pr := &positionReader{f: f}
	tr := tar.NewReader(pr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("not a readable tar file: %w", err)
		}
		if len(a.members) >= maxArchiveMembers {
			f.Close()
			return nil, fmt.Errorf("more than %d members: not an image archive", maxArchiveMembers)
		}
		if len(h.Name) > lim.MaxPathLen {
			continue
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		switch h.Typeflag {
		case tar.TypeReg: // archive/tar reads the old TypeRegA as TypeReg
			if h.Size > fi.Size()-pr.pos {
				f.Close()
				return nil, fmt.Errorf("%s: truncated (%d bytes, the file ends before)", name, h.Size)
			}
			a.members[name] = member{offset: pr.pos, size: h.Size}
		case tar.TypeSymlink:
			a.members[name] = member{link: path.Join(path.Dir(name), h.Linkname)}
		case tar.TypeLink:
			a.members[name] = member{link: path.Clean(strings.TrimPrefix(h.Linkname, "./"))}
		}
	}
	if len(a.members) == 0 {
		f.Close()
		return nil, fmt.Errorf("an empty tar file")
	}
	return a, nil
}

func (a *archive) Close() error { return a.f.Close() }

// Open opens a member, following links between members.
func (a *archive) Open(name string) (fs.File, error) {
	name = path.Clean(strings.TrimPrefix(name, "./"))
	for range 8 {
		m, ok := a.members[name]
		if !ok {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		}
		if m.link == "" {
			return &archiveFile{SectionReader: io.NewSectionReader(a.f, m.offset, m.size), name: name}, nil
		}
		name = m.link
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("too many links")}
}

// archiveFile is a member opened for reading.
type archiveFile struct {
	*io.SectionReader
	name string
}

func (f *archiveFile) Stat() (fs.FileInfo, error) { return archiveInfo{f}, nil }
func (f *archiveFile) Close() error               { return nil }

type archiveInfo struct{ f *archiveFile }

func (i archiveInfo) Name() string       { return path.Base(i.f.name) }
func (i archiveInfo) Size() int64        { return i.f.Size() }
func (i archiveInfo) Mode() fs.FileMode  { return 0o444 }
func (i archiveInfo) ModTime() time.Time { return time.Time{} }
func (i archiveInfo) IsDir() bool        { return false }
func (i archiveInfo) Sys() any           { return nil }
