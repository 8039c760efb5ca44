package vulndb

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/kharden/kharden/internal/source/osv"
)

// Ecosystems are the OSV ecosystems kharden inventories, as OSV names them and as the
// OSV bucket names their exports (<base URL>/<ecosystem>/all.zip). An advisory's
// ecosystem is recognised when it is one of these, alone or followed by ":" and a
// release ("Debian:12", "Alpine:v3.20", "Ubuntu:22.04:LTS").
var Ecosystems = []string{"AlmaLinux", "Alpine", "Debian", "Go", "Maven", "npm", "PyPI", "Red Hat", "Rocky Linux", "Ubuntu", "crates.io"}

// BaseEcosystem is ecosystem without its release ("Debian:12" -> "Debian"), or ""
// when it is not one kharden recognises.
func BaseEcosystem(ecosystem string) string {
	base, _, _ := strings.Cut(ecosystem, ":")
	for _, e := range Ecosystems {
		if base == e {
			return e
		}
	}
	return ""
}

// The reasons an advisory is skipped, as Status counts them.
const (
	SkipInvalidJSON    = "invalid JSON or field types"
	SkipTooLarge       = "file over the size limit"
	SkipMissingID      = "missing or overlong id"
	SkipNoAffected     = "no affected package"
	SkipUnknownEco     = "no affected package in a recognised ecosystem"
	SkipNoName         = "affected package without a name"
	SkipNoEvents       = "range without events"
	SkipBadEvents      = "range with bad events"
	SkipBadRangeType   = "range of unknown type"
	SkipDuplicate      = "duplicate id (the copy with the older modified time dropped)"
	SkipNotRegular     = "not a regular file, or a link leaving the directory"
	SkipUnreadableFile = "unreadable file"
)

// maxIDLen bounds an advisory's id: OSV ids are short ("GHSA-xxxx-xxxx-xxxx").
const maxIDLen = 256

// parsed is an advisory read from an input and found usable.
type parsed struct {
	entry *osv.Entry
	// raw is the advisory's JSON, compacted: what the database stores, so that fields
	// kharden does not model yet are kept.
	raw []byte
	// keys are the (ecosystem, name) pairs it affects in recognised ecosystems,
	// each once: "ecosystem\x00name".
	keys []string
}

// parseAdvisory decodes and checks one advisory file. It returns the reason it is
// skipped, or "" and the advisory.
func parseAdvisory(b []byte) (*parsed, string) {
	// Read with the decoder Lookup uses, so that what is indexed is what a lookup
	// returns; json.Compact below checks the syntax strictly.
	var e osv.Entry
	if err := entryJSON.Unmarshal(b, &e); err != nil {
		return nil, SkipInvalidJSON
	}
	if e.ID == "" || len(e.ID) > maxIDLen || strings.ContainsAny(e.ID, "\x00\n") {
		return nil, SkipMissingID
	}
	if len(e.Affected) == 0 {
		return nil, SkipNoAffected
	}
	var keys []string
	seen := map[string]bool{}
	for _, a := range e.Affected {
		if a.Package.Name == "" {
			return nil, SkipNoName
		}
		for _, r := range a.Ranges {
			if why := checkRange(r); why != "" {
				return nil, why
			}
		}
		if BaseEcosystem(a.Package.Ecosystem) == "" || strings.ContainsRune(a.Package.Ecosystem+a.Package.Name, 0) {
			continue
		}
		k := key(a.Package.Ecosystem, a.Package.Name)
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, SkipUnknownEco
	}
	var buf bytes.Buffer
	buf.Grow(len(b))
	if err := json.Compact(&buf, b); err != nil {
		return nil, SkipInvalidJSON
	}
	return &parsed{entry: &e, raw: buf.Bytes(), keys: keys}, ""
}

// checkRange applies the OSV schema's rules to a range: a known type (a GIT range
// names its repository), at least one event, each event exactly one of introduced,
// fixed, last_affected and limit, at least one introduced, and not both fixed and
// last_affected.
func checkRange(r osv.Range) string {
	switch r.Type {
	case "SEMVER", "ECOSYSTEM":
	case "GIT":
		if r.Repo == "" {
			return SkipBadRangeType
		}
	default:
		return SkipBadRangeType
	}
	if len(r.Events) == 0 {
		return SkipNoEvents
	}
	var introduced, fixed, lastAffected bool
	for _, ev := range r.Events {
		n := 0
		for _, v := range []string{ev.Introduced, ev.Fixed, ev.LastAffected, ev.Limit} {
			if v != "" {
				n++
			}
		}
		if n != 1 {
			return SkipBadEvents
		}
		introduced = introduced || ev.Introduced != ""
		fixed = fixed || ev.Fixed != ""
		lastAffected = lastAffected || ev.LastAffected != ""
	}
	if !introduced || (fixed && lastAffected) {
		return SkipBadEvents
	}
	return ""
}

// key is the index key of a package.
func key(ecosystem, name string) string {
	if ecosystem == "PyPI" {
		// PyPI names are one name however written (PEP 503): "PyYAML", "pyyaml" and
		// "py_yaml" are the same project, and advisories and inventories differ in how
		// they write it.
		name = pypiSeparators.ReplaceAllString(strings.ToLower(name), "-")
	}
	return ecosystem + "\x00" + name
}

var pypiSeparators = regexp.MustCompile(`[-_.]+`)
