package vulndb

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// steps are the failpoints of a build, in order; the new database is current from
// "swapped" on.
var steps = []string{"sources", "synced", "renamed", "current-written", "swapped", "cleaned"}

// An import that fails, or is killed, after any step leaves a usable database: the
// old one before the swap, the new one after; and the next import cleans up.
func TestImportInterruptedAtEveryStep(t *testing.T) {
	root := t.TempDir()
	oldIn := filepath.Join(root, "old")
	writeFiles(t, oldIn, map[string][]byte{"O.json": adv("OLD-1", "2024-01-01T00:00:00Z", key2("Debian:12", "curl"))})
	newIn := filepath.Join(root, "new")
	writeFiles(t, newIn, map[string][]byte{"N.json": adv("NEW-1", "2024-01-01T00:00:00Z", key2("Debian:12", "curl"))})
	defer func() { failpoint = func(string) error { return nil } }()

	for i, step := range steps {
		for _, crash := range []bool{false, true} {
			name := step
			if crash {
				name += "/killed"
			}
			t.Run(name, func(t *testing.T) {
				db := filepath.Join(root, strings.ReplaceAll(name, "/", "-"))
				failpoint = func(string) error { return nil }
				importT(t, db, false, oldIn)
				injected := errors.New("injected failure")
				if crash {
					injected = errCrash
				}
				failpoint = func(s string) error {
					if s == step {
						return injected
					}
					return nil
				}
				_, err := Import(context.Background(), db, []string{newIn}, ImportOptions{})
				if !errors.Is(err, injected) {
					t.Fatalf("import: %v, want the injected failure", err)
				}
				failpoint = func(string) error { return nil }
				want := "OLD-1"
				if i >= 4 {
					want = "NEW-1"
				}
				if got := lookupIDs(t, db, "Debian:12", "curl"); len(got) != 1 || got[0] != want {
					t.Fatalf("after a failure at %s: %v, want [%s]", name, got, want)
				}
				// The next import succeeds and leaves nothing behind.
				importT(t, db, false, newIn)
				if got := lookupIDs(t, db, "Debian:12", "curl"); len(got) != 1 || got[0] != "NEW-1" {
					t.Fatalf("the next import: %v", got)
				}
				assertClean(t, db)
			})
		}
	}
}

// A real process killed in the middle of an import (os.Exit at each step, so that no
// deferred clean-up runs) leaves the old database usable.
func TestImportKilledProcess(t *testing.T) {
	if os.Getenv("VULNDB_TEST_CHILD") != "" {
		step := os.Getenv("VULNDB_TEST_CHILD")
		failpoint = func(s string) error {
			if s == step {
				os.Exit(7)
			}
			return nil
		}
		Import(context.Background(), os.Getenv("VULNDB_TEST_DB"), []string{os.Getenv("VULNDB_TEST_IN")}, ImportOptions{})
		os.Exit(0)
	}
	root := t.TempDir()
	oldIn := filepath.Join(root, "old")
	writeFiles(t, oldIn, map[string][]byte{"O.json": adv("OLD-1", "2024-01-01T00:00:00Z", key2("npm", "x"))})
	newIn := filepath.Join(root, "new")
	writeFiles(t, newIn, map[string][]byte{"N.json": adv("NEW-1", "2024-01-01T00:00:00Z", key2("npm", "x"))})
	for i, step := range steps[:4] {
		db := filepath.Join(root, step)
		importT(t, db, false, oldIn)
		cmd := exec.Command(os.Args[0], "-test.run=^TestImportKilledProcess$")
		cmd.Env = append(os.Environ(), "VULNDB_TEST_CHILD="+step, "VULNDB_TEST_DB="+db, "VULNDB_TEST_IN="+newIn)
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 7 {
			t.Fatalf("%s: child: %v, want exit 7", step, err)
		}
		if got := lookupIDs(t, db, "npm", "x"); len(got) != 1 || got[0] != "OLD-1" {
			t.Fatalf("killed after %s (step %d): %v", step, i, got)
		}
		importT(t, db, false, newIn)
		assertClean(t, db)
	}
}

