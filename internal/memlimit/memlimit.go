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
//
// Once a run has allocated many times its limit (tens of thousands of files, a 100 MB
// file), collection is paced by the limit alone: the heap may grow to it, rather than
// to twice its live size, and the collector runs less often for the same memory. A
// short run keeps the default pacing, so that its peak stays as low as before.
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
// collection that leaves more than limit/2 bytes live. After longRun times limit bytes
// allocated, it raises the GC percentage to pacedGC while the limit is held (unless the
// user set GOGC), and puts it back when the limit is lifted. It returns a function
// telling whether the limit was set and is still held.
func Hold(limit int64) (held func() bool) {
	held, _ = hold(limit, longRun*limit)
	return held
}

// longRun is how many times its limit a run allocates before collection is paced by
// the limit: a scan of the 469-file corpus allocates about one limit's worth, x100 of
// it about a hundred.
const longRun = 8

// pacedGC is the GC percentage of a long run under the limit: high enough that the
// limit, not the heap's growth over its live size, decides when to collect, and still
// a bound should the limit be lifted between two collections.
const pacedGC = 400

// hold is Hold raising the GC percentage after long bytes allocated (since the process
// started); paced tells whether it did.
func hold(limit, long int64) (held, paced func() bool) {
	if os.Getenv("GOMEMLIMIT") != "" || limit <= 0 {
		no := func() bool { return false }
		return no, no
	}
	userGOGC := os.Getenv("GOGC") != ""
	var on, raised atomic.Bool
	on.Store(true)
	debug.SetMemoryLimit(limit)
	samples := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	before := -1 // the GC percentage pacedGC replaced; -1 while not raised
	afterEachGC(func() bool {
		metrics.Read(samples)
		live, allocs := samples[0].Value, samples[1].Value
		if live.Kind() == metrics.KindUint64 && live.Uint64() > uint64(limit/2) {
			debug.SetMemoryLimit(math.MaxInt64)
			if before >= 0 {
				debug.SetGCPercent(before)
			}
			on.Store(false)
			return false
		}
		if before < 0 && !userGOGC && allocs.Kind() == metrics.KindUint64 && allocs.Uint64() > uint64(long) {
			before = debug.SetGCPercent(pacedGC)
			raised.Store(true)
		}
		return true
	})
	return on.Load, raised.Load
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
