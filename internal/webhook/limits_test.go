package webhook

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kharden/kharden/internal/admission"
	"github.com/kharden/kharden/internal/testkit"
)

// A review built to exhaust the webhook (12,000 privileged containers, about 1 MB)
// gets a small answer over HTTPS: denied where a level enforces, admitted with one
// warning where none does.
func TestHostileReviewOverHTTPS(t *testing.T) {
	ts := startServer(t, admission.StaticNamespaces{"shop": {admission.LabelEnforce: "high", admission.LabelWarn: "pss-restricted"}}, nil)
	body := testkit.HostileReview("h1", "containers", 12000)
	code, out := ts.post(t, "/validate", body)
	if code != 200 {
		t.Fatalf("status %d: %.300s", code, out)
	}
	resp := decodeResponse(t, out)
	if resp.Allowed || resp.UID != "h1" || !strings.Contains(resp.Result.Message, "12000 containers") {
		t.Errorf("enforce: %+v", resp.Result)
	}
	if len(out) > 2048 {
		t.Errorf("answer of %d bytes to a review of %d", len(out), len(body))
	}

	warnOnly := startServer(t, admission.StaticNamespaces{"shop": {admission.LabelWarn: "low", admission.LabelAudit: "low"}}, nil)
	code, out = warnOnly.post(t, "/validate", body)
	resp = decodeResponse(t, out)
	if code != 200 || !resp.Allowed || len(resp.Warnings) != 1 || len(out) > 2048 {
		t.Errorf("warn: %d, %d bytes, allowed %v, %q", code, len(out), resp.Allowed, resp.Warnings)
	}
	// Under the caps, many findings: warnings within the API server's budget.
	code, out = warnOnly.post(t, "/validate", testkit.HostileReview("h2", "volumes", 900))
	resp = decodeResponse(t, out)
	runes := 0
	for _, w := range resp.Warnings {
		runes += utf8.RuneCountInString(w)
	}
	if code != 200 || !resp.Allowed || runes > 4096 || len(out) > 16<<10 || !strings.Contains(resp.Warnings[len(resp.Warnings)-1], "more") {
		t.Errorf("900 volumes: %d, %d bytes, %d warnings of %d runes", code, len(out), len(resp.Warnings), runes)
	}
}

// The reviews in flight share the memory budget: with room for two, a third waits
// QueueWait and is refused with 429 and Retry-After, which the API server handles by
// the failurePolicy; once the two are answered, reviews are served again.
func TestMemoryBudgetBoundsReviewsInFlight(t *testing.T) {
	body := reviewJSON(t, "b", privileged)
	ns := &blockingNamespaces{entered: make(chan struct{}, 2), release: make(chan struct{})}
	ts := startServer(t, ns, func(o *Options) {
		o.MemoryBudget = 2 * ReviewCost(len(body))
		o.QueueWait = 50 * time.Millisecond
	})
	var wg sync.WaitGroup
	codes := make(chan int, 2)
	for range 2 {
		wg.Go(func() {
			code, _ := ts.post(t, "/validate", body)
			codes <- code
		})
	}
	<-ns.entered
	<-ns.entered // both hold their share, blocked in the namespace lookup
	if got := ts.budget.inUse(); got != 2*ReviewCost(len(body)) {
		t.Errorf("budget in use: %d, want %d", got, 2*ReviewCost(len(body)))
	}
	resp, err := ts.client.Post(ts.url+"/validate", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(msg), "too many reviews in flight") {
		t.Errorf("third review: %d %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), msg)
	}
	close(ns.release)
	wg.Wait()
	close(codes)
	for code := range codes {
		if code != 200 {
			t.Errorf("review in flight: %d", code)
		}
	}
	if got := ts.budget.inUse(); got != 0 {
		t.Errorf("budget in use after the answers: %d", got)
	}
	if code, _ := ts.post(t, "/validate", body); code != 200 {
		t.Errorf("after: %d", code)
	}
	mresp, err := ts.client.Get(ts.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	for _, want := range []string{`kharden_webhook_requests_total{decision="overloaded",endpoint="validate",kind="none",operation="none"} 1`,
		"kharden_webhook_memory_budget_in_use_bytes 0"} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// Reviews get their share in order of arrival: a small one does not pass a large one
// that waits, and one that waits in vain leaves the queue.
func TestBudgetOrder(t *testing.T) {
	b := newBudget(10)
	if got := b.acquire(6, time.Hour); got != 6 {
		t.Fatalf("first: %d", got)
	}
	large := make(chan int64)
	go func() { large <- b.acquire(8, time.Hour) }()
	for queued := false; !queued; {
		b.mu.Lock()
		queued = b.waiters.Len() == 1
		b.mu.Unlock()
	}
	if got := b.acquire(3, time.Millisecond); got != 0 {
		t.Errorf("a small review passed a large one waiting: %d", got)
	}
	b.release(6)
	if got := <-large; got != 8 {
		t.Errorf("large: %d", got)
	}
	if got := b.acquire(100, time.Millisecond); got != 0 {
		t.Errorf("a review larger than the budget ran beside another: %d", got)
	}
	b.release(8)
	if got := b.acquire(100, time.Millisecond); got != 10 {
		t.Errorf("a review larger than the budget, alone: %d", got)
	}
	b.release(10)
	if b.inUse() != 0 || b.waiters.Len() != 0 {
		t.Errorf("left: %d in use, %d waiting", b.inUse(), b.waiters.Len())
	}
}

// A body of unknown length (chunked) is refused before it is read: its share of the
// budget cannot be known.
func TestChunkedBodyRefused(t *testing.T) {
	ts := startServer(t, nil, nil)
	// On a bare connection, the whole request in one write: sent by an HTTP client, the
	// server's close after its answer races the client's write of the body (a broken pipe
	// instead of the 411).
	body := reviewJSON(t, "c", privileged)
	resp, _ := rawRequest(t, ts, fmt.Sprintf("POST /validate HTTP/1.1\r\nHost: kharden\r\nContent-Type: application/json\r\n"+
		"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", len(body), body))
	if resp.StatusCode != http.StatusLengthRequired {
		t.Errorf("chunked body: %d", resp.StatusCode)
	}
}
