package webhook

import (
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/valyala/fasthttp"
)

// DefaultMemoryBudget is the memory the reviews in flight may use together when the
// container's memory limit is unknown. Under a limit the budget is half of it: the rest
// holds the server itself (56 MiB resident at rest, most of it the binary's pages), its
// connections' buffers and the garbage the collector has yet to free (docs/webhook.md,
// "Limits").
const DefaultMemoryBudget = 128 << 20

// The memory a review takes (docs/webhook.md, "Limits"): a fixed part, the body held
// and decoded, and the rules' work, which grows with the body up to the admission caps
// (admission.DefaultMaxContainers, DefaultMaxElements). Allocations measured per body
// byte with the garbage collector off, over hostile shapes at the caps: up to 380 for
// small bodies, 43 MB at most in all.
const (
	reviewBaseCost   = 512 << 10
	reviewHeldRatio  = 4
	reviewWorkRatio  = 400
	reviewWorkCapped = 48 << 20
)

// ReviewCost is the share of the memory budget a review with a body of n bytes takes.
func ReviewCost(n int) int64 {
	return reviewBaseCost + reviewHeldRatio*int64(n) + min(reviewWorkRatio*int64(n), reviewWorkCapped)
}

// MemoryLimit is the memory limit of the cgroup the process runs in (v2, else v1), or 0
// when there is none.
func MemoryLimit() int64 {
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
		if err != nil || n <= 0 || n >= 1<<50 { // "max", or v1's "unlimited" (a huge number)
			return 0
		}
		return n
	}
	return 0
}

// bodyBuffers hold request bodies while they are answered. Buffers of large bodies are
// not kept, so the memory a large review took is given back.
var bodyBuffers = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledBody = 256 << 10

// readBody reads a body of n bytes (its Content-Length) from the request; release gives
// its buffer back once the answer is written.
func readBody(c *fasthttp.RequestCtx, n int) (body []byte, release func(), err error) {
	bp := bodyBuffers.Get().(*[]byte)
	if cap(*bp) < n {
		*bp = make([]byte, n)
	}
	body = (*bp)[:n]
	release = func() {
		if cap(*bp) <= maxPooledBody {
			bodyBuffers.Put(bp)
		}
	}
	stream := c.RequestBodyStream()
	if stream == nil {
		if copy(body, c.Request.Body()) != n {
			release()
			return nil, nil, errors.New("body shorter than its Content-Length")
		}
		return body, release, nil
	}
	if _, err := io.ReadFull(stream, body); err != nil {
		release()
		return nil, nil, err
	}
	return body, release, nil
}
