package scan

import (
	"github.com/kharden/kharden/internal/engine"
	"github.com/kharden/kharden/internal/report"
)

// scanned is one input's part, and what of it waits for the other inputs.
type scanned struct {
	part *report.Report
	wait *engine.Awaiting
}

// settle emits, after the last input, the results that waited for an object of another
// input (a pod's ServiceAccount), settled against every input read: parts after the
// inputs', one per file, whose results point into files already emitted. What the inputs
// left is kept compactly in pending (records on a temporary file past a size, see
// engine.Pending), not the inputs, so memory does not grow with the number of such pods
// (docs/design/cross-object.md).
func (s *Scanner) settle(pending *engine.Pending, emit func(*report.Report) error) error {
	return pending.Settle(func(part *report.Report) error {
		part.FailOn = s.head.FailOn
		return emit(part)
	})
}
