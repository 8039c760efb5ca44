package seccomp

// Extra is a syscall a profile allows without its recording showing it, and why.
type Extra struct {
	Name   string
	Reason string
}

// Always are the syscalls every generated profile allows: a recording cannot show them
// reliably, and a program denied one fails in ways a test run rarely catches.
var Always = []Extra{
	{"execve", "the runtime loads the profile, then executes the program: that first execve is never recorded (the tracer sees the program from its first instruction)"},
	{"exit", "a thread ends with it; a recorded thread that was still running when the program ended never called it"},
	{"exit_group", "a process ends with it; a recorded process killed by a signal never called it"},
	{"restart_syscall", "the kernel makes it itself to resume a sleep interrupted by a stop and continue signal"},
	{"rt_sigreturn", "returns from every signal handler; which signals arrive depends on timing"},
}

// GoRuntime are the syscalls a Go program's runtime makes depending on scheduling,
// garbage collection and preemption timing rather than on what the program does: one
// run can miss any of them. A profile allows them when the recording executed a Go
// binary (read from its build information).
var GoRuntime = []Extra{
	{"futex", "parks and wakes threads"},
	{"getpid", "preemption signals go to the process's own threads"},
	{"gettid", "a new thread reads its ID"},
	{"madvise", "the scavenger returns memory to the kernel"},
	{"mmap", "the heap grows"},
	{"munmap", "the heap shrinks"},
	{"nanosleep", "spinning threads back off"},
	{"rt_sigaction", "a new thread installs signal handlers"},
	{"rt_sigprocmask", "a new thread sets its signal mask"},
	{"sched_yield", "spinning threads yield"},
	{"sigaltstack", "a new thread installs its signal stack"},
	{"tgkill", "preempts a goroutine with SIGURG"},
}
