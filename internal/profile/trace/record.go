//go:build linux

package trace

import (
	"context"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kharden/kharden/internal/profile"
	"github.com/kharden/kharden/internal/profile/seccomp"
	"github.com/kharden/kharden/internal/rootpath"
)

// Options adjust a recording.
type Options struct {
	// Files records what AppArmor needs besides syscalls: files, sockets,
	// capabilities. Without it only syscalls are recorded, which is faster.
	Files bool
	// AfterSeccomp records only the syscalls a process makes after it loaded a seccomp
	// filter and before it executes another program: what a container runtime's init
	// needs from the container's profile (see seccomp.Baseline).
	AfterSeccomp bool
	// Container records a container inside its runtime: the command is the runtime
	// running it (runc run), with a bundle whose seccomp profile lets everything
	// through. The runtime loads that filter just before it executes the container's
	// program: only processes that executed a program after loading a filter, and the
	// processes they start, are recorded. What the runtime does itself is its
	// baseline's (seccomp.Baseline), not the container's.
	Container bool
	// Root is the root filesystem the recorded programs see, on the host: symbolic
	// links in the paths recorded are resolved inside it, as the programs resolve
	// them. Empty: the host's root.
	Root string
}

// Result is what Record returns.
type Result struct {
	Recording *profile.Recording
	Exit      Exit
	// Warnings name what the recording could not capture exactly (a syscall number
	// the tables do not know, a path that could not be read).
	Warnings []string
}

// Record runs the command under ptrace and records what it does, following every
// thread, fork, vfork and exec. It returns when the command's first process has ended
// and every other one it started has been killed and reaped, or, when ctx ends, after
// killing and reaping them all (with what was recorded so far and ctx's error).
func Record(ctx context.Context, c Command, o Options) (*Result, error) {
	path, err := resolve(c.Args)
	if err != nil {
		return nil, err
	}
	native, err := seccomp.Native()
	if err != nil {
		return nil, err
	}
	r := &recorder{
		o: o, native: native, byAudit: map[uint32]seccomp.Arch{},
		rec: profile.New(c.Args, native.Name), warned: map[string]bool{}, goBinary: map[string]bool{},
		filtered: map[int]bool{}, workload: map[int]bool{}, tgids: map[int]int{},
	}
	r.rec.Arches = nil
	for _, a := range seccomp.Arches() {
		r.byAudit[a.AuditArch()] = a
	}
	exit, err := locked(func() (Exit, error) {
		pid, err := start(path, c.Args, c, nil)
		if err != nil {
			return Exit{}, err
		}
		r.execStop(pid) // the command's own executable
		t := &tracer{h: r, root: pid}
		return t.run(ctx, baseOptions|unix.PTRACE_O_TRACESYSGOOD)
	})
	if err != nil {
		return nil, err
	}
	if len(r.rec.Arches) == 0 {
		r.rec.Arches = []string{native.Name}
	}
	slices.Sort(r.rec.Arches)
	slices.Sort(r.warnings)
	res := &Result{Recording: r.rec, Exit: exit, Warnings: r.warnings}
	if ctx.Err() != nil {
		return res, context.Cause(ctx)
	}
	return res, nil
}

type recorder struct {
	o        Options
	native   seccomp.Arch
	byAudit  map[uint32]seccomp.Arch
	rec      *profile.Recording
	warnings []string
	warned   map[string]bool
	goBinary map[string]bool // executables read, and whether Go built them
	filtered map[int]bool    // AfterSeccomp, Container: processes that loaded a filter (true), then executed (false)
	workload map[int]bool    // Container: processes (by thread group) that are the container's, not the runtime's
	tgids    map[int]int     // Container: the thread group of each thread seen
	buf      [syscallInfoSize]byte
}

func (r *recorder) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if !r.warned[msg] {
		r.warned[msg] = true
		r.warnings = append(r.warnings, msg)
	}
}

func (r *recorder) restart(pid, sig int) error { return unix.PtraceSyscall(pid, sig) }

func (r *recorder) seccompStop(int, *proc) {}

