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
// input (a pod's ServiceAccount), settled against every input read: one more part, whose
// results point into files already emitted. Only those results are held until then, not
// the inputs, so memory grows by one small result per such pod (docs/design/cross-object.md).
func (s *Scanner) settle(waits []*engine.Awaiting, emit func(*report.Report) error) error {
	part := &report.Report{FailOn: s.head.FailOn}
	engine.Settle(waits, part)
	if len(part.Results)+len(part.Suppressed) == 0 {
		return nil
	}
	return emit(part)
}
