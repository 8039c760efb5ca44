package krew

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	sigsyaml "sigs.k8s.io/yaml"
)

// plugin is the part of krew's Plugin type (v1alpha2) that kharden's manifest uses.
type plugin struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string `json:"version"`
		Homepage         string `json:"homepage"`
		ShortDescription string `json:"shortDescription"`
		Description      string `json:"description"`
		Caveats          string `json:"caveats"`
		Platforms        []struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			URI    string `json:"uri"`
			SHA256 string `json:"sha256"`
			Files  []struct {
				From string `json:"from"`
				To   string `json:"to"`
			} `json:"files"`
			Bin string `json:"bin"`
		} `json:"platforms"`
	} `json:"spec"`
}

// parse reads a manifest as krew does (YAML turned into JSON, then decoded), refusing
// fields krew does not know: a SHA-256 that YAML reads as a number fails here as there.
func parse(t *testing.T, data []byte) plugin {
	t.Helper()
	j, err := sigsyaml.YAMLToJSON(data)
	if err != nil {
		t.Fatalf("manifest: %v\n%s", err, data)
	}
	var p plugin
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("manifest: %v\n%s", err, data)
	}
	return p
}

func version(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../VERSION")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// checkManifest checks p as krew would and against kharden's release: every platform
// once, its archive's URL, a SHA-256 (or, if placeholders, Placeholder), the binary as
// bin. It returns the sums by archive name.
func checkManifest(t *testing.T, p plugin, ver string, placeholders bool) map[string]string {
	t.Helper()
	if p.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || p.Kind != "Plugin" {
		t.Errorf("apiVersion %q, kind %q", p.APIVersion, p.Kind)
	}
	if p.Metadata.Name != "kharden" {
		t.Errorf("metadata.name %q: krew wants the file's name, kharden", p.Metadata.Name)
	}
	if p.Spec.Version != "v"+ver {
		t.Errorf("spec.version %q, want v%s (the VERSION file, with the v krew requires)", p.Spec.Version, ver)
	}
	if p.Spec.ShortDescription == "" || p.Spec.Homepage == "" || !strings.Contains(p.Spec.Description, "kubectl kharden audit cluster") {
		t.Errorf("shortDescription %q, homepage %q, description %q", p.Spec.ShortDescription, p.Spec.Homepage, p.Spec.Description)
	}
	seen := map[Platform]bool{}
	sums := map[string]string{}
	for i, pl := range p.Spec.Platforms {
		ml := pl.Selector.MatchLabels
		if len(ml) != 2 {
			t.Errorf("platform %d: matchLabels %v, want os and arch", i, ml)
		}
		plat := Platform{ml["os"], ml["arch"]}
		if seen[plat] {
			t.Errorf("platform %v twice", plat)
		}
		seen[plat] = true
		archive := fmt.Sprintf("kharden_%s_%s_%s.tar.gz", ver, plat.OS, plat.Arch)
		if want := "https://github.com/kharden/kharden/releases/download/v" + ver + "/" + archive; pl.URI != want {
			t.Errorf("%v: uri %q, want %q", plat, pl.URI, want)
		}
		switch {
		case sha256Hex.MatchString(pl.SHA256):
			sums[archive] = pl.SHA256
		case placeholders && pl.SHA256 == Placeholder:
		default:
			t.Errorf("%v: sha256 %q", plat, pl.SHA256)
		}
		bin := "kharden"
		if plat.OS == "windows" {
			bin += ".exe"
		}
		if pl.Bin != bin || len(pl.Files) != 1 || pl.Files[0].From != bin || pl.Files[0].To != "." {
			t.Errorf("%v: bin %q, files %+v: want %s extracted to . and run", plat, pl.Bin, pl.Files, bin)
		}
	}
	for _, os := range []string{"linux", "darwin", "windows"} {
		for _, arch := range []string{"amd64", "arm64"} {
			if !seen[Platform{os, arch}] {
				t.Errorf("no platform %s/%s", os, arch)
			}
		}
	}
	if len(p.Spec.Platforms) != 6 {
		t.Errorf("%d platforms, want 6", len(p.Spec.Platforms))
	}
	return sums
}

// The committed manifest is valid, for the VERSION file's version, and exactly what
// the generator writes with its sums.
func TestCommittedManifest(t *testing.T) {
	data, err := os.ReadFile("../../plugins/kharden.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ver := version(t)
	sums := checkManifest(t, parse(t, data), ver, true)
	want, err := Manifest(ver, sums)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, want) {
		t.Errorf("plugins/kharden.yaml is stale: go run ./hack/krew (after go run ./hack/release binaries), or go run ./hack/krew -placeholder between releases")
	}
}

// The manifest carries the sums it is given, and refuses what krew would.
func TestManifestSums(t *testing.T) {
	sums := map[string]string{}
	for i, p := range Platforms {
		s := sha256.Sum256([]byte{byte(i)})
		sums[ArchiveName("1.2.3", p)] = hex.EncodeToString(s[:])
	}
	// A sum of digits only must stay a string.
	sums[ArchiveName("1.2.3", Platforms[0])] = strings.Repeat("1", 64)
	data, err := Manifest("1.2.3", sums)
	if err != nil {
		t.Fatal(err)
	}
	got := checkManifest(t, parse(t, data), "1.2.3", false)
	if fmt.Sprint(got) != fmt.Sprint(sums) {
		t.Errorf("sums %v, want %v", got, sums)
	}

	bad := map[string]map[string]string{
		"short sum":     {ArchiveName("1.2.3", Platforms[0]): "abc"},
		"uppercase sum": {ArchiveName("1.2.3", Platforms[0]): strings.Repeat("A", 64)},
		"other archive": {"kharden_1.2.3_plan9_386.tar.gz": strings.Repeat("a", 64)},
		"other version": {ArchiveName("1.2.4", Platforms[0]): strings.Repeat("a", 64)},
	}
	for name, sums := range bad {
		if _, err := Manifest("1.2.3", sums); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	for _, v := range []string{"v1.2.3", "1.2", "", "1.2.3\nkind: x"} {
		if _, err := Manifest(v, nil); err == nil {
			t.Errorf("version %q: no error", v)
		}
	}
}

// An archive holds the binary alone, executable, under the name the manifest runs;
// the same input gives the same bytes, and its time is the one given.
func TestArchive(t *testing.T) {
	bin := []byte("\x7fELF not really a binary")
	mtime := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for _, p := range Platforms {
		var a, b bytes.Buffer
		if err := Archive(&a, bin, p, mtime); err != nil {
			t.Fatal(err)
		}
		if err := Archive(&b, bin, p, mtime); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%v: two archives of one binary differ", p)
		}
		zr, err := gzip.NewReader(bytes.NewReader(a.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if !zr.ModTime.Equal(mtime) {
			t.Errorf("%v: gzip time %v", p, zr.ModTime)
		}
		tr := tar.NewReader(zr)
		hdr, err := tr.Next()
		if err != nil {
			t.Fatal(err)
		}
		content, _ := io.ReadAll(tr)
		if hdr.Name != p.Bin() || hdr.Mode != 0o755 || hdr.Typeflag != tar.TypeReg || !hdr.ModTime.Equal(mtime) || !bytes.Equal(content, bin) {
			t.Errorf("%v: entry %q mode %o type %c time %v, content %q", p, hdr.Name, hdr.Mode, hdr.Typeflag, hdr.ModTime, content)
		}
		if _, err := tr.Next(); err != io.EOF {
			t.Errorf("%v: more than one entry (%v)", p, err)
		}
	}
	var a, b bytes.Buffer
	_ = Archive(&a, bin, Platforms[0], mtime)
	_ = Archive(&b, bin, Platforms[0], mtime.Add(time.Hour))
	if bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the archive's bytes do not depend on its time")
	}
}

// The platforms and binary names are those hack/release builds: its default platform
// list and its name format, read from its source.
func TestReleasePlatforms(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join("..", "..", "hack", "release", "main.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var list, format string
	ast.Inspect(f, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			s, _ := strconv.Unquote(lit.Value)
			if strings.Contains(s, "windows/") {
				list = s
			}
			if strings.HasPrefix(s, "kharden_%s") {
				format = s
			}
		}
		return true
	})
	var want []string
	for _, p := range Platforms {
		want = append(want, p.OS+"/"+p.Arch)
	}
	got := strings.Split(list, ",")
	if strings.Join(sorted(got), ",") != strings.Join(sorted(want), ",") {
		t.Errorf("hack/release builds %v, krew.Platforms are %v", got, want)
	}
	if format != "kharden_%s_%s_%s" {
		t.Errorf("hack/release names binaries %q; Binary assumes kharden_%%s_%%s_%%s", format)
	}
	if got := Binary("0.1.0", Platform{"windows", "arm64"}); got != "kharden_0.1.0_windows_arm64.exe" {
		t.Errorf("Binary = %q", got)
	}
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}
