package node

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/rules/flags"
)

func collectFixture(t *testing.T, name string) *Facts {
	t.Helper()
	h, err := OpenFixture("testdata/hosts/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	f := Collect(h)
	if len(f.Errors) > 0 {
		t.Fatalf("collector errors: %v", f.Errors)
	}
	return f
}

// flagAt returns "value@file:line" for the last occurrence of a flag, "value@argN" when
// it has no file.
func flagAt(s *flags.Set, name string) string {
	v, ok := s.Lookup(name)
	switch {
	case !ok:
		return "<unset>"
	case v.Origin.Env != "":
		return v.Value + "@$" + v.Origin.Env
	case v.Origin.File != "":
		return fmt.Sprintf("%s@%s:%d", v.Value, v.Origin.File, v.Origin.Line)
	}
	return fmt.Sprintf("%s@arg%d", v.Value, v.Origin.Arg)
}

func TestComponentsKubeadm(t *testing.T) {
	f := collectFixture(t, "kubeadm")
	var got []string
	for _, c := range f.Components {
		got = append(got, fmt.Sprintf("%s %s %s %d", c.Name, c.Kind, c.Source, c.PID))
		if c.Err != nil || c.Flags == nil || c.Flags.Component != c.Name || c.Flags.Source != c.Source {
			t.Errorf("%s: err %v, flags %+v", c.Name, c.Err, c.Flags)
		}
	}
	want := []string{
		"kube-apiserver static-pod /etc/kubernetes/manifests/kube-apiserver.yaml 0",
		"kube-controller-manager static-pod /etc/kubernetes/manifests/kube-controller-manager.yaml 0",
		"kube-scheduler static-pod /etc/kubernetes/manifests/kube-scheduler.yaml 0",
		"etcd process process 812 812", // the process wins over /etc/kubernetes/manifests/etcd.yaml
		"kubelet unit /lib/systemd/system/kubelet.service 0",
		"kube-proxy process process 1500 1500",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("components:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	api, kcm, etcd, kubelet, proxy := f.Components[0], f.Components[1], f.Components[3], f.Components[4], f.Components[5]

	const manifest = "/etc/kubernetes/manifests/kube-apiserver.yaml"
	for flag, want := range map[string]string{
		"anonymous-auth":             "false@" + manifest + ":13",
		"encryption-provider-config": "/etc/kubernetes/enc/enc.yaml@" + manifest + ":15",
		"client-ca-file":             "/etc/kubernetes/pki/ca.crt@" + manifest + ":17", // flow-style args
	} {
		if got := flagAt(api.Flags, flag); got != want {
			t.Errorf("apiserver --%s = %s, want %s", flag, got, want)
		}
	}
	if v, _ := api.Flags.Lookup("profiling"); v.Origin.Arg != 6 {
		t.Errorf("--profiling Arg = %d, want 6 (index in command+args)", v.Origin.Arg)
	}
	if b, p, ok := api.Flags.File("encryption-provider-config"); !ok || !strings.Contains(string(b), "aescbc") {
		t.Errorf("encryption config %s not read: %q", p, b)
	}
	if err := api.FileErrors["/etc/kubernetes/audit/policy.yaml"]; !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing audit policy: FileErrors = %v", api.FileErrors)
	}
	// The container that runs the component, not the first one.
	if got := flagAt(kcm.Flags, "profiling"); got != "true@/etc/kubernetes/manifests/kube-controller-manager.yaml:15" {
		t.Errorf("controller-manager --profiling = %s", got)
	}

	if got := flagAt(etcd.Flags, "peer-client-cert-auth"); got != "true@$ETCD_PEER_CLIENT_CERT_AUTH" {
		t.Errorf("etcd env flag = %s", got)
	}
	if got := flagAt(etcd.Flags, "client-cert-auth"); got != "true@arg2" {
		t.Errorf("etcd argv flag = %s", got)
	}
	if _, _, ok := etcd.Flags.File("config-file"); !ok {
		t.Errorf("etcd --config-file (from ETCD_CONFIG_FILE) not read; errors %v", etcd.FileErrors)
	}

	for flag, want := range map[string]string{
		// From Environment= in a drop-in, expanded from $KUBELET_KUBECONFIG_ARGS.
		"kubeconfig": "/etc/kubernetes/kubelet.conf@/etc/systemd/system/kubelet.service.d/10-kubeadm.conf:3",
		// From the EnvironmentFile.
		"container-runtime-endpoint": "unix:///var/run/containerd/containerd.sock@/var/lib/kubelet/kubeadm-flags.env:1",
		// ${CONFIG_DIR} set in a drop-in of a lower-priority directory.
		"config-dir": "/var/lib/kubelet/config.d@/usr/lib/systemd/system/kubelet.service.d/20-extra.conf:2",
	} {
		if got := flagAt(kubelet.Flags, flag); got != want {
			t.Errorf("kubelet --%s = %s, want %s", flag, got, want)
		}
	}
	files := slices.Sorted(maps.Keys(kubelet.Flags.Files))
	wantFiles := []string{"/var/lib/kubelet/config.d", "/var/lib/kubelet/config.d/10-ro.conf", "/var/lib/kubelet/config.d/notes.txt", "/var/lib/kubelet/config.yaml"}
	if !slices.Equal(files, wantFiles) || len(kubelet.FileErrors) != 0 {
		t.Errorf("kubelet files %q, errors %v", files, kubelet.FileErrors)
	}
	if _, _, ok := proxy.Flags.File("config"); !ok {
		t.Errorf("kube-proxy --config not read: %v", proxy.FileErrors)
	}
	if len(f.Instances(Kubelet)) != 1 || len(f.Instances("nothing")) != 0 {
		t.Error("Instances")
	}
}

func TestFilesKubeadm(t *testing.T) {
	f := collectFixture(t, "kubeadm")
	var got []string
	for _, ff := range f.Files {
		line := fmt.Sprintf("%s %s", ff.Role, ff.Path)
		switch {
		case errors.Is(ff.Err, fs.ErrNotExist):
			line += " absent"
		case ff.Err != nil:
			line += " " + ff.Err.Error()
		default:
			line += fmt.Sprintf(" %o %s", ff.File.Perm(), ff.File.Owner())
		}
		if ff.From != nil {
			line += " from " + ff.From.String()
		}
		got = append(got, line)
	}
	want := []string{
		"apiserver-manifest /etc/kubernetes/manifests/kube-apiserver.yaml 600 root:root",
		"controller-manager-manifest /etc/kubernetes/manifests/kube-controller-manager.yaml 644 root:root",
		"scheduler-manifest /etc/kubernetes/manifests/kube-scheduler.yaml 644 1000:1000",
		"etcd-manifest /etc/kubernetes/manifests/etcd.yaml 644 root:root",
		"cni-config /etc/cni/net.d/10-net.conflist 644 root:root",
		"etcd-data-dir /var/lib/etcd 700 etcd:etcd from etcd --data-dir (process 812)",
		"admin-conf /etc/kubernetes/admin.conf 600 root:root",
		"super-admin-conf /etc/kubernetes/super-admin.conf absent",
		"scheduler-kubeconfig /etc/kubernetes/scheduler.conf absent",
		"controller-manager-kubeconfig /etc/kubernetes/kcm.conf 640 root:nosuchgroup from kube-controller-manager --kubeconfig (/etc/kubernetes/manifests/kube-controller-manager.yaml)",
		"pki-dir /etc/kubernetes/pki 755 root:root",
		"pki-dir /etc/kubernetes/pki/etcd 755 root:root",
		"pki-cert /etc/kubernetes/pki/ca.crt 644 root:root",
		"pki-cert /etc/kubernetes/pki/etcd/ca.crt 644 root:root",
		"pki-key /etc/kubernetes/pki/ca.key 600 root:root",
		"pki-key /etc/kubernetes/pki/etcd/ca.key 600 root:root",
		"pki-other /etc/kubernetes/pki/sa.pub 644 root:root",
		"kubelet-service /lib/systemd/system/kubelet.service 644 root:root",
		"kubelet-service-drop-in /etc/systemd/system/kubelet.service.d/10-kubeadm.conf 644 root:root",
		"kubelet-service-drop-in /usr/lib/systemd/system/kubelet.service.d/20-extra.conf 644 root:root",
		"proxy-kubeconfig /var/lib/kube-proxy/kubeconfig.conf 644 root:root from kube-proxy clientConnection.kubeconfig (/var/lib/kube-proxy/config.conf:4, process 1500)",
		"kubelet-kubeconfig /etc/kubernetes/kubelet.conf 644 root:root from kubelet --kubeconfig (/lib/systemd/system/kubelet.service)",
		"kubelet-client-ca /etc/kubernetes/pki/ca.crt 644 root:root from kubelet authentication.x509.clientCAFile (/var/lib/kubelet/config.yaml:5, /lib/systemd/system/kubelet.service)",
		"kubelet-config /var/lib/kubelet/config.yaml 644 root:root from kubelet --config (/lib/systemd/system/kubelet.service)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("files:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := len(f.FilesFor(RolePKIKey)); n != 2 {
		t.Errorf("FilesFor(pki-key) = %d files", n)
	}
}

func TestOSKubeadm(t *testing.T) {
	o := collectFixture(t, "kubeadm").OS
	if o.Kernel.Value != "6.8.0-45-generic" || o.Release.ID != "ubuntu" || o.Release.VersionID != "24.04" || o.Release.PrettyName != "Ubuntu 24.04.1 LTS" {
		t.Errorf("kernel %+v, release %+v", o.Kernel, o.Release)
	}
	if v, ok := o.Sysctl("kernel.randomize_va_space"); !ok || v.Value != "2" || v.Err != nil {
		t.Errorf("randomize_va_space = %+v", v)
	}
	if v, _ := o.Sysctl("kernel.kptr_restrict"); !errors.Is(v.Err, fs.ErrNotExist) {
		t.Errorf("a key the fixture lacks: %+v", v)
	}
	// /etc/sysctl.d/10-hardening.conf hides /usr/lib/sysctl.d/10-hardening.conf;
	// /etc/sysctl.conf, linked as 99-sysctl.conf, is read once and wins.
	var conf []string
	for _, s := range o.SysctlConf {
		conf = append(conf, fmt.Sprintf("%s=%s@%s", s.Key, s.Value, s.Pos))
	}
	wantConf := []string{
		"kernel.kptr_restrict=1@/etc/sysctl.d/10-hardening.conf:1",
		"net.ipv4.conf.eth0/100.rp_filter=1@/etc/sysctl.d/10-hardening.conf:3",
		"kernel.sysrq=16@/usr/lib/sysctl.d/50-default.conf:1",
		"kernel.kptr_restrict=2@/etc/sysctl.d/99-sysctl.conf:2",
	}
	if !slices.Equal(conf, wantConf) {
		t.Errorf("sysctl conf %q", conf)
	}
	if s, ok := o.PersistedSysctl("kernel.kptr_restrict"); !ok || s.Value != "2" {
		t.Errorf("PersistedSysctl = %+v", s)
	}

	var mp []string
	for _, r := range o.Modprobe {
		mp = append(mp, fmt.Sprintf("%s %s %q %v @%s", r.Kind, r.Module, r.Command, r.Disables(), r.Pos))
	}
	wantMP := []string{
		`blacklist rds "" false @/lib/modprobe.d/aliases.conf:2`,
		`blacklist dccp "" false @/etc/modprobe.d/blacklist-rare.conf:2`,
		`install dccp "/bin/false" true @/etc/modprobe.d/blacklist-rare.conf:3`,
		`install sctp "/bin/true" true @/etc/modprobe.d/blacklist-rare.conf:4`,
		`install tipc "/usr/bin/false" true @/etc/modprobe.d/blacklist-rare.conf:5`,
	}
	if !slices.Equal(mp, wantMP) {
		t.Errorf("modprobe:\n%s", strings.Join(mp, "\n"))
	}
	if len(o.ModprobeFor("dccp")) != 2 || !o.ModuleLoaded("br-netfilter") || o.ModuleLoaded("dccp") {
		t.Errorf("ModprobeFor / ModuleLoaded; modules %q", o.Modules)
	}

	if s, ok := o.SSHD.Get("PermitRootLogin"); !ok || s.Value != "prohibit-password" || s.Pos.String() != "/etc/ssh/sshd_config.d/50-cloud.conf:1" {
		t.Errorf("sshd PermitRootLogin: first value wins, included first: %+v", s)
	}
	if s, _ := o.SSHD.Get("passwordauthentication"); s.Value != "no" {
		t.Errorf("global PasswordAuthentication = %+v (the Match block must not apply)", s)
	}
	if len(o.SSHD.Match) != 1 || o.SSHD.Match[0].Criteria != "User backup" || len(o.SSHD.Match[0].Settings) != 1 ||
		o.SSHD.Match[0].Settings[0].Pos.Line != 6 {
		t.Errorf("sshd Match = %+v", o.SSHD.Match)
	}

	var sudo []string
	for _, sf := range o.Sudoers {
		sudo = append(sudo, fmt.Sprintf("%s %o %s %v", sf.Path, sf.File.Perm(), sf.File.Owner(), sf.Err))
		for _, l := range sf.Lines {
			sudo = append(sudo, fmt.Sprintf("  %s who=%q nopasswd=%v all=%v @%d", l.Kind, l.Who, l.NoPasswd, l.AllCommands, l.Pos.Line))
		}
	}
	wantSudo := []string{
		"/etc/sudoers 440 root:root <nil>",
		`  defaults who="" nopasswd=false all=false @1`,
		`  alias who="" nopasswd=false all=false @2`,
		`  rule who="root" nopasswd=false all=true @3`,
		`  rule who="%sudo" nopasswd=false all=true @4`,
		`  rule who="#1000" nopasswd=false all=false @5`,
		`  includedir who="/etc/sudoers.d" nopasswd=false all=false @7`,
		"/etc/sudoers.d/ops 440 root:root <nil>", // README.txt is skipped: it has a dot
		`  rule who="ops" nopasswd=true all=false @1`,
		`  rule who="deploy, ci" nopasswd=true all=true @3`,
	}
	if !slices.Equal(sudo, wantSudo) {
		t.Errorf("sudoers:\n%s", strings.Join(sudo, "\n"))
	}

	if len(o.PAM) != 2 || o.PAM[1].Path != "/etc/pam.d/sshd" || o.PAM[1].Lines[0].Type != "@include" || o.PAM[1].Lines[0].Module != "common-auth" ||
		o.PAM[0].Lines[0].Control != "[success=1 default=ignore]" || o.PAM[0].Lines[0].Module != "pam_unix.so" {
		t.Errorf("PAM = %+v", o.PAM)
	}
	if o.SELinux.Enforce.Value != "0" || o.SELinux.Mode.Value != "permissive" || o.SELinux.Mode.Pos.Line != 1 || o.SELinux.Type.Value != "targeted" {
		t.Errorf("SELinux = %+v", o.SELinux)
	}
	if o.AppArmor.Enabled.Value != "Y" || o.AppArmor.Profiles["enforce"] != 2 || o.AppArmor.Profiles["complain"] != 1 {
		t.Errorf("AppArmor = %+v", o.AppArmor)
	}
	var pkgs []string
	for _, p := range o.Packages {
		pkgs = append(pkgs, fmt.Sprintf("%s %s %s @%s", p.Manager, p.Name, p.Version, p.Pos))
	}
	wantPkgs := []string{ // telnetd is removed (config-files), not installed
		"apk busybox 1.36.1-r29 @/lib/apk/db/installed:6",
		"apk musl 1.2.5-r0 @/lib/apk/db/installed:2",
		"dpkg kubelet 1.34.0-1.1 @/var/lib/dpkg/status:12",
		"dpkg openssh-server 1:9.6p1-3ubuntu13.5 @/var/lib/dpkg/status:1",
	}
	if !slices.Equal(pkgs, wantPkgs) || len(o.PackagesErrors) != 0 {
		t.Errorf("packages %q, errors %v", pkgs, o.PackagesErrors)
	}
}

// TestBroken: what cannot be read is an error on the fact, and the rest is collected.
func TestBroken(t *testing.T) {
	f := collectFixture(t, "broken")
	got := map[string]string{}
	for _, c := range f.Components {
		got[c.Name] = fmt.Sprintf("%s %s: %v", c.Kind, c.Source, c.Err)
	}
	want := map[string]string{
		APIServer: "static-pod /etc/kubernetes/manifests/kube-apiserver.yaml: /etc/kubernetes/manifests/kube-apiserver.yaml: yaml: line 5: did not find expected ',' or ']'",
		Scheduler: "static-pod /etc/kubernetes/manifests/kube-scheduler.yaml: /etc/kubernetes/manifests/kube-scheduler.yaml: permission denied",
		Proxy:     "static-pod /etc/kubernetes/manifests/kube-proxy.yaml: /etc/kubernetes/manifests/kube-proxy.yaml: no container runs kube-proxy",
		Etcd:      "unit /usr/lib/systemd/system/etcd.service: /usr/lib/systemd/system/etcd.service: no ExecStart= in the [Service] section",
		Kubelet:   "unit /etc/systemd/system/kubelet.service: <nil>",
	}
	if !maps.Equal(got, want) {
		t.Errorf("components:\n%v\nwant:\n%v", got, want)
	}
	for _, c := range f.Components {
		if c.Flags == nil {
			t.Errorf("%s: nil Flags", c.Name)
		}
		if c.Name != Kubelet {
			continue
		}
		// An unset variable expands to nothing; a missing EnvironmentFile without "-" and
		// an unreadable drop-in are file errors.
		if got := flagAt(c.Flags, "kubeconfig"); got != "$KUBECONFIG@/etc/systemd/system/kubelet.service:3" {
			t.Errorf("kubelet --kubeconfig = %s (a $VAR inside a word is not expanded)", got)
		}
		errs := fmt.Sprint(c.FileErrors)
		if !strings.Contains(errs, "/etc/default/kubelet-missing: no such file") || !strings.Contains(errs, "10-secret.conf: permission denied") {
			t.Errorf("kubelet FileErrors = %s", errs)
		}
	}
	for _, ff := range f.Files {
		if ff.Role == RoleSchedulerManifest && ff.Err != nil {
			t.Errorf("an unreadable manifest can be stat'ed: %v", ff.Err)
		}
		if ff.Role == RoleCNIConfig && (ff.Path != cniDir || !errors.Is(ff.Err, fs.ErrNotExist)) {
			t.Errorf("CNI without /etc/cni/net.d: %+v", ff)
		}
	}
	if s, _ := f.OS.SSHD.Get("permitrootlogin"); s.Value != "no" || len(f.OS.SSHD.Errors) != 1 ||
		f.OS.SSHD.Errors[0].Error() != "/etc/ssh/missing.conf: no such file or directory" {
		t.Errorf("sshd %+v", f.OS.SSHD)
	}
	var sudo []string
	for _, sf := range f.OS.Sudoers {
		sudo = append(sudo, fmt.Sprintf("%s: %v", sf.Path, sf.Err))
	}
	wantSudo := []string{
		"/etc/sudoers: <nil>",
		"/etc/sudoers.local: /etc/sudoers.local: no such file or directory",
		"/etc/sudoers.d: /etc/sudoers.d: permission denied",
	}
	if !slices.Equal(sudo, wantSudo) {
		t.Errorf("sudoers %q", sudo)
	}
	if !errors.Is(f.OS.PAMErr, fs.ErrNotExist) || !errors.Is(f.OS.Release.Err, fs.ErrNotExist) {
		t.Errorf("PAM %v, release %v", f.OS.PAMErr, f.OS.Release.Err)
	}
}

// TestServices: etcd from a unit whose EnvironmentFile sets ETCD_* variables, a kubelet
// run by hyperkube whose config names another static pod directory.
func TestServices(t *testing.T) {
	f := collectFixture(t, "services")
	var got []string
	for _, c := range f.Components {
		got = append(got, fmt.Sprintf("%s %s %s %v", c.Name, c.Kind, c.Source, c.Err))
	}
	want := []string{
		"kube-apiserver static-pod /etc/kubelet.d/kube-apiserver.yaml <nil>",
		"etcd unit /etc/systemd/system/etcd.service <nil>",
		"kubelet process process 4242 <nil>",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("components:\n%s", strings.Join(got, "\n"))
	}
	etcd := f.Components[1]
	for flag, want := range map[string]string{
		"name":             "default@/etc/etcd/etcd.conf:1", // ${ETCD_NAME} in ExecStart
		"data-dir":         "/var/lib/etcd/default.etcd@$ETCD_DATA_DIR",
		"client-cert-auth": "true@$ETCD_CLIENT_CERT_AUTH",
	} {
		if got := flagAt(etcd.Flags, flag); got != want {
			t.Errorf("etcd --%s = %s, want %s", flag, got, want)
		}
	}
	if v, _ := etcd.Flags.Lookup("data-dir"); v.Origin.File != "/etc/etcd/etcd.conf" || v.Origin.Line != 2 {
		t.Errorf("etcd data-dir origin %+v", v.Origin)
	}
	if got := flagAt(f.Components[2].Flags, "config"); got != "/etc/kubelet/config.yaml@arg2" {
		t.Errorf("hyperkube kubelet --config = %s", got)
	}
	for role, want := range map[Role]string{
		RoleAPIServerManifest: "/etc/kubelet.d/kube-apiserver.yaml <nil> <nil>",
		RoleEtcdDataDir:       "/var/lib/etcd/default.etcd <nil> etcd data-dir (/etc/etcd/etcd.conf:2, /etc/systemd/system/etcd.service)",
		RoleKubeletClientCA:   "/etc/kubelet/ca.pem <nil> kubelet authentication.x509.clientCAFile (/etc/kubelet/config.yaml:5, process 4242)",
		RoleKubeletConfig:     "/etc/kubelet/config.yaml <nil> kubelet --config (process 4242)",
		RoleKubeletService:    "/etc/systemd/system/kubelet.service /etc/systemd/system/kubelet.service: no such file or directory <nil>",
	} {
		ffs := f.FilesFor(role)
		if len(ffs) != 1 {
			t.Errorf("%s: %d facts", role, len(ffs))
			continue
		}
		from := "<nil>"
		if ffs[0].From != nil {
			from = ffs[0].From.String()
		}
		if got := fmt.Sprintf("%s %v %s", ffs[0].Path, ffs[0].Err, from); got != want {
			t.Errorf("%s = %s, want %s", role, got, want)
		}
	}
}

func TestDropInsAndRelativePaths(t *testing.T) {
	_, h := tempHost(t, map[string]string{
		"/etc/systemd/system/kubelet.service":    "[Service]\nExecStart=/usr/bin/kubelet --config-dir=/etc/kubelet.d/ --client-ca-file=\n",
		"/etc/kubelet.d/10-a.conf":               "authentication:\n  x509:\n    clientCAFile: /a.crt\n",
		"/etc/kubelet.d/20-b.conf":               "authentication:\n  x509:\n    clientCAFile: /b.crt\n",
		"/etc/kubelet.d/30-c.conf":               "readOnlyPort: 0\n",
		"/etc/kubelet.d/sub/x.conf":              "{}\n",
		"/b.crt":                                 "x",
		"/etc/systemd/system/kube-proxy.service": "[Service]\nExecStart=/usr/bin/kube-proxy --kubeconfig=proxy.conf --config=conf.yaml\n",
		"/proc/sys/kernel/sysrq":                 "16\n",
	})
	f := CollectOptions(h, Options{Sysctls: []string{"kernel.sysrq"}})
	if len(f.OS.Sysctls) != 1 || f.OS.Sysctls["kernel.sysrq"].Value != "16" {
		t.Errorf("sysctls %+v", f.OS.Sysctls)
	}
	kubelet, proxy := f.Instances(Kubelet), f.Instances(Proxy)
	if len(kubelet) != 1 || len(proxy) != 1 {
		t.Fatalf("components %+v", f.Components)
	}
	files := slices.Sorted(maps.Keys(kubelet[0].Flags.Files))
	want := []string{"/etc/kubelet.d", "/etc/kubelet.d/10-a.conf", "/etc/kubelet.d/20-b.conf", "/etc/kubelet.d/30-c.conf", "/etc/kubelet.d/sub/x.conf"}
	if !slices.Equal(files, want) {
		t.Errorf("drop-ins %q", files)
	}
	// An empty --client-ca-file does not count; the last drop-in that sets the field wins.
	ca := f.FilesFor(RoleKubeletClientCA)
	if len(ca) != 1 || ca[0].Path != "/b.crt" || ca[0].Err != nil || ca[0].From.Origin.File != "/etc/kubelet.d/20-b.conf" {
		t.Errorf("client CA %+v", ca)
	}
	if err := proxy[0].FileErrors["conf.yaml"]; err == nil || !strings.Contains(err.Error(), "relative path") {
		t.Errorf("relative --config: %v", proxy[0].FileErrors)
	}
	pk := f.FilesFor(RoleProxyKubeconfig)
	if len(pk) != 1 || pk[0].Path != "proxy.conf" || pk[0].Err == nil || pk[0].From.Flag != "kubeconfig" {
		t.Errorf("relative --kubeconfig: %+v", pk)
	}
}

func TestGuard(t *testing.T) {
	c := &collector{f: &Facts{}}
	ran := false
	c.guard("one", func() { panic("boom") })
	c.guard("two", func() { ran = true })
	if !ran || len(c.f.Errors) != 1 || c.f.Errors[0].Error() != "collecting one: internal error: boom" {
		t.Errorf("errors %v, second part ran: %v", c.f.Errors, ran)
	}
}
