package modules

// Group is the way a module gets loaded on demand, which is also how its section of the
// generated file is titled.
type Group string

// The groups, in the order the generated file lists them.
const (
	// Network: a socket of the family or protocol makes the kernel load the module
	// (socket(AF_CAN, ...) asks for the alias net-pf-29). Any process may open a socket,
	// a container's included, and the module is loaded into the node's kernel.
	Network Group = "Network protocols, loaded when any process opens a socket of their family"
	// Terminal: the TIOCSETD ioctl on a terminal the process owns, a pseudo-terminal for
	// instance, loads the line discipline's module (unless dev.tty.ldisc_autoload=0).
	Terminal Group = "Terminal line disciplines, loaded when a process sets one on a terminal it owns"
	// Filesystem: mounting needs privilege, but a node never needs these, and their
	// parsers read disk images that may come from anywhere. The CIS benchmarks of the
	// Linux distributions disable them.
	Filesystem Group = "Filesystems that no node mounts, whose drivers parse untrusted disk images"
	// Added: modules named with Options.Add.
	Added Group = "Added with --add"
)

// Module is a kernel module of the list, with the reason to block it.
type Module struct {
	// Name as modprobe and /proc/modules spell it, with underscores.
	Name  string
	Group Group
	// Reason: what the module is, why a Kubernetes node does without it, and what went
	// wrong in it. One sentence or two; the generated file wraps it.
	Reason string
}

// builtin is the list, by group. A module belongs here when an unprivileged process can
// make the kernel load it, nothing on a typical Kubernetes node uses it, and its code has
// a record of exploitable bugs; or, for the filesystems, when the CIS distribution
// benchmarks disable it and no node mounts it. Left out on purpose (docs/profile-modules.md):
// squashfs (snap packages and some OS images), udf (cloud provisioning media), vfat (the
// EFI system partition), usb_storage (needs hands on the machine; add it on bare metal),
// and nf_tables, often exploited but what kube-proxy and most CNI plugins run on.
var builtin = []Module{
	{"dccp", Network, "Datagram Congestion Control Protocol, a transport nobody adopted: deprecated in " +
		"Linux 6.4 and removed in 6.16 for want of a maintainer. CVE-2017-6074, a double free any " +
		"user could trigger, gave local root."},
	{"sctp", Network, "Stream Control Transmission Protocol, used for telecom signalling. Its socket code " +
		"has had a string of memory-safety bugs, CVE-2021-23133 (a race leading to privilege " +
		"escalation) among them. Kubernetes Services with protocol SCTP need it: --exclude sctp there."},
	{"rds", Network, "Reliable Datagram Sockets, an interconnect for Oracle database clusters. " +
		"CVE-2010-3904, a missing check on a user-supplied pointer, gave local root; CVE-2019-11815 " +
		"was a use-after-free race."},
	{"tipc", Network, "Transparent Inter-Process Communication, a cluster messaging protocol. " +
		"CVE-2021-43267, a heap overflow in its key-exchange messages, could be triggered from the " +
		"network once the module was loaded."},
	{"can", Network, "Controller Area Network, the bus of cars and industrial controllers; can_bcm, " +
		"can_raw, can_gw and can_isotp all need this core module. CVE-2021-3609, a race in the " +
		"broadcast manager, gave local root."},
	{"ax25", Network, "AX.25, the amateur radio link layer that netrom and rose build on. Almost nobody " +
		"runs it, and fuzzers keep finding use-after-free bugs in it."},
	{"netrom", Network, "NET/ROM, an amateur radio network layer over AX.25: the same small audience " +
		"and the same run of use-after-free fixes."},
	{"rose", Network, "ROSE, an amateur radio packet layer over AX.25: the same small audience and the " +
		"same run of use-after-free fixes."},
	{"x25", Network, "X.25, a packet-switched WAN protocol older than the Internet. CVE-2022-1516 let a " +
		"local user crash the kernel through it."},
	{"appletalk", Network, "AppleTalk, which Apple itself dropped in Mac OS X 10.6 (2009): old socket code " +
		"with no use on a server."},
	{"atm", Network, "Asynchronous Transfer Mode sockets: no node has ATM hardware, yet the socket " +
		"families load without it."},
	{"ipx", Network, "Novell IPX, removed from Linux in 4.18 and still shipped by older kernels. " +
		"CVE-2017-7487 was a use-after-free in its ioctl handling."},
	{"decnet", Network, "DECnet, removed from Linux in 6.1 after years without a maintainer and still " +
		"shipped by older kernels."},
	{"ieee802154_socket", Network, "IEEE 802.15.4 sockets (low-power wireless: Zigbee, 6LoWPAN), with no " +
		"radio to drive on a server; the stack has needed repeated memory-safety fixes."},
	{"nfc", Network, "Near Field Communication sockets, which load without any NFC hardware. " +
		"CVE-2021-23134, a use-after-free in its LLCP sockets, allowed local privilege escalation."},
	{"bluetooth", Network, "Bluetooth, whose sockets load whether or not the machine has a radio. " +
		"BleedingTooth (CVE-2020-12351) ran code in the kernel from a nearby device."},
	{"n_hdlc", Terminal, "HDLC line discipline for synchronous serial cards. CVE-2017-2636, a race that " +
		"freed a buffer twice, gave local root: any user can set it on a pseudo-terminal."},
	{"cramfs", Filesystem, "Compressed ROM filesystem of embedded devices."},
	{"freevxfs", Filesystem, "Read-only driver for Veritas VxFS, the filesystem of old HP-UX and Solaris " +
		"systems."},
	{"hfs", Filesystem, "Classic Mac OS filesystem: long without a maintainer, and a steady source " +
		"of memory corruption found by fuzzing."},
	{"hfsplus", Filesystem, "Mac OS Extended filesystem: the same history as hfs."},
	{"jffs2", Filesystem, "Journalling filesystem for raw flash chips, which servers and virtual " +
		"machines do not have."},
}

// groups is the order of the sections.
var groups = []Group{Network, Terminal, Filesystem, Added}

// List returns the built-in list, a copy the caller may change.
func List() []Module { return append([]Module(nil), builtin...) }
