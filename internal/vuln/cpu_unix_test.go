//go:build unix

package vuln

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) the process has used so far: a
// benchmark reports it per op beside the wall time, which on a busy machine measures
// the machine more than the code.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
