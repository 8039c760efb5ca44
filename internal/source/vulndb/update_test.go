package vulndb

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// osvServer serves all.zip files as the OSV bucket does: ETag, x-goog-hash with the
// MD5, ranges with If-Range. Each request takes the next of its faults.
type osvServer struct {
	mu     sync.Mutex
	files  map[string][]byte
	faults []fault
	log    []request
}

type fault struct {
	cut    int64 // cut the connection after this byte of the file (0: none)
	stall  int64 // stop sending after this byte, until the client gives up
	status int   // answer with this status instead
	badMD5 bool  // send a wrong MD5
	noHash bool  // send no x-goog-hash
}

type request struct{ path, rng, ifRange string }

func (s *osvServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.log = append(s.log, request{r.URL.Path, r.Header.Get("Range"), r.Header.Get("If-Range")})
	var f fault
	if len(s.faults) > 0 {
		f, s.faults = s.faults[0], s.faults[1:]
	}
	b, ok := s.files[r.URL.Path]
	s.mu.Unlock()
	if f.status != 0 {
		http.Error(w, http.StatusText(f.status), f.status)
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	sum := md5.Sum(b)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	w.Header().Set("ETag", etag)
	if f.badMD5 {
		sum[0] ^= 0xff
	}
	if !f.noHash {
		w.Header().Add("X-Goog-Hash", "crc32c=AAAAAA==")
		w.Header().Add("X-Goog-Hash", "md5="+base64.StdEncoding.EncodeToString(sum[:]))
	}
	var start int64
	if rng, ok := strings.CutPrefix(r.Header.Get("Range"), "bytes="); ok && r.Header.Get("If-Range") == etag {
		start, _ = strconv.ParseInt(strings.TrimSuffix(rng, "-"), 10, 64)
	}
	ww := w
	if f.cut > 0 {
		ww = &cutWriter{ResponseWriter: w, left: f.cut - start}
	}
	if f.stall > 0 {
		ww = &cutWriter{ResponseWriter: w, left: f.stall - start, stall: r.Context()}
	}
	http.ServeContent(ww, r, "all.zip", time.Time{}, bytes.NewReader(b))
}

// cutWriter sends left bytes of the body, then breaks the connection, or with stall
// waits for the client to go away.
type cutWriter struct {
	http.ResponseWriter
	left  int64
	stall context.Context
}

func (c *cutWriter) Write(p []byte) (int, error) {
	if int64(len(p)) <= c.left {
		c.left -= int64(len(p))
		return c.ResponseWriter.Write(p)
	}
	c.ResponseWriter.Write(p[:c.left])
	c.ResponseWriter.(http.Flusher).Flush()
	if c.stall != nil {
		select {
		case <-c.stall.Done():
		case <-time.After(10 * time.Second):
		}
	}
	panic(http.ErrAbortHandler)
}

func (s *osvServer) requests() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]request(nil), s.log...)
}

// newServer serves files, with fast retries for the test.
func newServer(t *testing.T, files map[string][]byte, faults ...fault) (*osvServer, string) {
	t.Helper()
	s := &osvServer{files: files, faults: faults}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	d, a, st := retryDelay, attempts, stallTimeout
	retryDelay, attempts, stallTimeout = time.Millisecond, 4, 5*time.Second
	t.Cleanup(func() { retryDelay, attempts, stallTimeout = d, a, st })
	return s, srv.URL
}

// oldDB makes a database with one advisory, OLD-1 for npm "old", the database
// every failure below must leave as it was.
func oldDB(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	in := filepath.Join(root, "old")
	writeFiles(t, in, map[string][]byte{"O.json": adv("OLD-1", "2024-01-01T00:00:00Z", key2("npm", "old"))})
	db := filepath.Join(root, "db")
	importT(t, db, false, in)
	return db
}

func assertOld(t *testing.T, db string) {
	t.Helper()
	if got := lookupIDs(t, db, "npm", "old"); len(got) != 1 || got[0] != "OLD-1" {
		t.Fatalf("the old database changed: npm old -> %v", got)
	}
	d, err := Open(db)
	must(t, err)
	defer d.Close()
	if s := d.Status().Sources; len(s) != 1 || s[0].Kind != "dir" {
		t.Fatalf("the old database changed: sources %+v", s)
	}
}

