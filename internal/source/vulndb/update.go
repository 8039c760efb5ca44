package vulndb

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultBaseURL is the public OSV bucket: <base>/<ecosystem>/all.zip is the export
// of one ecosystem.
const DefaultBaseURL = "https://osv-vulnerabilities.storage.googleapis.com"

// downloadsDir holds the downloads of an update in the database directory.
const downloadsDir = "downloads"

// The download's knobs; tests shorten them.
var (
	httpClient = &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		ResponseHeaderTimeout: time.Minute,
		TLSHandshakeTimeout:   30 * time.Second,
		// The zip is read as it is: no transparent gzip.
		DisableCompression: true,
	}}
	attempts     = 4
	retryDelay   = 2 * time.Second
	stallTimeout = time.Minute
)

// ExportURL is the URL of an ecosystem's all.zip under baseURL.
func ExportURL(baseURL, ecosystem string) string {
	return strings.TrimRight(baseURL, "/") + "/" + url.PathEscape(ecosystem) + "/all.zip"
}

// Update downloads the all.zip export of each of ecosystems (OSV's names, as in
// Ecosystems) from baseURL and imports them into the database in dbDir. The
// downloaded ecosystems replace the sources that were earlier downloads of the same
// ecosystems; the other sources are kept. No ecosystems means the ones the database
// already has from downloads or, when it has none, all of Ecosystems.
//
// A download that breaks is retried from where it stopped (HTTP Range, validated
// with the ETag in If-Range); a partial file stays in dbDir/downloads for the next
// run. A download is checked against the server's Content-Length and, when the
// server sends one (as Google Cloud Storage does in x-goog-hash), its MD5, and every
// zip entry against its CRC-32 as it is read. On any error the database is left as
// it was.
func Update(ctx context.Context, dbDir, baseURL string, ecosystems []string, progress func(Progress)) (st Stats, err error) {
	defer func() { err = unchanged(st, err) }()
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return st, fmt.Errorf("base URL %q: want an http or https URL", baseURL)
	}
	var ecos []string
	for _, e := range ecosystems {
		c := canonicalEcosystem(e)
		if c == "" {
			return st, fmt.Errorf("unknown ecosystem %q (want one of %s)", e, strings.Join(Ecosystems, ", "))
		}
		if !contains(ecos, c) {
			ecos = append(ecos, c)
		}
	}
	dbDir, err = filepath.Abs(dbDir)
	if err != nil {
		return st, err
	}
	unlock, err := prepareDir(dbDir)
	if err != nil {
		return st, err
	}
	defer unlock()
	if len(ecos) == 0 {
		if gen, err := readCurrent(dbDir); err == nil {
			if m, err := readMeta(filepath.Join(dbDir, gen)); err == nil {
				for _, s := range m.Sources {
					if s.Kind == "download" && !contains(ecos, s.Ecosystem) {
						ecos = append(ecos, s.Ecosystem)
					}
				}
			}
		}
		if len(ecos) == 0 {
			ecos = Ecosystems
		}
	}
	dl := filepath.Join(dbDir, downloadsDir)
	if err := os.MkdirAll(dl, 0o755); err != nil {
		return st, notWritable(dbDir, err)
	}
	// Complete downloads of an earlier run that failed later are not trusted to be
	// current: only partial ones are resumed (and revalidated by their ETag).
	if ents, err := os.ReadDir(dl); err == nil {
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".zip") {
				os.Remove(filepath.Join(dl, e.Name()))
			}
		}
	}
	var ins []input
	defer func() {
		for _, in := range ins {
			os.Remove(in.path)
		}
	}()
	for _, eco := range ecos {
		src := ExportURL(baseURL, eco)
		path, err := download(ctx, src, dl, fileStem(eco), DefaultLimits.MaxTotal, progress)
		if err != nil {
			return st, fmt.Errorf("downloading %s: %w", src, err)
		}
		ins = append(ins, input{path: path, st: SourceStatus{Input: src, Kind: "download", Ecosystem: eco}})
	}
	keep := func(s SourceStatus) bool { return s.Kind != "download" || !contains(ecos, s.Ecosystem) }
	return buildLocked(ctx, dbDir, ins, keep, ImportOptions{Progress: progress})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// canonicalEcosystem is OSV's spelling of a recognised ecosystem given in any case.
