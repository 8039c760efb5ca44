package scan

import (
	"fmt"

	"github.com/kharden/kharden/internal/engine"
	"github.com/kharden/kharden/internal/rules/k8s"
	"github.com/kharden/kharden/internal/source/seccomp"
)

// SeccompDir gives the manifest rules the nodes' seccomp directory dir (kharden scan and
// audit cluster --seccomp-dir), where seccomp-localhost-profile looks for the Localhost
// profiles workloads name. Without one (dir ""), the rule has nothing to judge and is
// taken out of o.Rules, so that no report lists it as having run. A dir that does not
// exist or is not a directory is an error.
func SeccompDir(o *engine.Options, dir string) error {
	if dir == "" {
		out := o.Rules[:0:0]
		for _, r := range o.Rules {
			if r.ID != k8s.SeccompLocalhostProfile.ID {
				out = append(out, r)
			}
		}
		o.Rules = out
		return nil
	}
	d, err := seccomp.OpenDir(dir)
	if err != nil {
		return fmt.Errorf("--seccomp-dir: %w", err)
	}
	o.Settings.SeccompDir = d
	return nil
}
