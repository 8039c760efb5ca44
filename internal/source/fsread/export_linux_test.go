package fsread

import "testing"

// WithoutBeneath makes the test read through os.Root, as on a kernel without openat2.
func WithoutBeneath(t *testing.T) {
	noBeneath.Store(true)
	t.Cleanup(func() { noBeneath.Store(false) })
}

// BeneathUsed says whether openat2 is in use (not refused by this kernel).
func BeneathUsed() bool { return !noBeneath.Load() }
