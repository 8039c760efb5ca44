package image

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/package-url/packageurl-go"
)

// Limits of the Java archive reader. An archive is read from memory (zip needs random
// access), up to Limits.MaxBinarySize; archives inside it are read into memory too.
const (
	maxJarEntries     = 100_000
	maxJarDepth       = 3 // a jar in a war in an ear
	maxJarNested      = 64 << 20
	maxJarNestedTotal = 256 << 20
	maxJarManifest    = 1 << 20
	maxJarProperties  = 64 << 10
	maxJarPoms        = 1000 // pom.properties read in one archive
)

// jarReader collects the packages of an archive and the archives inside it.
type jarReader struct {
	out    []Package
	errs   []lineError
	nested int64 // bytes of nested archives read
}

// parseJar reads the Java packages of a .jar, .war or .ear named name: one per
// META-INF/maven/GROUP/ARTIFACT/pom.properties, else one from META-INF/MANIFEST.MF and
// the file name; then those of the archives it holds.
func parseJar(name string, b []byte, _ int64) ([]Package, []lineError) {
	j := &jarReader{}
	j.archive(name, "", b, 0)
	return j.out, j.errs
}

func (j *jarReader) fail(within, format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	if within != "" {
		msg = within + ": " + msg
	}
	j.errs = append(j.errs, lineError{0, msg})
}

// archive reads the archive b, named name, found at within (its path inside the
// outer archive and "!/" after it, or "" for the file itself).
func (j *jarReader) archive(name, within string, b []byte, depth int) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		j.fail(strings.TrimSuffix(within, "!/"), "not a zip archive: %v", err)
		return
	}
	if len(zr.File) > maxJarEntries {
		j.fail(strings.TrimSuffix(within, "!/"), "%d entries, more than %d: not read", len(zr.File), maxJarEntries)
		return
	}
	var manifest map[string]string
	var poms []Package
	seenManifest, npoms := false, 0
	for _, f := range zr.File {
		switch {
		case strings.EqualFold(f.Name, "META-INF/MANIFEST.MF") && !seenManifest:
			seenManifest = true
			c, ok := j.read(f, within, maxJarManifest)
			if !ok {
				continue
			}
			m, err := parseManifest(c)
			if err != nil {
				j.fail(within+f.Name, "%v", err)
				continue
			}
			manifest = m
		case isPomProperties(f.Name):
			if npoms++; npoms > maxJarPoms {
				if npoms == maxJarPoms+1 {
					j.fail(strings.TrimSuffix(within, "!/"), "more than %d pom.properties: the rest were not read", maxJarPoms)
				}
				continue
			}
			c, ok := j.read(f, within, maxJarProperties)
			if !ok {
				continue
			}
			props := parseProperties(c)
			g, a, v := props["groupId"], props["artifactId"], props["version"]
			if a == "" || v == "" {
				j.fail(within+f.Name, "no artifactId or version")
				continue
			}
			n := a
			if g != "" {
				n = g + ":" + a
			}
			poms = append(poms, Package{Type: packageurl.TypeMaven, Name: n, Version: v, Within: within + f.Name})
		}
	}
	if len(poms) == 1 && manifest != nil {
		poms[0].License = manifest["Bundle-License"]
	}
	j.out = append(j.out, poms...)
	if len(poms) == 0 && manifest != nil {
		if p, ok := manifestPackage(name, manifest); ok {
			p.Within = within + "META-INF/MANIFEST.MF"
			j.out = append(j.out, p)
		}
	}
	for _, f := range zr.File {
		if !isJavaArchive(f.Name) || f.FileInfo().IsDir() {
			continue
		}
		if depth+1 >= maxJarDepth {
			j.fail(within+f.Name, "an archive nested deeper than %d: not read", maxJarDepth)
			continue
		}
		if j.nested >= maxJarNestedTotal {
			j.fail(strings.TrimSuffix(within, "!/"), "more than %d bytes of nested archives: the rest were not read", maxJarNestedTotal)
			return
		}
		c, ok := j.read(f, within, min(maxJarNested, maxJarNestedTotal-j.nested))
		if !ok {
			continue
		}
		j.nested += int64(len(c))
		j.archive(path.Base(f.Name), within+f.Name+"!/", c, depth+1)
	}
}

