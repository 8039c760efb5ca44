//go:build !unix

package vuln

import "time"

// cpuTime is not measured here.
func cpuTime() time.Duration { return 0 }
