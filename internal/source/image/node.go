package image

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"
)

// Limits of the Node.js parsers.
const (
	maxLockPackages = 200_000
	maxLockDepth    = 64 // lock file v1's nested dependencies
)

// packageJSON is the part of a package.json the inventory reads.
type packageJSON struct {
	Name     string          `json:"name"`
	Version  string          `json:"version"`
	License  json.RawMessage `json:"license"`
	Licenses json.RawMessage `json:"licenses"`
}

// parsePackageJSON reads node_modules/NAME/package.json: the package's name, version
// and licence. A manifest without a name or version (a stub some packages put in
// their directories) is no package.
func parsePackageJSON(b []byte) ([]Package, []lineError) {
	var m packageJSON
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, []lineError{jsonError(b, err)}
	}
	if m.Name == "" || m.Version == "" {
		return nil, nil
	}
	return []Package{{Type: packageurl.TypeNPM, Name: m.Name, Version: m.Version, License: npmLicense(m.License, m.Licenses)}}, nil
}

// npmLicense reads "license": "MIT", the older {"type": "MIT"} and
// "licenses": [{"type": "MIT"}, ...].
func npmLicense(license, licenses json.RawMessage) string {
	var s string
	if json.Unmarshal(license, &s) == nil && s != "" {
		return s
	}
	var o struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(license, &o) == nil && o.Type != "" {
		return o.Type
	}
	var list []json.RawMessage
	if json.Unmarshal(licenses, &list) != nil {
		return ""
	}
	var out []string
	for _, l := range list {
		if v := npmLicense(l, nil); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return strings.Join(out, " OR ")
}

// jsonError positions a JSON decoding error at its line.
func jsonError(b []byte, err error) lineError {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := int64(-1)
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	line := 1
	if off > 0 && off <= int64(len(b)) {
		line += bytes.Count(b[:off], []byte("\n"))
	}
	return lineError{line, "not valid JSON: " + err.Error()}
}

// packageLock is the part of a package-lock.json the inventory reads: "packages"
// (lock file versions 2 and 3), else the nested "dependencies" of version 1.
type packageLock struct {
	LockfileVersion int                      `json:"lockfileVersion"`
	Packages        map[string]lockPackage   `json:"packages"`
	Dependencies    map[string]lockPackageV1 `json:"dependencies"`
}

type lockPackage struct {
	Name     string          `json:"name"`
	Version  string          `json:"version"`
	License  json.RawMessage `json:"license"`
	Dev      bool            `json:"dev"`
	Link     bool            `json:"link"`
	Inbundle bool            `json:"inBundle"`
}

type lockPackageV1 struct {
	Version      string                   `json:"version"`
	Dev          bool                     `json:"dev"`
	Dependencies map[string]lockPackageV1 `json:"dependencies"`
}

// parsePackageLock reads the packages a package-lock.json would install, without the
// development ones: it is read only where no node_modules directory is beside it.
func parsePackageLock(b []byte) ([]Package, []lineError) {
	var l packageLock
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, []lineError{jsonError(b, err)}
	}
	var out []Package
	if l.Packages != nil {
		keys := make([]string, 0, len(l.Packages))
		for k := range l.Packages {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := l.Packages[k]
			i := strings.LastIndex(k, "node_modules/")
			if i < 0 || p.Link || p.Dev || p.Version == "" {
				continue // the project itself, a workspace, a link, a development package
			}
			name := p.Name
			if name == "" {
				name = k[i+len("node_modules/"):]
			}
			if name == "" {
				continue // "node_modules/" names no package: nothing to match
			}
			if len(out) == maxLockPackages {
				return out, []lineError{{1, fmt.Sprintf("more than %d packages: the rest were not read", maxLockPackages)}}
			}
			out = append(out, Package{Type: packageurl.TypeNPM, Name: name, Version: p.Version, License: npmLicense(p.License, nil)})
		}
		return out, nil
	}
	var errs []lineError
	var walk func(deps map[string]lockPackageV1, depth int)
	walk = func(deps map[string]lockPackageV1, depth int) {
		if depth > maxLockDepth {
			errs = append(errs, lineError{1, fmt.Sprintf("dependencies nested deeper than %d: not read", maxLockDepth)})
			return
		}
		names := make([]string, 0, len(deps))
		for n := range deps {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			d := deps[n]
			if n == "" || d.Dev || d.Version == "" || strings.HasPrefix(d.Version, "file:") {
				continue
			}
			if len(out) == maxLockPackages {
				errs = append(errs, lineError{1, fmt.Sprintf("more than %d packages: the rest were not read", maxLockPackages)})
				return
			}
			out = append(out, Package{Type: packageurl.TypeNPM, Name: n, Version: d.Version})
			walk(d.Dependencies, depth+1)
		}
	}
	walk(l.Dependencies, 0)
	return out, errs
}
