// Package krew writes what kharden needs to be installed as a kubectl plugin by krew,
// the kubectl plugin manager: one tar.gz archive per platform holding the release
// binary, and the plugin manifest (plugins/kharden.yaml) that points at them.
//
// krew installs an archive (.tar.gz or .zip), never a bare binary, and links its bin
// as kubectl-kharden on the user's PATH; kubectl then runs `kubectl kharden ARGS` as
// `kubectl-kharden ARGS`, and kharden names itself `kubectl kharden` when so invoked.
package krew

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"text/template"
	"time"
)

// Platform is an operating system and architecture kharden is released for.
type Platform struct{ OS, Arch string }

// Platforms are the release's platforms, as go run ./hack/release binaries builds them.
var Platforms = []Platform{
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"linux", "amd64"}, {"linux", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"},
}

// DownloadURL is where releases are published: DownloadURL/vVERSION/FILE.
const DownloadURL = "https://github.com/kharden/kharden/releases/download"

// Placeholder stands for the SHA-256 of an archive not yet built. krew refuses it,
// as it should: a manifest is published with the archives' real sums.
const Placeholder = "to be filled by go run ./hack/krew from the release's archives"

// Bin is the executable's name inside the archive.
func (p Platform) Bin() string {
	if p.OS == "windows" {
		return "kharden.exe"
	}
	return "kharden"
}

// Binary is the name of the release binary of version for p, as hack/release writes it.
func Binary(version string, p Platform) string {
	name := fmt.Sprintf("kharden_%s_%s_%s", version, p.OS, p.Arch)
	if p.OS == "windows" {
		name += ".exe"
	}
	return name
}

// ArchiveName is the name of the archive of version for p.
func ArchiveName(version string, p Platform) string {
	return fmt.Sprintf("kharden_%s_%s_%s.tar.gz", version, p.OS, p.Arch)
}

// Archive writes a gzip-compressed tar holding binary as p.Bin(), mode 0755, owned by
// root, dated mtime: the same binary and time give the same bytes.
func Archive(w io.Writer, binary []byte, p Platform, mtime time.Time) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	zw.ModTime = mtime // the gzip header's time too, else it is the zero time
	tw := tar.NewWriter(zw)
	hdr := &tar.Header{
		Typeflag: tar.TypeReg, Name: p.Bin(), Mode: 0o755, Size: int64(len(binary)),
		ModTime: mtime.UTC().Truncate(time.Second), Uname: "root", Gname: "root", Format: tar.FormatPAX,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := tw.Write(binary); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// versionRE is what krew accepts as a version: semantic, with the leading v.
var versionRE = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// Manifest is the plugin manifest of version (as the VERSION file says it, 0.1.0) with
// each platform's archive at DownloadURL/vVERSION/ArchiveName and its SHA-256 from
// sums (lowercase hex, by archive name). A platform missing from sums gets Placeholder;
// a sum that is not 64 hex digits, or a sum of no platform's archive, is an error.
func Manifest(version string, sums map[string]string) ([]byte, error) {
	if !versionRE.MatchString("v" + version) {
		return nil, fmt.Errorf("version %q: krew wants a semantic version (0.1.0)", version)
	}
	type platform struct {
		Platform
		URI, SHA256 string
	}
	var ps []platform
	known := map[string]bool{}
	for _, p := range Platforms {
		name := ArchiveName(version, p)
		known[name] = true
		sum, ok := sums[name]
		switch {
		case !ok:
			sum = Placeholder
		case !sha256Hex.MatchString(sum):
			return nil, fmt.Errorf("%s: SHA-256 %q is not 64 lowercase hex digits", name, sum)
		}
		ps = append(ps, platform{p, DownloadURL + "/v" + version + "/" + name, sum})
	}
	for name := range sums {
		if !known[name] {
			return nil, fmt.Errorf("%s: not the archive of a platform kharden is released for", name)
		}
	}
	var b bytes.Buffer
	err := manifestTemplate.Execute(&b, struct {
		Version   string
		Platforms []platform
	}{version, ps})
	return b.Bytes(), err
}

var manifestTemplate = template.Must(template.New("kharden.yaml").Funcs(template.FuncMap{"quote": quote}).Parse(
	`# kharden as a kubectl plugin, for krew (https://krew.sigs.k8s.io). Written by
# go run ./hack/krew from the release's binaries; do not edit by hand.
apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: kharden
spec:
  version: v{{.Version}}
  homepage: https://github.com/kharden/kharden
  shortDescription: Check workloads and clusters against security best practice
  description: |
    kharden checks Kubernetes security best practice, with findings that point at
    the exact object, file, line and field. As a kubectl plugin it audits the
    cluster of the current context (or --context, --kubeconfig, -n):
      kubectl kharden audit cluster
      kubectl kharden audit cluster --context prod -n shop -o json
    and scans manifests, Helm charts, Kustomize directories and Dockerfiles:
      kubectl kharden scan deploy/
    Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 errors.
  caveats: |
    kubectl kharden audit cluster reads the cluster's objects: give its user the
    read-only role of deploy/audit-rbac.yaml in kharden's repository.
  platforms:
{{- range .Platforms}}
  - selector:
      matchLabels:
        os: {{.OS}}
        arch: {{.Arch}}
    uri: {{.URI}}
    sha256: {{quote .SHA256}}
    files:
      - from: {{.Bin}}
        to: .
    bin: {{.Bin}}
{{- end}}
`))

// quote writes s as a double-quoted YAML scalar: a SHA-256 of digits alone (or digits
// and one e) would otherwise be read as a number.
func quote(s string) string { return strconv.Quote(s) }
