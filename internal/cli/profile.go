package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/internal/profile/modules"
)

func newProfile(s IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profile",
		Short: "Generate hardening profiles for workloads and nodes",
		Long: `Generate hardening profiles for workloads and nodes: kharden profile record writes
seccomp and AppArmor profiles from what a program does, kharden profile check proves
a seccomp profile enough for it, kharden profile merge joins several runs, and
kharden profile modules writes the modprobe.d file that stops the kernel from loading
risky modules on demand.`,
	}
	cmd.AddCommand(newProfileRecord(s), newProfileCheck(s), newProfileMerge(s), newProfileModules(s))
	return cmd
}

func newProfileModules(s IO) *cobra.Command {
	var (
		o          modules.Options
		root, out  string
		keepLoaded bool
	)
	cmd := &cobra.Command{
		Use:   "modules [flags]",
		Short: "Write a modprobe.d file that blocks risky kernel modules",
		Long: `Write a modprobe.d file that blocks kernel modules which any process, a container's
included, can have the node's kernel load on demand, and whose code has a record of
exploitable bugs: dccp, sctp, rds, tipc, rarely used socket families (CAN, amateur
radio, X.25, AppleTalk, ATM, IPX, DECnet, 802.15.4, NFC, Bluetooth), the n_hdlc line
discipline, and filesystems no node mounts. The file gives the reason for each one.

Install it on every node as
  ` + modules.InstallPath + `
and verify with
  modprobe -n -v dccp      # prints "install /bin/false"
It acts on the next load: modules already loaded stay until a reboot or rmmod.
With --keep-loaded, modules loaded now (read from --root's /proc/modules) are left
unblocked and noted "kept: loaded", so installing the file breaks nothing running.

The stronger alternative is the sysctl kernel.modules_disabled=1, set once every
module the node needs is loaded: it forbids loading any module at all until the next
boot, and cannot be turned off again.

Module names are letters, digits, "_" and "-" ("-" and "_" are the same to
modprobe). See docs/profile-modules.md.

Exit codes: 0 written, 2 usage or operational error (an invalid module name, an
unreadable /proc/modules, an unwritable output file).`,
		Example: `  kharden profile modules > /etc/modprobe.d/kharden-blacklist.conf
  kharden profile modules --keep-loaded --exclude sctp --output /etc/modprobe.d/kharden-blacklist.conf
  kharden profile modules --root /host --keep-loaded --add usb-storage`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return &exitError{ExitError, err}
			}
			if keepLoaded {
				path := filepath.Join(root, "proc", "modules")
				data, err := os.ReadFile(path)
				if err != nil {
					return &exitError{ExitError, fmt.Errorf("--keep-loaded: %w", err)}
				}
				if o.Loaded, err = modules.ParseLoaded(data); err != nil {
					return &exitError{ExitError, fmt.Errorf("--keep-loaded: %s: %w", path, err)}
				}
			}
			data := modules.Generate(o)
			if out == "" || out == "-" {
				if _, err := s.Out.Write(data); err != nil {
					return &exitError{ExitError, err}
				}
				return nil
			}
			if err := writeFileAtomic(out, data, 0o644); err != nil {
				return &exitError{ExitError, err}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&root, "root", "/", "root of the node's filesystem: `DIR`/proc/modules is what --keep-loaded reads")
	f.BoolVar(&keepLoaded, "keep-loaded", false, "leave modules that are loaded now unblocked (noted \"kept: loaded\")")
	// Not StringSliceVar: it reads its value as CSV, so a newline would end the record
	// and silently drop the names after it, and quotes would be taken away.
	f.Var((*nameList)(&o.Add), "add", "more `MODULES` to block, comma-separated (repeatable)")
	f.Var((*nameList)(&o.Exclude), "exclude", "`MODULES` of the list not to block, comma-separated (repeatable)")
	f.StringVar(&out, "output", "", "write the file to `FILE`, replaced whole (default: standard output)")
	// -o/--out was this flag; -o means an output format everywhere else, so the old
	// spelling still works, hidden, with a warning.
	f.StringVarP(&out, "out", "o", "", "")
	f.MarkHidden("out")
	cmd.PreRun = func(cmd *cobra.Command, _ []string) {
		if cmd.Flags().Changed("out") {
			fmt.Fprintln(s.Err, "kharden: warning: -o/--out is now --output FILE (-o names an output format in other commands)")
		}
	}
	return cmd
}

// nameList is a repeatable flag of comma-separated names, split on commas and nothing
// else, so that every character given reaches the name check.
type nameList []string

func (l *nameList) String() string { return strings.Join(*l, ",") }
func (l *nameList) Type() string   { return "strings" }
func (l *nameList) Set(v string) error {
	*l = append(*l, strings.Split(v, ",")...)
	return nil
}

// writeFileAtomic writes data to a temporary file beside path and renames it into place,
// so that a reader (modprobe, here) never sees half a file.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