func canonicalEcosystem(e string) string {
	for _, c := range Ecosystems {
		if strings.EqualFold(c, e) {
			return c
		}
	}
	return ""
}

// fileStem names an ecosystem's download: "Red Hat" -> "red-hat".
func fileStem(eco string) string {
	return strings.ReplaceAll(strings.ToLower(eco), " ", "-")
}

// partMeta describes a partial download, beside it.
type partMeta struct {
	URL  string `json:"url"`
	ETag string `json:"etag"`
	// MD5 is the hex MD5 the server gave for the whole file, "" when none.
	MD5  string `json:"md5,omitempty"`
	Size int64  `json:"size"`
}

// StatusError is an HTTP answer other than the file.
type StatusError struct {
	URL    string
	Status string
	Code   int
}

func (e *StatusError) Error() string {
	if e.Code == http.StatusNotFound {
		return fmt.Sprintf("the server answered %s (no export there: check --base-url and --ecosystem)", e.Status)
	}
	return "the server answered " + e.Status
}

// IntegrityError is a download that does not match what the server said it is.
type IntegrityError struct{ Msg string }

func (e *IntegrityError) Error() string { return e.Msg }

// permanent tells whether a failed attempt is not worth another.
func permanent(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code < 500 && se.Code != http.StatusRequestTimeout && se.Code != http.StatusTooManyRequests
	}
	var ie *IntegrityError
	return errors.As(err, &ie) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// download fetches src into dir/stem.zip, resuming dir/stem.zip.part, and returns
// the complete file's path.
func download(ctx context.Context, src, dir, stem string, limit int64, progress func(Progress)) (string, error) {
	part := filepath.Join(dir, stem+".zip.part")
	var err error
	for a := range attempts {
		if a > 0 {
			select {
			case <-ctx.Done():
				return "", context.Cause(ctx)
			case <-time.After(retryDelay << (a - 1)):
			}
		}
		if err = fetch(ctx, src, part, limit, progress); err == nil {
			done := filepath.Join(dir, stem+".zip")
			if err := os.Rename(part, done); err != nil {
				return "", err
			}
			os.Remove(part + ".json")
			return done, nil
		}
		if ctx.Err() != nil {
			return "", context.Cause(ctx)
		}
		if permanent(err) {
			break
		}
	}
	return "", err
}