// smallZip is an export of three npm advisories.
func smallZip(t *testing.T, tag string) []byte {
	return zipBytes(t, map[string][]byte{
		"A.json": adv("NPM-"+tag+"-1", "2025-01-01T00:00:00Z", key2("npm", "left-pad")),
		"B.json": adv("NPM-"+tag+"-2", "2025-02-01T00:00:00Z", key2("npm", "left-pad")),
		"C.json": adv("NPM-"+tag+"-3", "2025-03-01T00:00:00Z", key2("npm", "lodash")),
	})
}

// The real Go database, downloaded whole: progress reported, the download removed
// once imported, the other sources kept.
func TestUpdateGo(t *testing.T) {
	z := goVulnZip(t)
	srv, base := newServer(t, map[string][]byte{"/Go/all.zip": z})
	db := oldDB(t)
	var last Progress
	var calls int
	st, err := Update(context.Background(), db, base+"/", []string{"go"}, func(p Progress) {
		if p.Phase == "download" {
			last = p
			calls++
		}
	})
	must(t, err)
	if last.Done != int64(len(z)) || last.Total != int64(len(z)) || last.Input != base+"/Go/all.zip" || calls < 2 {
		t.Errorf("last progress %+v after %d calls, want %d of %d bytes", last, calls, len(z), len(z))
	}
	if len(st.Sources) != 1 || st.Sources[0].Advisories != 4789 || st.Sources[0].Kind != "download" || st.Sources[0].Ecosystem != "Go" || len(st.Kept) != 1 {
		t.Fatalf("stats %+v", st)
	}
	if got := lookupIDs(t, db, "Go", "golang.org/x/net"); len(got) < 10 {
		t.Errorf("golang.org/x/net: %d advisories", len(got))
	}
	if got := lookupIDs(t, db, "npm", "old"); len(got) != 1 {
		t.Errorf("the imported source was not kept: %v", got)
	}
	if ents, _ := os.ReadDir(filepath.Join(db, downloadsDir)); len(ents) != 0 {
		t.Errorf("downloads left: %v", ents)
	}
	// An update without ecosystems fetches the ones downloaded before: only Go.
	must2(Update(context.Background(), db, base, nil, nil))
	for _, r := range srv.requests() {
		if r.path != "/Go/all.zip" {
			t.Errorf("requested %s", r.path)
		}
	}
	assertClean(t, db)
}

func must2(_ Stats, err error) {
	if err != nil {
		panic(err)
	}
}

// A download cut at several places resumes each time from where it stopped, with
// a Range validated by If-Range, in one run.
func TestUpdateResumes(t *testing.T) {
	z := goVulnZip(t)
	n := int64(len(z))
	cuts := []int64{1000, n / 2, n - 10}
	srv, base := newServer(t, map[string][]byte{"/Go/all.zip": z}, fault{cut: cuts[0]}, fault{cut: cuts[1]}, fault{cut: cuts[2]})
	db := oldDB(t)
	st, err := Update(context.Background(), db, base, []string{"Go"}, nil)
	must(t, err)
	if st.Sources[0].Advisories != 4789 {
		t.Errorf("%d advisories", st.Sources[0].Advisories)
	}
	reqs := srv.requests()
	if len(reqs) != 4 || reqs[0].rng != "" {
		t.Fatalf("requests %+v", reqs)
	}
	sum := md5.Sum(z)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	for i, c := range cuts {
		if r := reqs[i+1]; r.rng != fmt.Sprintf("bytes=%d-", c) || r.ifRange != etag {
			t.Errorf("request %d: Range %q If-Range %q, want bytes=%d- and %s", i+1, r.rng, r.ifRange, c, etag)
		}
	}
}

