package cli

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dbAdvisory is an OSV advisory for one package.
func dbAdvisory(id, eco, name string) []byte {
	return []byte(`{"id":"` + id + `","modified":"2025-03-04T05:06:07Z","affected":[{"package":{"ecosystem":"` + eco + `","name":"` + name + `"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}]}]}`)
}

func dbInputDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range map[string][]byte{
		"a/GHSA-1.json": dbAdvisory("GHSA-1", "PyPI", "jinja2"),
		"a/GHSA-2.json": dbAdvisory("GHSA-2", "npm", "lodash"),
		"bad.json":      []byte("{"),
		"README.md":     []byte("advisories"),
	} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestDbImportAndStatus(t *testing.T) {
	in := dbInputDir(t)
	db := filepath.Join(t.TempDir(), "db")
	code, out, errOut := run("", "db", "import", "--db", db, in)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Vulnerability database " + db + " updated.", "Imported " + in + " (dir)", "2 advisories (PyPI 1, npm 1)", "skipped 1:", "invalid JSON or field types: 1 (bad.json)", "1 files not named *.json ignored"} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}
	if errOut != "" {
		t.Errorf("stderr is not a terminal, but got %q", errOut)
	}

	code, out, errOut = run("", "db", "status", "--db", db)
	if code != 0 || !strings.Contains(out, "2 advisories from 1 source;") || !strings.Contains(out, "Source "+in+" (dir)") || !strings.Contains(out, "newest modified 2025-03-04 05:06 UTC") {
		t.Errorf("status: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run("", "db", "status", "--db", db, "-o", "json")
	var st struct {
		Dir        string
		Advisories int
		Sources    []struct {
			Input      string
			Kind       string
			Ecosystems map[string]int
			Skipped    map[string]struct{ Count int }
		}
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != 0 {
		t.Fatalf("status json: exit %d, %v\n%s", code, err, out)
	}
	if st.Dir != db || st.Advisories != 2 || len(st.Sources) != 1 || st.Sources[0].Input != in || st.Sources[0].Ecosystems["npm"] != 1 || st.Sources[0].Skipped["invalid JSON or field types"].Count != 1 {
		t.Errorf("status json: %+v", st)
	}
}

func TestDbErrors(t *testing.T) {
	root := t.TempDir()
	db := filepath.Join(root, "db")
	trunc := filepath.Join(root, "all.zip")
	os.WriteFile(trunc, []byte("PK\x03\x04 and nothing more"), 0o644)
	file := filepath.Join(root, "file")
	os.WriteFile(file, nil, 0o644)
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"status without database", []string{"db", "status", "--db", db}, []string{"no vulnerability database in " + db, "kharden db update", "kharden db import"}},
		{"missing input", []string{"db", "import", "--db", db, filepath.Join(root, "nope")}, []string{"nope", "no such file"}},
		{"truncated zip", []string{"db", "import", "--db", db, trunc}, []string{"not a readable zip archive", "the database was not changed"}},
		{"not writable", []string{"db", "import", "--db", filepath.Join(file, "db"), dbInputDir(t)}, []string{"is not writable"}},
		{"no inputs", []string{"db", "import", "--db", db}, []string{"requires at least 1 arg"}},
		{"bad ecosystem", []string{"db", "update", "--db", db, "--ecosystem", "Hackage"}, []string{`unknown ecosystem "Hackage"`}},
		{"bad base URL", []string{"db", "update", "--db", db, "--base-url", "file:///srv/osv"}, []string{"want an http or https URL"}},
		{"bad output", []string{"db", "status", "--db", db, "-o", "yaml"}, []string{"unknown output format"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := run("", c.args...)
			if code != ExitError {
				t.Errorf("exit %d, want 2", code)
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q: %s", w, errOut)
				}
			}
		})
	}
}

// KHARDEN_DB names the database when --db does not.
func TestDbEnvironment(t *testing.T) {
	db := filepath.Join(t.TempDir(), "from-env")
	t.Setenv("KHARDEN_DB", db)
	if code, _, errOut := run("", "db", "import", dbInputDir(t)); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(db, "CURRENT")); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := run("", "db", "status"); code != 0 || !strings.Contains(out, db) {
		t.Errorf("status: %d %s", code, out)
	}
}

// db update against a server that serves an export as the OSV bucket does; then a
// 404, which leaves the database as it was.
func TestDbUpdate(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("GHSA-3.json")
	w.Write(dbAdvisory("GHSA-3", "crates.io", "hyper"))
	zw.Close()
	z := buf.Bytes()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/crates.io/all.zip" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		http.ServeContent(w, r, "all.zip", time.Time{}, bytes.NewReader(z))
	}))
	defer srv.Close()
	db := filepath.Join(t.TempDir(), "db")
	code, out, errOut := run("", "db", "update", "--db", db, "--base-url", srv.URL, "--ecosystem", "crates.io")
	if code != 0 || !strings.Contains(out, "Imported "+srv.URL+"/crates.io/all.zip (download, crates.io)") || !strings.Contains(out, "1 advisories (crates.io 1)") {
		t.Fatalf("update: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = run("", "db", "update", "--db", db, "--base-url", srv.URL, "--ecosystem", "Go")
	if code != 2 || !strings.Contains(errOut, "404 Not Found") || !strings.Contains(errOut, "the database was not changed") {
		t.Errorf("404: exit %d: %s", code, errOut)
	}
	if code, out, _ := run("", "db", "status", "--db", db); code != 0 || !strings.Contains(out, "crates.io/all.zip (download, crates.io)") {
		t.Errorf("status after the failed update: %d\n%s", code, out)
	}
}

func TestDbHelp(t *testing.T) {
	for _, args := range [][]string{{"db", "--help"}, {"db", "update", "--help"}, {"db", "import", "--help"}, {"db", "status", "--help"}} {
		code, out, _ := run("", args...)
		if code != 0 || !strings.Contains(out, "Examples:") || !strings.Contains(out, "--db string") {
			t.Errorf("%v: exit %d\n%s", args, code, out)
		}
	}
}

// A progress line goes to standard error when it is a terminal (a real
// pseudo-terminal here), is cleared at the end, and never reaches standard output.
func TestDbProgressOnTerminal(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	in := dbInputDir(t)
	ptm, pts := openPTY(t)
	got := make(chan string)
	go func() {
		b, _ := io.ReadAll(ptm) // ends with EIO when the terminal's other side is closed
		got <- string(b)
	}()
	var out bytes.Buffer
	code := Run([]string{"db", "import", "--db", filepath.Join(t.TempDir(), "db"), in}, IO{In: strings.NewReader(""), Out: &out, Err: pts})
	pts.Close()
	line := <-got
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out.String())
	}
	if !strings.Contains(line, in+": importing, 3 of 3 files") || !strings.HasSuffix(line, "\r\x1b[K") {
		t.Errorf("the terminal got %q", line)
	}
	if strings.Contains(out.String(), "importing") {
		t.Error("progress went to standard output")
	}
}