// execStop records the program pid now runs: executed, and whether Go built it.
func (r *recorder) execStop(pid int) {
	if r.o.Container {
		if r.filtered[pid] {
			r.workload[pid] = true // the runtime executed the container's program
		}
		r.tgids[pid] = pid
	}
	if _, ok := r.filtered[pid]; ok {
		r.filtered[pid] = false // the program runs: its syscalls are not the runtime's
	}
	if r.o.Container && !r.workload[pid] {
		return
	}
	exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil {
		return
	}
	if r.o.Files {
		r.rec.AddFile(exe, profile.Execute|profile.Read|profile.Map)
		// The kernel maps the dynamic loader itself: no syscall shows it.
		if f, err := elf.Open("/proc/" + strconv.Itoa(pid) + "/exe"); err == nil {
			for _, ph := range f.Progs {
				if ph.Type == elf.PT_INTERP {
					b := make([]byte, ph.Filesz)
					if _, err := ph.ReadAt(b, 0); err == nil {
						if real, err := r.realpath(strings.TrimRight(string(b), "\x00")); err == nil {
							r.rec.AddFile(real, profile.Read|profile.Map)
						}
					}
				}
			}
			f.Close()
		}
	}
	isGo, seen := r.goBinary[exe]
	if !seen {
		_, err := buildinfo.ReadFile("/proc/" + strconv.Itoa(pid) + "/exe")
		isGo = err == nil
		r.goBinary[exe] = isGo
	}
	if isGo {
		r.rec.GoRuntime = true
	}
}

func (r *recorder) syscallStop(pid int, p *proc) {
	in, err := getSyscallInfo(pid, &r.buf)
	if err != nil {
		return
	}
	switch in.op {
	case unix.PTRACE_SYSCALL_INFO_EXIT:
		if p.pending != nil {
			f := p.pending
			p.pending = nil
			f(in.ret)
		}
		return
	case unix.PTRACE_SYSCALL_INFO_ENTRY:
	default:
		return
	}
	p.pending = nil
	a, ok := r.byAudit[in.arch]
	if !ok {
		r.warn("syscall %d of an architecture kharden has no table for (AUDIT_ARCH %#x): left out", in.nr, in.arch)
		return
	}
	if !slices.Contains(r.rec.Arches, a.Name) {
		r.rec.Arches = append(r.rec.Arches, a.Name)
	}
	name, ok := a.SyscallName(in.nr)
	if r.o.AfterSeccomp || r.o.Container && !r.inWorkload(pid) {
		tgid, known := r.tgids[pid]
		if !known {
			tgid = pidOf(pid)
		}
		if r.o.AfterSeccomp && r.filtered[tgid] && ok {
			r.rec.Syscalls[name]++
		}
		if name == "seccomp" && in.args[0] == 1 || name == "prctl" && in.args[0] == 22 { // SECCOMP_SET_MODE_FILTER, PR_SET_SECCOMP
			p.pending = func(ret int64) {
				if _, seen := r.filtered[tgid]; ret == 0 && !seen {
					r.filtered[tgid] = true
				}
			}
		}
		return
	}
	if !ok {
		r.rec.Unknown[in.nr]++
		r.warn("syscall number %d is in no %s table kharden has: kept as a number in the recording, left out of the profile", in.nr, a.Name)
		return
	}
	r.rec.Syscalls[name]++
	if r.o.Files {
		p.pending = r.observe(pid, name, in.args)
	}
}

// Linux constants the recorder reads arguments with.
const (
	atFDCWD     = -100
	atRemoveDir = 0x200
	oPath       = 0o10000000
	oAccMode    = 0o3
	oCreat      = 0o100
	oTrunc      = 0o1000
	protExec    = 0x4
	sIFMT       = 0o170000
	sIFCHR      = 0o20000
	sIFBLK      = 0o60000
	pathMax     = 4096
)

var families = map[uint64]string{1: "unix", 2: "inet", 10: "inet6", 16: "netlink", 17: "packet"}
var sockTypes = map[uint64]string{1: "stream", 2: "dgram", 3: "raw", 4: "rdm", 5: "seqpacket"}

