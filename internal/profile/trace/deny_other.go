//go:build linux && !amd64

package trace

import (
	"fmt"
	"runtime"
)

func canDeny() error {
	return fmt.Errorf("kharden profile check runs on x86_64 only, not %s", runtime.GOARCH)
}

func skip(pid, errno int) {}