// read reads the entry f of at most limit bytes.
func (j *jarReader) read(f *zip.File, within string, limit int64) ([]byte, bool) {
	if f.UncompressedSize64 > uint64(limit) {
		j.fail(within+f.Name, "%d bytes, more than the limit of %d: not read", f.UncompressedSize64, limit)
		return nil, false
	}
	rc, err := f.Open()
	if err != nil {
		j.fail(within+f.Name, "%v", err)
		return nil, false
	}
	defer rc.Close()
	c, err := io.ReadAll(io.LimitReader(rc, limit+1))
	switch {
	case err != nil:
		j.fail(within+f.Name, "%v", err)
		return nil, false
	case int64(len(c)) > limit:
		j.fail(within+f.Name, "more than the limit of %d bytes: not read", limit)
		return nil, false
	}
	return c, true
}

func isJavaArchive(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".jar", ".war", ".ear", ".jpi", ".hpi":
		return true
	}
	return false
}

// isPomProperties matches META-INF/maven/GROUP/ARTIFACT/pom.properties.
func isPomProperties(name string) bool {
	parts := strings.Split(name, "/")
	return len(parts) == 5 && parts[0] == "META-INF" && parts[1] == "maven" && parts[4] == "pom.properties"
}

// parseManifest reads the main section of a JAR manifest: "Name: value" headers, a
// line starting with one space continuing the one before (lines are cut at 72 bytes,
// anywhere), a blank line ending the section.
func parseManifest(b []byte) (map[string]string, error) {
	type logical struct {
		text string
		line int
	}
	var ls []logical
	for i, line := range lines(b) {
		n := i + 1
		if line == "" {
			break
		}
		if strings.IndexByte(line, 0) >= 0 {
			return nil, fmt.Errorf("line %d: a NUL byte", n)
		}
		if line[0] == ' ' {
			if len(ls) == 0 {
				return nil, fmt.Errorf("line %d: a continuation line with no header before it", n)
			}
			ls[len(ls)-1].text += line[1:]
			continue
		}
		ls = append(ls, logical{line, n})
	}
	m := map[string]string{}
	for _, l := range ls {
		k, v, ok := strings.Cut(l.text, ": ")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("line %d: %q is not a header (Name: value)", l.line, clip(l.text))
		}
		m[k] = v
	}
	return m, nil
}

// parseProperties reads a Java properties file's key=value and key: value lines.
func parseProperties(b []byte) map[string]string {
	m := map[string]string{}
	for _, line := range lines(b) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		i := strings.IndexAny(line, "=:")
		if i < 0 {
			continue
		}
		m[strings.TrimSpace(line[:i])] = strings.TrimSpace(line[i+1:])
	}
	return m
}

// jarFileName splits "commons-io-2.11.0.jar" into its artifact and version.
var jarFileName = regexp.MustCompile(`^(.+?)-(\d[\w.+-]*)$`)

// manifestPackage is the package a manifest and the archive's file name describe, when
// a version is known: the artifact from the file name (else Bundle-SymbolicName, else
// Implementation-Title), the version from Implementation-Version (else Bundle-Version,
// else the file name), the group from Implementation-Vendor-Id.
func manifestPackage(file string, m map[string]string) (Package, bool) {
	base := strings.TrimSuffix(file, path.Ext(file))
	artifact, version := "", ""
	if s := jarFileName.FindStringSubmatch(base); s != nil {
		artifact, version = s[1], s[2]
	}
	symbolic, _, _ := strings.Cut(m["Bundle-SymbolicName"], ";")
	name := firstOf(artifact, strings.TrimSpace(symbolic), m["Implementation-Title"], base)
	version = firstOf(m["Implementation-Version"], m["Bundle-Version"], version)
	if version == "" || name == "" {
		return Package{}, false
	}
	if g := m["Implementation-Vendor-Id"]; g != "" {
		name = g + ":" + name
	}
	return Package{Type: packageurl.TypeMaven, Name: name, Version: version, License: m["Bundle-License"]}, true
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
