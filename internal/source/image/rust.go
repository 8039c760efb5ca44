package image

import (
	"bytes"
	"compress/zlib"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"

	"github.com/package-url/packageurl-go"
)

// Limits of the cargo auditable reader.
const (
	maxRustAuditCompressed = 8 << 20
	maxRustAudit           = 32 << 20
	maxRustPackages        = 100_000
)

// rustAudit is the dependency list cargo auditable embeds, zlib-compressed JSON, in
// the .dep-v0 section of a Rust binary.
type rustAudit struct {
	Packages []struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		Source  string `json:"source"`
		Kind    string `json:"kind"`
	} `json:"packages"`
}

// rustPackages reads the crates of an ELF binary built with cargo auditable: those
// linked into it, not the build-time ones (kind "build"). A binary without the section
// gives nil; a damaged section is an error at the binary.
func (w *walker) rustPackages(layer int, p string, b []byte) []Package {
	pkgs, err := parseRustAudit(b)
	if err != nil {
		w.problem(layer, p, 0, "cargo auditable data (.dep-v0): %v", err)
	}
	return pkgs
}

func parseRustAudit(b []byte) (out []Package, err error) {
	defer func() {
		// debug/elf is not meant for hostile input: a panic is a damaged binary.
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("a damaged ELF file: %v", r)
		}
	}()
	if !bytes.HasPrefix(b, []byte("\x7fELF")) {
		return nil, nil
	}
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return nil, nil // not an ELF file this reader knows: no Rust data to read
	}
	s := f.Section(".dep-v0")
	if s == nil {
		return nil, nil
	}
	if s.Size > maxRustAuditCompressed {
		return nil, fmt.Errorf("a section of %d bytes, more than %d", s.Size, maxRustAuditCompressed)
	}
	data, err := s.Data()
	if err != nil {
		return nil, err
	}
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("not zlib data: %w", err)
	}
	js, err := io.ReadAll(io.LimitReader(zr, maxRustAudit+1))
	if err != nil {
		return nil, fmt.Errorf("zlib: %w", err)
	}
	if len(js) > maxRustAudit {
		return nil, fmt.Errorf("more than %d bytes uncompressed", maxRustAudit)
	}
	var a rustAudit
	if err := json.Unmarshal(js, &a); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if len(a.Packages) > maxRustPackages {
		return nil, fmt.Errorf("%d packages, more than %d", len(a.Packages), maxRustPackages)
	}
	for _, c := range a.Packages {
		if c.Kind == "build" || c.Name == "" || c.Version == "" {
			continue
		}
		out = append(out, Package{Type: packageurl.TypeCargo, Name: c.Name, Version: c.Version})
	}
	return out, nil
}