// capabilityOf names the capability a syscall needs when it succeeds (as root: for
// another user most of them fail).
var capabilityOf = map[string]string{
	"chroot": "sys_chroot", "mount": "sys_admin", "umount2": "sys_admin", "pivot_root": "sys_admin",
	"sethostname": "sys_admin", "setdomainname": "sys_admin", "setns": "sys_admin", "swapon": "sys_admin",
	"swapoff": "sys_admin", "unshare": "sys_admin",
	"setuid": "setuid", "setreuid": "setuid", "setresuid": "setuid", "setfsuid": "setuid",
	"setgid": "setgid", "setregid": "setgid", "setresgid": "setgid", "setfsgid": "setgid", "setgroups": "setgid",
	"init_module": "sys_module", "finit_module": "sys_module", "delete_module": "sys_module",
	"reboot": "sys_boot", "settimeofday": "sys_time", "clock_settime": "sys_time",
	"iopl": "sys_rawio", "ioperm": "sys_rawio", "acct": "sys_pacct",
	"chown": "chown", "lchown": "chown", "fchown": "chown", "fchownat": "chown",
}

// observe reads what AppArmor needs from a syscall's entry, and returns what to record
// at its exit, given its return value (nil: nothing).
func (r *recorder) observe(pid int, name string, a [6]uint64) func(int64) {
	ok := func(ret int64) bool { return ret >= 0 }
	capOnSuccess := func(next func(int64)) func(int64) {
		c, has := capabilityOf[name]
		if !has {
			return next
		}
		return func(ret int64) {
			if ok(ret) {
				r.rec.AddCapability(c)
			}
			if next != nil {
				next(ret)
			}
		}
	}
	switch name {
	case "open", "openat", "creat", "openat2":
		var flags uint64
		switch name {
		case "open":
			flags = a[1]
		case "openat":
			flags = a[2]
		case "creat":
			flags = oCreat | oTrunc | 1
		case "openat2":
			var b [8]byte
			if _, err := readMemory(pid, a[2], b[:]); err == nil {
				flags = uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24
			}
		}
		if flags&oPath != 0 {
			return nil // O_PATH opens nothing AppArmor mediates
		}
		var acc profile.Access
		switch flags & oAccMode {
		case 0:
			acc = profile.Read
		case 1:
			acc = profile.Write
		default:
			acc = profile.Read | profile.Write
		}
		if flags&(oCreat|oTrunc) != 0 {
			acc |= profile.Write
		}
		return func(ret int64) {
			if !ok(ret) {
				return
			}
			p, dir, err := fdPath(pid, int(ret))
			if err != nil || !filepath.IsAbs(p) {
				return // a memfd, a deleted file, a process gone
			}
			if dir {
				acc |= profile.Dir
			}
			r.rec.AddFile(p, acc)
		}
	case "execve", "execveat":
		pathArg, dirfd := a[0], int64(atFDCWD)
		if name == "execveat" {
			pathArg, dirfd = a[1], int64(int32(a[0]))
		}
		p := r.path(pid, dirfd, pathArg)
		return func(ret int64) {
			if ok(ret) && p != "" {
				// The name executed: a script, or a link to the program (AppArmor
				// mediates the file a link resolves to, which execStop records).
				if real, err := r.realpath(p); err == nil {
					r.rec.AddFile(real, profile.Execute|profile.Read)
				}
			}
		}
	case "mmap":
		if a[2]&protExec != 0 && int32(a[4]) >= 0 {
			if p, _, err := fdPath(pid, int(int32(a[4]))); err == nil && filepath.IsAbs(p) {
				r.rec.AddFile(p, profile.Map|profile.Read)
			}
		}
		return nil
	case "socket":
		fam, typ := families[a[0]], sockTypes[a[1]&0xf]
		return func(ret int64) {
			if !ok(ret) || fam == "" || typ == "" {
				return
			}
			r.rec.AddSocket(profile.Socket{Family: fam, Type: typ})
			if typ == "raw" || fam == "packet" {
				r.rec.AddCapability("net_raw")
			}
		}
	case "bind":
		var b [4]byte
		if n, err := readMemory(pid, a[1], b[:]); err != nil || n < 4 {
			return nil
		}
		fam, port := uint16(b[0])|uint16(b[1])<<8, int(b[2])<<8|int(b[3])
		if (fam == 2 || fam == 10) && port > 0 && port < 1024 {
			return func(ret int64) {
				if ok(ret) {
					r.rec.AddCapability("net_bind_service")
				}
			}
		}
		return nil
	case "mknod", "mknodat":
		pathArg, dirfd, mode := a[0], int64(atFDCWD), a[1]
		if name == "mknodat" {
			pathArg, dirfd, mode = a[1], int64(int32(a[0])), a[2]
		}
		p := r.path(pid, dirfd, pathArg)
		return func(ret int64) {
			if ok(ret) {
				if t := mode & sIFMT; t == sIFCHR || t == sIFBLK {
					r.rec.AddCapability("mknod")
				}
				r.add(p, profile.Write)
			}
		}
	}
	// Syscalls that change a path: (index of the path argument, of its directory
	// descriptor or -1, extra access).
	type change struct {
		path, dirfd int
		acc         profile.Access
	}
	var changes []change
	switch name {
	case "mkdir", "rmdir":
		changes = []change{{0, -1, profile.Dir}}
	case "mkdirat":
		changes = []change{{1, 0, profile.Dir}}
	case "unlink", "truncate", "chmod", "chown", "lchown":
		changes = []change{{0, -1, 0}}
	case "unlinkat":
		var d profile.Access
		if a[2]&atRemoveDir != 0 {
			d = profile.Dir
		}
		changes = []change{{1, 0, d}}
	case "fchmodat", "fchownat":
		changes = []change{{1, 0, 0}}
	case "rename":
		changes = []change{{0, -1, 0}, {1, -1, 0}}
	case "renameat", "renameat2":
		changes = []change{{1, 0, 0}, {3, 2, 0}}
	case "symlink":
		changes = []change{{1, -1, 0}}
	case "symlinkat":
		changes = []change{{2, 1, 0}}
	case "link":
		changes = []change{{1, -1, profile.Link}}
	case "linkat":
		changes = []change{{3, 2, profile.Link}}
	}
	if len(changes) == 0 {
		return capOnSuccess(nil)
	}
	type target struct {
		p   string
		acc profile.Access
	}
	var ts []target
	for _, c := range changes {
		dirfd := int64(atFDCWD)
		if c.dirfd >= 0 {
			dirfd = int64(int32(a[c.dirfd]))
		}
		ts = append(ts, target{r.path(pid, dirfd, a[c.path]), profile.Write | c.acc})
	}
	return capOnSuccess(func(ret int64) {
		if ret == 0 {
			for _, t := range ts {
				r.add(t.p, t.acc)
			}
		}
	})
}

