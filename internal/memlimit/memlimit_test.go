package memlimit

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
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

// TestLongRunPacedByLimit: once a run has allocated past its threshold, the GC
// percentage is raised while the limit holds, and put back when the limit is lifted.
func TestLongRunPacedByLimit(t *testing.T) {
	restore(t)
	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	const limit = 64 << 20
	held, paced := hold(limit, allocated()+(32<<20))
	collect(t, func() bool { return false }, 3)
	if paced() {
		t.Fatal("paced by the limit before the run was long")
	}
	churn(48 << 20)
	if !collect(t, paced, 200) {
		t.Fatal("not paced by the limit after the run's threshold")
	}
	if p := gcPercent(); p != pacedGC || !held() {
		t.Fatalf("GC percentage %d (want %d), held %v", p, pacedGC, held())
	}
	lift(t, held, limit)
	if p := gcPercent(); p != 100 {
		t.Errorf("GC percentage %d after the limit was lifted, want the 100 it replaced", p)
	}
}

// TestUserGOGCStands: with GOGC in the environment, the percentage is the user's.
func TestUserGOGCStands(t *testing.T) {
	restore(t)
	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("GOGC", "100")
	const limit = 64 << 20
	held, paced := hold(limit, 0)
	churn(8 << 20)
	collect(t, func() bool { return false }, 5)
	if paced() {
		t.Error("the GC percentage was raised over the user's GOGC")
	}
	lift(t, held, limit)
}

func allocated() int64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

var sink []byte

// churn allocates n bytes of garbage, a MiB at a time.
func churn(n int) {
	for range n >> 20 {
		sink = make([]byte, 1<<20)
		sink[0] = 1
	}
	sink = nil
}

// collect runs up to n collections, giving the finalizer goroutine its turn after
// each, until done.
func collect(t *testing.T, done func() bool, n int) bool {
	t.Helper()
	for range n {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
		if done() {
			return true
		}
	}
	return false
}

// lift ends a hold by keeping over half its limit live across collections.
func lift(t *testing.T, held func() bool, limit int) {
	t.Helper()
	live := make([]byte, limit/2+(8<<20))
	for i := range live {
		live[i] = 1
	}
	collect(t, func() bool { return !held() }, 1000)
	runtime.KeepAlive(live)
	if held() {
		t.Fatal("the limit was not lifted")
	}
}

// gcPercent reads the GC percentage; only while nothing else sets it.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}
