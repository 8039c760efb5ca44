// Package node collects, once, the typed facts a node audit's rules evaluate: the
// Kubernetes components running or installed on the node with their flags, the owner and
// mode of the files the CIS Kubernetes Benchmark names, and the operating system's
// hardening state (kernel, sysctls, modprobe.d, sshd, sudoers, PAM, SELinux, AppArmor,
// packages). Rules never touch the filesystem; they read Facts.
//
// # Host
//
// A Host is a node's filesystem and process list seen through a root directory: "/" on
// the node itself, or a mounted host root such as /host in a DaemonSet pod, whose
// processes are read from <root>/proc. Every path a Host takes is absolute on the node
// and never leaves the root: symbolic links are resolved as the node resolves them, with
// the root as "/" (a link to "/etc/shadow" under /host means /host/etc/shadow, and ".."
// stops at the root), and files are opened through an os.Root. Owner names come from the
// node's own /etc/passwd and /etc/group, not the auditing process's. Files are read up
// to MaxFileSize (4 MiB); a larger one is an error, not a truncated read.
//
// # Fixtures
//
// OpenFixture reads a test host from a directory testdata/hosts/<scenario>/ holding:
//
//   - root/: the node's files, at their paths under root/ (root/etc/kubernetes/...).
//   - modes (optional): owner and mode, which git does not keep. One line per path:
//     "<octal mode> <user>:<group> <absolute path>", for example
//     "0600 root:root /etc/kubernetes/admin.conf" or "0700 etcd:etcd /var/lib/etcd";
//     user and group are names (resolved through root/etc/passwd and root/etc/group,
//     the UID or GID is -1 when the name is not there) or numbers. A line
//     "unreadable <absolute path>" makes reading that file or directory fail with
//     permission denied, as it does for an audit without privileges. Blank lines and
//     lines starting with # are ignored. Files not listed are 0644 root:root and
//     directories 0755 root:root; the file-type bits come from the tree.
//   - processes.yaml (optional): the process list, a YAML list of
//     {pid: 1234, argv: [...], env: ["KEY=VALUE", ...], envError: "permission denied"};
//     envError, when set, is the error reading the environment gave.
//
// # Components and precedence
//
// Collect finds each of kube-apiserver, kube-controller-manager, kube-scheduler, etcd,
// kubelet and kube-proxy where it is most authoritative: a running process wins (every
// instance is kept); else the static pod manifest (kubeadm's
// /etc/kubernetes/manifests/<name>.yaml and the other usual places); else the systemd
// unit (/etc/systemd/system, /run/systemd/system, /lib/systemd/system,
// /usr/lib/systemd/system, with drop-ins); else, for the kubelet only, the files
// installers leave at known paths (its config file, kubeadm-flags.env and the
// KUBELET_EXTRA_ARGS files), as Kind FromDefaults. Each component's flags are a flags.Set, each
// value keeping the file and line it came from, with the content of the files the checks
// need (Set.Files).
//
// # Certificates
//
// Facts.Certificates holds the X.509 certificates of the *.crt files under
// /etc/kubernetes/pki and of the kubelet's client CA file and serving certificate
// (--tls-cert-file or tlsCertFile): subject and issuer, validity, whether it is a CA,
// public key and signature algorithm, one fact per CERTIFICATE block, or an error fact
// for a file that cannot be read or holds none that parses. Private keys are never read
// (*.key files are only stat'ed). Facts.Now is the collection time they are judged at;
// for a fixture it is FixtureTime, so that verdicts do not change with the day.
//
// # Errors
//
// Collect never fails as a whole. A fact that could not be read carries an error saying
// what and why ("/etc/kubernetes/manifests/kube-apiserver.yaml: permission denied"), so a
// rule reports Error or Skipped for it, never Fail; errors.Is(err, fs.ErrNotExist) tells
// a missing file from an unreadable one.
package node
