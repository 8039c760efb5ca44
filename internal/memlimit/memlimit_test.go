package memlimit

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// restore puts back the limit the test started with.
func restore(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
}

// TestHoldThenLift: the limit is set, held while the live heap is small, and lifted
// once a collection finds more than half of it live.
func TestHoldThenLift(t *testing.T) {
	restore(t)
	t.Setenv("GOMEMLIMIT", "")
	const limit = 64 << 20
	held := Hold(limit)
	if got := debug.SetMemoryLimit(-1); got != limit || !held() {
		t.Fatalf("limit %d, held %v; want %d, true", got, held(), limit)
	}
	runtime.GC()
	runtime.GC()
	time.Sleep(50 * time.Millisecond) // the finalizer goroutine's turn
	if !held() {
		t.Fatal("lifted with a small live heap")
	}
	live := make([]byte, limit/2+(8<<20))
	for i := range live {
		live[i] = 1 // touched, so that it is not elided
	}
	deadline := time.Now().Add(10 * time.Second)
	for held() && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	runtime.KeepAlive(live)
	if got := debug.SetMemoryLimit(-1); held() || got != math.MaxInt64 {
		t.Errorf("after a collection with %d MiB live: limit %d, held %v", len(live)>>20, got, held())
	}
}

// TestUserLimitStands: GOMEMLIMIT in the environment is the user's choice.
func TestUserLimitStands(t *testing.T) {
	restore(t)
	t.Setenv("GOMEMLIMIT", "1GiB")
	before := debug.SetMemoryLimit(-1)
	if Hold(24<<20)() || debug.SetMemoryLimit(-1) != before {
		t.Error("Hold overrode GOMEMLIMIT")
	}
}