// fetch makes one attempt: it continues part when it can, else starts it again.
func fetch(ctx context.Context, src, part string, limit int64, progress func(Progress)) error {
	var pm partMeta
	var have int64
	if b, err := os.ReadFile(part + ".json"); err == nil && json.Unmarshal(b, &pm) == nil && pm.URL == src && pm.ETag != "" {
		if fi, err := os.Stat(part); err == nil && fi.Mode().IsRegular() {
			have = fi.Size()
		}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return err
	}
	if have > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", have))
		req.Header.Set("If-Range", pm.ETag)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var total int64
	sum := googMD5(resp.Header)
	switch resp.StatusCode {
	case http.StatusOK:
		have, total = 0, resp.ContentLength
		pm = partMeta{URL: src, ETag: resp.Header.Get("ETag"), MD5: sum, Size: total}
	case http.StatusPartialContent:
		if have == 0 {
			return &IntegrityError{"the server sent part of the file when the whole was asked for"}
		}
		start, size, ok := contentRange(resp.Header.Get("Content-Range"))
		if !ok || start != have || (pm.Size >= 0 && size != pm.Size) {
			// Not the continuation asked for: start again on the next attempt.
			os.Remove(part + ".json")
			return fmt.Errorf("the server resumed at an unexpected place (Content-Range %q)", resp.Header.Get("Content-Range"))
		}
		total = size
		if sum != "" {
			pm.MD5 = sum
		}
	case http.StatusRequestedRangeNotSatisfiable:
		os.Remove(part + ".json")
		return errors.New("the partial download is no longer valid; starting again")
	default:
		return &StatusError{URL: src, Status: resp.Status, Code: resp.StatusCode}
	}
	if total > limit {
		return &IntegrityError{fmt.Sprintf("the file is %d bytes, more than the %d byte limit", total, limit)}
	}
	if err := writeSynced(part+".json", func(w io.Writer) error { return json.NewEncoder(w).Encode(pm) }); err != nil {
		return err
	}
	flags := os.O_WRONLY | os.O_CREATE
	if have == 0 {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(part, flags, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	h := md5.New()
	if have > 0 {
		if err := hashPrefix(f.Name(), have, h); err != nil {
			return err
		}
		if _, err := f.Seek(have, io.SeekStart); err != nil {
			return err
		}
	}
	// The body is read with a watchdog: a server that stops sending for stallTimeout
	// ends the attempt (the next one resumes).
	stall := time.AfterFunc(stallTimeout, func() { cancel(fmt.Errorf("no data for %s", stallTimeout)) })
	defer stall.Stop()
	buf := make([]byte, 256<<10)
	done := have
	last := time.Time{}
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			stall.Reset(stallTimeout)
			if done+int64(n) > limit {
				return &IntegrityError{fmt.Sprintf("the file is more than the %d byte limit", limit)}
			}
			if _, err := f.Write(buf[:n]); err != nil {
				return err
			}
			h.Write(buf[:n])
			done += int64(n)
			if progress != nil && time.Since(last) > 50*time.Millisecond {
				last = time.Now()
				progress(Progress{Input: src, Phase: "download", Done: done, Total: max(total, 0)})
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if c := context.Cause(ctx); c != nil {
				return fmt.Errorf("%w after %d bytes", c, done)
			}
			return fmt.Errorf("connection broken after %d bytes: %w", done, rerr)
		}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if progress != nil {
		progress(Progress{Input: src, Phase: "download", Done: done, Total: max(total, 0)})
	}
	if total >= 0 && done != total {
		return fmt.Errorf("got %d bytes of %d", done, total)
	}
	if pm.MD5 != "" {
		if got := hex.EncodeToString(h.Sum(nil)); got != pm.MD5 {
			f.Close()
			os.Remove(part)
			os.Remove(part + ".json")
			return &IntegrityError{fmt.Sprintf("MD5 mismatch: the server says %s, the download is %s", pm.MD5, got)}
		}
	}
	return nil
}

// hashPrefix hashes the first n bytes of the file at path.
func hashPrefix(path string, n int64, h hash.Hash) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.CopyN(h, f, n); err != nil {
		return fmt.Errorf("re-reading the partial download: %w", err)
	}
	return nil
}

// googMD5 is the hex MD5 of an x-goog-hash header ("crc32c=...,md5=<base64>"), or "".
func googMD5(h http.Header) string {
	for _, v := range h.Values("X-Goog-Hash") {
		for p := range strings.SplitSeq(v, ",") {
			p = strings.TrimSpace(p)
			if b64, ok := strings.CutPrefix(p, "md5="); ok {
				if b, err := base64.StdEncoding.DecodeString(b64); err == nil && len(b) == md5.Size {
					return hex.EncodeToString(b)
				}
			}
		}
	}
	return ""
}

// contentRange parses "bytes START-END/SIZE".
func contentRange(s string) (start, size int64, ok bool) {
	rest, ok := strings.CutPrefix(s, "bytes ")
	if !ok {
		return 0, 0, false
	}
	rng, sz, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, false
	}
	a, _, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, false
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	size, err2 := strconv.ParseInt(sz, 10, 64)
	if err1 != nil || err2 != nil || start < 0 || size < 0 {
		return 0, 0, false
	}
	return start, size, true
}
