package vuln

// The matcher's Go findings cross-checked against govulncheck (golang.org/x/vuln), the Go
// team's scanner: real binaries built here from modules at known-vulnerable versions,
// read with debug/buildinfo, matched against the Go vulnerability database
// (golang.org/x/vulndb's OSV files); govulncheck -mode=binary -scan=module reads the same
// binaries against the same files. The set of (advisory, module) pairs must be the same.
// hack/govulncheck/build.sh builds govulncheck and hack/test.sh exports
// KHARDEN_GOVULNCHECK_DIR; with CI=true the test fails rather than skip without it.

import (
	"bytes"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// govulncheckBinary is the govulncheck that hack/govulncheck/build.sh builds, at the
// version the script pins.
func govulncheckBinary(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("KHARDEN_GOVULNCHECK_DIR")
	if dir == "" {
		script, err := os.ReadFile("../../hack/govulncheck/build.sh")
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`(?m)^GOVULNCHECK_VERSION=(\S+)$`).FindSubmatch(script)
		if m == nil {
			t.Fatal("hack/govulncheck/build.sh pins no GOVULNCHECK_VERSION")
		}
		cache := os.Getenv("KHARDEN_GOVULNCHECK_CACHE")
		if cache == "" {
			home, _ := os.UserHomeDir()
			cache = filepath.Join(home, ".cache/kharden/govulncheck")
		}
		dir = filepath.Join(cache, string(m[1]))
	}
	bin := filepath.Join(dir, "govulncheck")
	if _, err := os.Stat(bin); err != nil {
		skipOrFail(t, "no %s: run hack/govulncheck/build.sh and set KHARDEN_GOVULNCHECK_DIR to the directory it prints", bin)
	}
	return bin
}

// The test programs: each requires modules at versions with several advisories, and
// imports a package of each so that the module is linked in. Pseudo-versions (x/net,
// x/crypto) and an +incompatible version (jwt-go) are among them.
var testPrograms = map[string]struct{ gomod, main string }{
	"old": {
		gomod: `module example.com/old

go 1.22

require (
	github.com/dgrijalva/jwt-go v3.2.0+incompatible
	github.com/gorilla/websocket v1.4.0
	golang.org/x/crypto v0.0.0-20200622213623-75b288015ac9
	golang.org/x/net v0.0.0-20210520170846-37e1c6afe023
	golang.org/x/text v0.3.5
	gopkg.in/yaml.v2 v2.2.2
)
`,
		main: `package main

import (
	"fmt"

	jwt "github.com/dgrijalva/jwt-go"
	"github.com/gorilla/websocket"
	"golang.org/x/crypto/ssh"
	"golang.org/x/net/html"
	"golang.org/x/net/http2"
	"golang.org/x/text/language"
	"gopkg.in/yaml.v2"
)

func main() {
	fmt.Println(jwt.SigningMethodHS256, websocket.TextMessage, ssh.CertAlgoRSAv01, html.ElementNode, http2.ErrCodeNo,
		language.English, yaml.Marshal)
}
`,
	},
	"newer": {
		gomod: `module example.com/newer

go 1.22

require (
	github.com/golang-jwt/jwt/v4 v4.4.1
	golang.org/x/net v0.17.0
	golang.org/x/text v0.3.7
	google.golang.org/protobuf v1.28.0
)
`,
		main: `package main

import (
	"fmt"

	"github.com/golang-jwt/jwt/v4"
	"golang.org/x/net/http2"
	"golang.org/x/text/language"
	"google.golang.org/protobuf/encoding/protojson"
)

func main() {
	fmt.Println(jwt.SigningMethodHS256, http2.ErrCodeNo, language.English, protojson.Marshal)
}
`,
	},
}

// buildProgram builds a test program into dir and returns the binary's path.
func buildProgram(t *testing.T, dir, gomod, main string) string {
	t.Helper()
	for name, content := range map[string]string{"go.mod": gomod, "main.go": main} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "prog")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local", "CGO_ENABLED=0",
		"GOOS=linux", "GOARCH=amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		skipOrFail(t, "go build of a test program (needs the Go module proxy): %v\n%s", err, out)
	}
	return bin
}

// govulncheckFindings runs govulncheck on a binary against the OSV files in db and
// returns its module-level findings, "ID module".
func govulncheckFindings(t *testing.T, govulncheck, db, bin string) []string {
	t.Helper()
	cmd := exec.Command(govulncheck, "-mode=binary", "-scan=module", "-json", "-db", "file://"+db, bin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		// -json exits 0 with findings; anything else is a failure.
		t.Fatalf("govulncheck: %v\n%s", err, stderr.String())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	seen := map[string]bool{}
	var got []string
	for {
		var msg struct {
			Finding *struct {
				OSV   string `json:"osv"`
				Trace []struct {
					Module string `json:"module"`
				} `json:"trace"`
			} `json:"finding"`
		}
		if err := dec.Decode(&msg); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("govulncheck's output: %v", err)
		}
		if msg.Finding == nil || len(msg.Finding.Trace) == 0 {
			continue
		}
		k := msg.Finding.OSV + " " + msg.Finding.Trace[0].Module
		if !seen[k] {
			seen[k] = true
			got = append(got, k)
		}
	}
	slices.Sort(got)
	return got
}

// khardenFindings are the matcher's findings on a binary, "ID module", each merged
// advisory counted under its own ID as govulncheck reports it.
func khardenFindings(t *testing.T, src memSource, bin string) ([]string, Result) {
	t.Helper()
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	pkgs := FromBuildInfo(bi, Location{File: bin, Layer: -1})
	res, err := Match(pkgs, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		for _, id := range append([]string{f.ID}, f.Merged...) {
			got = append(got, id+" "+f.Package.Name)
		}
	}
	slices.Sort(got)
	return slices.Compact(got), res
}

func TestGovulncheckParity(t *testing.T) {
	govulncheck := govulncheckBinary(t)
	db, entries := goVulnDB(t)
	src := newMemSource(entries...)
	for name, prog := range testPrograms {
		t.Run(name, func(t *testing.T) {
			bin := buildProgram(t, t.TempDir(), prog.gomod, prog.main)
			want := govulncheckFindings(t, govulncheck, db, bin)
			got, res := khardenFindings(t, src, bin)
			if len(want) < 10 {
				t.Errorf("govulncheck found %d module findings; these versions have more: %v", len(want), want)
			}
			if !slices.Equal(got, want) {
				t.Errorf("kharden and govulncheck differ\nonly kharden: %v\nonly govulncheck: %v",
					minus(got, want), minus(want, got))
			}
			// Every module of the program that govulncheck flags is in kharden's findings with
			// the version the binary records, and a fix where govulncheck has one.
			for _, f := range res.Findings {
				if f.Installed == "" || f.Package.Location.File != bin {
					t.Errorf("finding %s: installed %q at %q", f.ID, f.Installed, f.Package.Location.File)
				}
			}
			modules := map[string]bool{}
			for _, w := range want {
				modules[strings.Fields(w)[1]] = true
			}
			t.Logf("%s: %d module findings over %d modules (kharden: %d findings after merging aliases, %d notes)",
				name, len(want), len(modules), len(res.Findings), len(res.Stats.Notes))
			if len(res.Stats.Notes) != 0 {
				t.Errorf("notes on the Go database: %v", res.Stats.Notes)
			}
		})
	}
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
