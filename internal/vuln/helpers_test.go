package vuln

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kharden/kharden/internal/source/osv"
)

// memSource is an in-memory osv.Source: advisories indexed by the (ecosystem, name) of
// each of their affected entries.
type memSource map[[2]string][]*osv.Entry

func newMemSource(entries ...*osv.Entry) memSource {
	m := memSource{}
	m.add(entries...)
	return m
}

func (m memSource) add(entries ...*osv.Entry) {
	for _, e := range entries {
		seen := map[[2]string]bool{}
		for _, a := range e.Affected {
			k := [2]string{a.Package.Ecosystem, a.Package.Name}
			if !seen[k] {
				seen[k] = true
				m[k] = append(m[k], e)
			}
		}
	}
}

func (m memSource) Lookup(ecosystem, name string) ([]*osv.Entry, error) {
	return m[[2]string{ecosystem, name}], nil
}

// entry parses one advisory written as JSON in a test.
func entry(t testing.TB, js string) *osv.Entry {
	t.Helper()
	var e osv.Entry
	if err := json.Unmarshal([]byte(js), &e); err != nil {
		t.Fatalf("advisory does not parse: %v\n%s", err, js)
	}
	return &e
}

// vulndbVersion is the version of golang.org/x/vulndb, the Go vulnerability database as
// a module, the tests read.
const vulndbVersion = "v0.0.0-20261105234957-e22db6528018"

var goDB struct {
	once    sync.Once
	dir     string
	entries []*osv.Entry
	err     error
}

// skipOrFail skips a test that lacks something it needs, or fails it in CI.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// goVulnDB is the Go vulnerability database of golang.org/x/vulndb: the directory of
// its OSV files and the advisories, read once per test binary.
func goVulnDB(t testing.TB) (string, []*osv.Entry) {
	t.Helper()
	goDB.once.Do(func() {
		out, err := exec.Command("go", "mod", "download", "-json", "golang.org/x/vulndb@"+vulndbVersion).Output()
		if err != nil {
			goDB.err = err
			return
		}
		var m struct{ Dir, Error string }
		if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
			goDB.err = err
			if m.Error != "" {
				goDB.err = os.ErrNotExist
			}
			return
		}
		goDB.dir = filepath.Join(m.Dir, "data", "osv")
		des, err := os.ReadDir(goDB.dir)
		if err != nil {
			goDB.err = err
			return
		}
		for _, de := range des {
			if !strings.HasSuffix(de.Name(), ".json") {
				continue
			}
			b, err := os.ReadFile(filepath.Join(goDB.dir, de.Name()))
			if err != nil {
				goDB.err = err
				return
			}
			var e osv.Entry
			if err := json.Unmarshal(b, &e); err != nil {
				goDB.err = err
				return
			}
			goDB.entries = append(goDB.entries, &e)
		}
	})
	if goDB.err != nil || goDB.dir == "" {
		skipOrFail(t, "golang.org/x/vulndb@%s: %v (go mod download needs the Go module proxy)", vulndbVersion, goDB.err)
	}
	return goDB.dir, goDB.entries
}
