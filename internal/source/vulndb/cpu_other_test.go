//go:build !unix

package vulndb

import "time"

// cpuTime is not measured here.
func cpuTime() time.Duration { return 0 }
