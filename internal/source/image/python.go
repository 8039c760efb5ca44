package image

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/package-url/packageurl-go"
)

// maxLicense is the longest licence kept: a License field sometimes holds the whole
// licence text, of which the first line is kept when it is short.
const maxLicense = 200

// parsePythonMetadata reads the core metadata of an installed Python distribution
// (packaging.python.org/specifications/core-metadata): a *.dist-info/METADATA, an
// *.egg-info/PKG-INFO or an *.egg-info file. It is an email header: "Name: value"
// fields, continuation lines starting with white space, ended by a blank line (the
// description follows, not read).
func parsePythonMetadata(b []byte) ([]Package, []lineError) {
	var fields []field
	for i, line := range lines(b) {
		n := i + 1
		if strings.TrimSpace(line) == "" {
			break
		}
		if msg := badText(line); msg != "" {
			return nil, []lineError{{n, msg}}
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(fields) == 0 {
				return nil, []lineError{{n, "a continuation line with no field before it"}}
			}
			f := &fields[len(fields)-1]
			f.value += "\n" + strings.TrimSpace(line)
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return nil, []lineError{{n, fmt.Sprintf("%q is not a metadata field (Name: value)", clip(line))}}
		}
		fields = append(fields, field{name: name, value: strings.TrimSpace(value), line: n})
	}
	s := stanza{line: 1, fields: fields}
	name, _ := s.get("Name")
	version, _ := s.get("Version")
	switch {
	case name == "":
		return nil, []lineError{{1, "no Name field"}}
	case version == "":
		return nil, []lineError{{1, fmt.Sprintf("distribution %q has no Version field", clip(name))}}
	}
	return []Package{{Type: packageurl.TypePyPi, Name: name, Version: version, License: pythonLicense(&s)}}, nil
}

// pythonLicense is License-Expression (metadata 2.4), else a short License, else the
// licences of the "License ::" classifiers.
func pythonLicense(s *stanza) string {
	if v, _ := s.get("License-Expression"); v != "" {
		return v
	}
	if v, _ := s.get("License"); v != "" && v != "UNKNOWN" {
		first, _, _ := strings.Cut(v, "\n")
		if first = strings.TrimSpace(first); len(first) <= maxLicense {
			return first
		}
	}
	var out []string
	for _, f := range s.fields {
		if !strings.EqualFold(f.name, "Classifier") || !strings.HasPrefix(f.value, "License ::") {
			continue
		}
		parts := strings.Split(f.value, "::")
		l := strings.TrimSpace(parts[len(parts)-1])
		if l == "" || l == "OSI Approved" {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, ", ")
}

var pypiSeparators = regexp.MustCompile(`[-_.]+`)

// pypiName is a name normalised as PEP 503 and the pypi purl type ask: lower case,
// runs of "-", "_" and "." as one "-".
func pypiName(s string) string {
	return pypiSeparators.ReplaceAllString(strings.ToLower(s), "-")
}
