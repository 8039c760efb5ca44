package webhook

import (
	"container/list"
	"sync"
	"time"
)

// budget is the memory the reviews in flight may use, in bytes: a review reserves its
// share (reviewCost) before its body is read and gives it back once answered, so that
// the reviews in flight together stay inside the container's memory limit at any load.
// Reviews wait for their share in order of arrival, so a large one is not starved by
// a stream of small ones; one that waits too long is refused (HTTP 429).
type budget struct {
	mu      sync.Mutex
	size    int64
	used    int64
	waiters list.List // of *budgetWaiter, oldest first
}

type budgetWaiter struct {
	n     int64
	ready chan struct{} // closed when the share is granted
}

func newBudget(size int64) *budget { return &budget{size: size} }

// acquire reserves n bytes (at most the whole budget), waiting up to wait for them. It
// returns the amount reserved, to hand to release, or 0 if it waited in vain.
func (b *budget) acquire(n int64, wait time.Duration) int64 {
	n = min(max(n, 1), b.size) // a review larger than the budget runs alone
	b.mu.Lock()
	if b.waiters.Len() == 0 && b.used+n <= b.size {
		b.used += n
		b.mu.Unlock()
		return n
	}
	w := &budgetWaiter{n: n, ready: make(chan struct{})}
	e := b.waiters.PushBack(w)
	b.mu.Unlock()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-w.ready:
		return n
	case <-t.C:
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-w.ready: // granted while the timer fired
		return n
	default:
	}
	first := b.waiters.Front() == e
	b.waiters.Remove(e)
	if first {
		b.grant() // the ones behind may fit where this one did not
	}
	return 0
}

// release gives back what acquire reserved.
func (b *budget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	b.grant()
	b.mu.Unlock()
}

// grant hands out shares to the waiters, in order, while they fit.
func (b *budget) grant() {
	for e := b.waiters.Front(); e != nil; e = b.waiters.Front() {
		w := e.Value.(*budgetWaiter)
		if b.used+w.n > b.size {
			return
		}
		b.used += w.n
		b.waiters.Remove(e)
		close(w.ready)
	}
}

// inUse is the part of the budget reserved now.
func (b *budget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}
