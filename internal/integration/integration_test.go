package integration

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

var (
	// root is the repository's root.
	root string
	// kharden is the binary built for the tests; binDir holds it alone.
	kharden, binDir string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if root, err = filepath.Abs(filepath.Join("..", "..")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	tmp, err := os.MkdirTemp("", "kharden-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(tmp)
	binDir = filepath.Join(tmp, "bin")
	kharden = filepath.Join(binDir, "kharden")
	if runtime.GOOS == "windows" {
		kharden += ".exe"
	}
	build := exec.Command("go", "build", "-ldflags=-s -w", "-o", kharden, "./cmd/kharden")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ./cmd/kharden: %v\n%s", err, out)
		return 2
	}
	return m.Run()
}

// version is the VERSION file's.
func version(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// readYAML decodes the repository's file rel into v, refusing unknown fields so that
// a misspelt key fails here rather than being ignored by the tool that reads it.
func readYAML(t *testing.T, rel string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
}

// workspace is a new directory holding a copy of examples/insecure and
// examples/hardened under examples/, as a checkout of a repository would.
func workspace(t *testing.T) string {
	t.Helper()
	ws := t.TempDir()
	for _, dir := range []string{"insecure", "hardened"} {
		src := filepath.Join(root, "examples", dir)
		err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(src, p)
			dst := filepath.Join(ws, "examples", dir, rel)
			if d.IsDir() {
				return os.MkdirAll(dst, 0o755)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(dst, data, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return ws
}

// result is a finished process.
type result struct {
	code           int
	stdout, stderr string
}

// execute runs name with args in dir, with env added to a minimal environment.
func execute(t *testing.T, dir string, env []string, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "TMPDIR=" + t.TempDir(), "NO_COLOR=1"}, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return result{0, out.String(), errOut.String()}
	case errors.As(err, &ee):
		return result{ee.ExitCode(), out.String(), errOut.String()}
	}
	t.Fatalf("%s %v: %v", name, args, err)
	return result{}
}

// scanDirect is kharden run by hand in dir with args: what an integration must equal.
func scanDirect(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return execute(t, dir, nil, kharden, args...)
}

// releaseServer serves a release of kharden as the integrations download it:
// /vVERSION/kharden_VERSION_OS_ARCH (the built binary) and /vVERSION/SHA256SUMS,
// whose line for the binary is sumLine(the binary's real line). It records the paths
// asked for.
type releaseServer struct {
	*httptest.Server
	mu    sync.Mutex
	asked []string
}

func newReleaseServer(t *testing.T, ver, goos string, sums func(name, sum string) string) *releaseServer {
	t.Helper()
	bin, err := os.ReadFile(kharden)
	if err != nil {
		t.Fatal(err)
	}
	return serveRelease(t, ver, goos, bin, sums)
}

// newFakeReleaseServer is newReleaseServer with a few bytes for the binary, for the
// downloads that must be refused before anything runs.
func newFakeReleaseServer(t *testing.T, ver, goos string, sums func(name, sum string) string) *releaseServer {
	t.Helper()
	return serveRelease(t, ver, goos, []byte("#!/bin/sh\necho not kharden\n"), sums)
}

func serveRelease(t *testing.T, ver, goos string, bin []byte, sums func(name, sum string) string) *releaseServer {
	t.Helper()
	name := fmt.Sprintf("kharden_%s_%s_%s", ver, goos, runtime.GOARCH)
	sum := sha256Hex(bin)
	s := &releaseServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.asked = append(s.asked, r.URL.Path)
		s.mu.Unlock()
		switch r.URL.Path {
		case "/v" + ver + "/" + name:
			w.Write(bin)
		case "/v" + ver + "/SHA256SUMS":
			io.WriteString(w, "0000000000000000000000000000000000000000000000000000000000000000  kharden_"+ver+"_plan9_386\n")
			io.WriteString(w, sums(name, sum))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *releaseServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.asked...)
}

// honest is SHA256SUMS's line for a binary, as hack/release writes it.
func honest(name, sum string) string { return sum + "  " + name + "\n" }

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// newOSVServer serves an OSV export of the Go ecosystem, /Go/all.zip, holding one
// advisory, as kharden db update downloads it.
func newOSVServer(t *testing.T) *httptest.Server {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create("GO-2026-0001.json")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, `{"id":"GO-2026-0001","modified":"2026-11-01T00:00:00Z","summary":"test advisory",
"affected":[{"package":{"ecosystem":"Go","name":"example.com/m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]}]}`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/Go/all.zip" {
			http.NotFound(w, r)
			return
		}
		w.Write(b.Bytes())
	}))
	t.Cleanup(srv.Close)
	return srv
}

// checkDB fails unless the vulnerability database in dir holds the advisory of
// newOSVServer.
func checkDB(t *testing.T, dir string) {
	t.Helper()
	r := execute(t, root, nil, kharden, "db", "status", "--db", dir, "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"Go"`) {
		t.Errorf("kharden db status --db %s: exit %d\n%s%s", dir, r.code, r.stdout, r.stderr)
	}
}
