// Package memlimit holds a short-lived command's Go memory to a bound while its work is
// small enough for it.
//
// A scan's live heap is a few MiB whatever the size of the tree or the file (documents
// are read, checked and written one at a time), but with Go's default pacing (a heap
// twice its live size) and the runtime's own memory beside it, the process holds more
// than that work needs. A soft memory limit makes the collector run before the heap
// grows past it. A limit the live heap comes near would make it run all the time, so
// the limit is lifted for the rest of the run as soon as the live heap passes half of
// it (a large chart's rendering, an image's index): from then on the default pacing
// applies, as if no limit had been set.
package memlimit

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// Hold sets the Go runtime's soft memory limit to limit bytes, unless the user set one
// (GOMEMLIMIT in the environment, which then stands), and lifts it after the first
// collection that leaves more than limit/2 bytes live. It returns a function telling
// whether the limit was set and is still held.
func Hold(limit int64) (held func() bool) {
	if os.Getenv("GOMEMLIMIT") != "" || limit <= 0 {
		return func() bool { return false }
	}
	var on atomic.Bool
	on.Store(true)
	debug.SetMemoryLimit(limit)
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	afterEachGC(func() bool {
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 && sample[0].Value.Uint64() > uint64(limit/2) {
			debug.SetMemoryLimit(math.MaxInt64)
			on.Store(false)
			return false
		}
		return true
	})
	return on.Load
}

// tick is an object made only to be collected: its finalizer runs once a collection
// has found it unreachable. It holds a pointer so that it is not a tiny allocation,
// which can share a block with others and outlive them.
type tick struct{ _ *int }

// afterEachGC calls f after each collection (in the finalizer goroutine) for as long
// as f returns true.
func afterEachGC(f func() bool) {
	runtime.SetFinalizer(&tick{}, func(*tick) {
		if f() {
			afterEachGC(f)
		}
	})
}