// Damaged files give an error naming the file and the command that rebuilds the
// database.
func TestCorruptDatabase(t *testing.T) {
	root := t.TempDir()
	in := filepath.Join(root, "in")
	writeFiles(t, in, map[string][]byte{
		"A.json": adv("A-1", "2024-01-01T00:00:00Z", key2("PyPI", "requests")),
		"B.json": adv("B-1", "2024-01-01T00:00:00Z", key2("PyPI", "urllib3")),
	})
	other := filepath.Join(root, "other")
	writeFiles(t, other, map[string][]byte{"C.json": adv("C-1", "2024-01-01T00:00:00Z", key2("PyPI", "idna"))})
	cases := []struct {
		name    string
		damage  func(gen string)
		file    string
		atOpen  bool
		message string
	}{
		{"index byte", func(g string) { flip(t, filepath.Join(g, "s0.idx"), 30) }, "s0.idx", true, "checksum mismatch"},
		{"index truncated", func(g string) { truncate(t, filepath.Join(g, "s0.idx"), 10) }, "s0.idx", true, "bad header"},
		{"index missing", func(g string) { os.Remove(filepath.Join(g, "s0.idx")) }, "s0.idx", true, "no such file"},
		{"data truncated", func(g string) { truncate(t, filepath.Join(g, "s0.dat"), 5) }, "s0.dat", true, "bytes, "},
		{"data byte", func(g string) { flip(t, filepath.Join(g, "s0.dat"), 20) }, "s0.dat", false, "checksum mismatch"},
		{"meta", func(g string) { os.WriteFile(filepath.Join(g, metaFile), []byte("{"), 0o644) }, metaFile, true, "unexpected end"},
		{"meta format", func(g string) { os.WriteFile(filepath.Join(g, metaFile), []byte(`{"format": 99}`), 0o644) }, metaFile, true, "format 99"},
		{"current", func(g string) {
			os.WriteFile(filepath.Join(filepath.Dir(g), currentFile), []byte("../../etc\n"), 0o644)
		}, currentFile, true, "names no generation"},
		{"generation gone", func(g string) { os.RemoveAll(g) }, metaFile, true, "no such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := filepath.Join(root, strings.ReplaceAll(c.name, " ", "-"))
			st := importT(t, db, false, in)
			c.damage(st.Generation)
			d, err := Open(db)
			if err == nil {
				if c.atOpen {
					t.Fatal("opened")
				}
				_, err = d.Lookup("PyPI", "requests")
				d.Close()
			}
			var ce *CorruptError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.file) || !strings.Contains(err.Error(), c.message) || !strings.Contains(err.Error(), "kharden db update") || !strings.Contains(err.Error(), "kharden db import") {
				t.Fatalf("error %v: want a CorruptError naming %s, saying %q, and the commands that rebuild", err, c.file, c.message)
			}
			// Import without --add rebuilds it; with --add it cannot keep its sources.
			if _, err := Import(context.Background(), db, []string{other}, ImportOptions{Add: true}); err == nil || !strings.Contains(err.Error(), "without --add") {
				t.Errorf("import --add over a damaged database: %v", err)
			}
			importT(t, db, false, in)
			if got := lookupIDs(t, db, "PyPI", "requests"); len(got) != 1 {
				t.Errorf("after the rebuild: %v", got)
			}
		})
	}
}

func flip(t *testing.T, p string, at int64) {
	t.Helper()
	b, err := os.ReadFile(p)
	must(t, err)
	b[at] ^= 0x55
	must(t, os.WriteFile(p, b, 0o644))
}

func truncate(t *testing.T, p string, n int64) {
	t.Helper()
	must(t, os.Truncate(p, n))
}

func TestOpenForScan(t *testing.T) {
	root := t.TempDir()
	db := filepath.Join(root, "db")
	_, _, err := OpenForScan(db, 0)
	if !errors.Is(err, ErrNoDatabase) || !strings.Contains(err.Error(), "kharden db update") || !strings.Contains(err.Error(), "kharden db import") || !strings.Contains(err.Error(), db) {
		t.Fatalf("no database: %v", err)
	}
	in := filepath.Join(root, "in")
	writeFiles(t, in, map[string][]byte{"A.json": adv("A-1", "2024-01-01T00:00:00Z", key2("Maven", "org.apache.logging.log4j:log4j-core"))})
	importT(t, db, false, in)
	d, warn, err := OpenForScan(db, 24*time.Hour)
	must(t, err)
	d.Close()
	if warn != "" {
		t.Errorf("a fresh database warns: %s", warn)
	}
	defer func(f func() time.Time) { now = f }(now)
	now = func() time.Time { return time.Now().Add(72 * time.Hour) }
	d, warn, err = OpenForScan(db, 24*time.Hour)
	must(t, err)
	if !strings.Contains(warn, "3 days ago") || !strings.Contains(warn, "kharden db update") {
		t.Errorf("warning %q", warn)
	}
	if st := d.Status(); st.Age < 71*time.Hour || st.AgeSeconds < 71*3600 || st.Advisories != 1 || st.Sources[0].Ecosystems["Maven"] != 1 {
		t.Errorf("status %+v", st)
	}
	d.Close()
	if d, warn, _ = OpenForScan(db, 0); warn != "" {
		t.Errorf("no maximum age, but a warning: %s", warn)
	}
	d.Close()
}

// A directory that cannot be written gives an error that says so; one another
// import is writing too.
func TestNotWritable(t *testing.T) {
	root := t.TempDir()
	in := filepath.Join(root, "in")
	writeFiles(t, in, map[string][]byte{"A.json": adv("A-1", "2024-01-01T00:00:00Z", key2("npm", "a"))})
	file := filepath.Join(root, "file")
	must(t, os.WriteFile(file, nil, 0o644))
	_, err := Import(context.Background(), filepath.Join(file, "db"), []string{in}, ImportOptions{})
	if err == nil || !strings.Contains(err.Error(), "is not writable") {
		t.Errorf("under a file: %v", err)
	}

	db := filepath.Join(root, "db")
	importT(t, db, false, in)
	unlock, err := lockDir(db)
	must(t, err)
	_, err = Import(context.Background(), db, []string{in}, ImportOptions{})
	unlock()
	if err == nil || !strings.Contains(err.Error(), "another kharden db import or update is writing") {
		t.Errorf("locked: %v", err)
	}

	if os.Geteuid() == 0 {
		t.Log("running as root: permissions are not enforced, the read-only case is not tested")
		return
	}
	must(t, os.Chmod(db, 0o555))
	defer os.Chmod(db, 0o755)
	_, err = Import(context.Background(), db, []string{in}, ImportOptions{})
	if err == nil || !strings.Contains(err.Error(), "is not writable") {
		t.Errorf("read-only: %v", err)
	}
	if got := lookupIDs(t, db, "npm", "a"); len(got) != 1 {
		t.Errorf("read-only database unusable: %v", got)
	}
}