// inWorkload tells whether thread tid is the container's (Container): a thread of a
// process that is, or the first thread of a process whose parent is.
func (r *recorder) inWorkload(tid int) bool {
	tgid, ok := r.tgids[tid]
	if !ok {
		var ppid int
		tgid, ppid = ids(tid)
		r.tgids[tid] = tgid
		if _, known := r.workload[tgid]; !known {
			r.workload[tgid] = r.workload[ppid]
		}
	}
	return r.workload[tgid]
}

// realpath resolves the symbolic links of p, an absolute path as the recorded programs
// see it, inside Options.Root.
func (r *recorder) realpath(p string) (string, error) {
	if r.o.Root == "" {
		return filepath.EvalSymlinks(p)
	}
	return rootpath.Resolve(hostDir(r.o.Root), p, false)
}

// hostDir reads a directory of the host as a rootpath.FS (the recorder only reads it).
type hostDir string

func (d hostDir) Lstat(name string) (os.FileInfo, error) {
	return os.Lstat(filepath.Join(string(d), name))
}
func (d hostDir) Readlink(name string) (string, error) {
	return os.Readlink(filepath.Join(string(d), name))
}

func (r *recorder) add(p string, a profile.Access) {
	if p != "" {
		r.rec.AddFile(p, a)
	}
}

// path reads a path argument and makes it absolute against the process's working
// directory or the directory descriptor dirfd; "" when it cannot.
func (r *recorder) path(pid int, dirfd int64, addr uint64) string {
	p, err := readString(pid, addr, pathMax)
	if err != nil || p == "" {
		return ""
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	var base string
	if dirfd == atFDCWD {
		base, err = os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd")
	} else {
		base, _, err = fdPath(pid, int(dirfd))
	}
	if err != nil || !filepath.IsAbs(base) {
		return ""
	}
	return filepath.Join(base, p)
}