// A run that fails keeps its partial download; the next run resumes it. When the
// file changed meanwhile (another ETag), the server sends it whole and the download
// starts again.
func TestUpdateResumesAcrossRuns(t *testing.T) {
	first := smallZip(t, "A")
	second := smallZip(t, "B")
	cut := int64(len(first) / 2)
	srv, base := newServer(t, map[string][]byte{"/npm/all.zip": first},
		fault{cut: cut}, fault{cut: cut + 10}, fault{cut: cut + 20}, fault{cut: cut + 30})
	db := oldDB(t)
	_, err := Update(context.Background(), db, base, []string{"npm"}, nil)
	if err == nil || !strings.Contains(err.Error(), "connection broken after") || !strings.Contains(err.Error(), "the database was not changed") {
		t.Fatalf("error %v", err)
	}
	assertOld(t, db)
	part := filepath.Join(db, downloadsDir, "npm.zip.part")
	if fi, err := os.Stat(part); err != nil || fi.Size() != cut+30 {
		t.Fatalf("partial download: %v %v, want %d bytes", fi, err, cut+30)
	}
	// Resumed.
	must2(Update(context.Background(), db, base, []string{"npm"}, nil))
	reqs := srv.requests()
	if r := reqs[len(reqs)-1]; r.rng != fmt.Sprintf("bytes=%d-", cut+30) {
		t.Errorf("the next run asked for %q", r.rng)
	}
	if got := lookupIDs(t, db, "npm", "left-pad"); !sameIDs(got, []string{"NPM-A-1", "NPM-A-2"}) {
		t.Errorf("left-pad: %v", got)
	}

	// The file changes between a broken run and the next: started again, whole.
	srv.mu.Lock()
	srv.files["/npm/all.zip"] = second
	srv.faults = []fault{{cut: 100}, {cut: 100}, {cut: 100}, {cut: 100}}
	srv.mu.Unlock()
	if _, err := Update(context.Background(), db, base, []string{"npm"}, nil); err == nil {
		t.Fatal("no error")
	}
	srv.mu.Lock()
	srv.files["/npm/all.zip"] = smallZip(t, "C")
	srv.mu.Unlock()
	must2(Update(context.Background(), db, base, []string{"npm"}, nil))
	if got := lookupIDs(t, db, "npm", "left-pad"); !sameIDs(got, []string{"NPM-C-1", "NPM-C-2"}) {
		t.Errorf("left-pad after the change: %v", got)
	}
	if got := lookupIDs(t, db, "npm", "old"); len(got) != 1 {
		t.Errorf("the imported source was lost: %v", got)
	}
}

// Failures: the database is left as it was after each.
func TestUpdateFailures(t *testing.T) {
	good := smallZip(t, "A")
	damaged := bytes.Clone(good)
	damaged[30+len("A.json")+5] ^= 0xff
	cases := []struct {
		name     string
		files    map[string][]byte
		faults   []fault
		eco      string
		want     string
		requests int
		stall    bool
	}{
		{"wrong md5", map[string][]byte{"/npm/all.zip": good}, []fault{{badMD5: true}}, "npm", "MD5 mismatch", 1, false},
		{"404", nil, nil, "npm", "404 Not Found (no export there", 1, false},
		{"500", map[string][]byte{"/npm/all.zip": good}, []fault{{status: 500}, {status: 500}, {status: 500}, {status: 500}}, "npm", "500 Internal Server Error", 4, false},
		{"damaged zip", map[string][]byte{"/npm/all.zip": damaged}, nil, "npm", `entry "A.json"`, 1, false},
		{"truncated zip", map[string][]byte{"/npm/all.zip": good[:len(good)-30]}, nil, "npm", "not a readable zip archive", 1, false},
		{"stalled", map[string][]byte{"/npm/all.zip": good}, []fault{{stall: 50}, {stall: 60}, {stall: 70}, {stall: 80}}, "npm", "no data for", 4, true},
		{"second ecosystem fails", map[string][]byte{"/npm/all.zip": good}, nil, "npm,PyPI", "PyPI/all.zip: the server answered 404", 2, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, base := newServer(t, c.files, c.faults...)
			if c.stall {
				stallTimeout = 100 * time.Millisecond
			}
			db := oldDB(t)
			_, err := Update(context.Background(), db, base, strings.Split(c.eco, ","), nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			t.Log(err)
			if n := len(srv.requests()); n != c.requests {
				t.Errorf("%d requests, want %d", n, c.requests)
			}
			assertOld(t, db)
			if ents, _ := os.ReadDir(filepath.Join(db, downloadsDir)); c.name != "stalled" && c.name != "500" {
				for _, e := range ents {
					if strings.HasSuffix(e.Name(), ".zip") {
						t.Errorf("a complete download was left: %s", e.Name())
					}
				}
			}
		})
	}
}

func TestUpdateArguments(t *testing.T) {
	db := t.TempDir()
	for _, c := range []struct {
		base string
		ecos []string
		want string
	}{
		{"ftp://example.com", nil, "want an http or https URL"},
		{"https://", nil, "want an http or https URL"},
		{"", []string{"Hackage"}, `unknown ecosystem "Hackage"`},
	} {
		if _, err := Update(context.Background(), db, c.base, c.ecos, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Update(%q, %v): %v, want %q", c.base, c.ecos, err, c.want)
		}
	}
	if got := ExportURL("https://b.example/", "Red Hat"); got != "https://b.example/Red%20Hat/all.zip" {
		t.Errorf("ExportURL: %s", got)
	}
}
