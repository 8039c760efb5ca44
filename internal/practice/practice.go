// Package practice is the catalogue of security practices kharden implements, with the
// stable IDs of PRACTICES.md. Rules name the practices they serve.
package practice

// Practice is one practice from the source articles.
type Practice struct {
	ID    string
	Area  string
	Title string
}

// All lists every practice in catalogue order.
var All = []Practice{
	{"A1", "Node operating system", "Host admins reach nodes through privileged access management"},
	{"A2", "Node operating system", "OS and software configured to a baseline"},
	{"A3", "Node operating system", "Scan packages and configuration for vulnerabilities regularly"},
	{"A4", "Node operating system", "Keep the kernel updated"},
	{"A5", "Node operating system", "Kernel defaults protected"},
	{"A6", "Node operating system", "Prevent automatic loading of kernel modules"},
	{"A7", "Node operating system", "Kubernetes config files on nodes have safe owner and mode"},
	{"B1", "Image development", "No sudo in RUN"},
	{"B2", "Image development", "COPY instead of ADD"},
	{"B3", "Image development", "No automatic upgrades"},
	{"B4", "Image development", "Pin versions of installed packages"},
	{"B5", "Image development", "Base image tagged, never latest or untagged"},
	{"B6", "Image development", "No secrets in the Dockerfile"},
	{"B7", "Image development", "Minimal package set"},
	{"B8", "Image development", "Minimal exposed ports; never 22"},
	{"B9", "Image development", "No wget, curl, netcat in the production image"},
	{"B10", "Image development", "Use a .dockerignore"},
	{"B11", "Image development", "Few layers; multi-stage builds"},
	{"B12", "Image development", "WORKDIR is an absolute path"},
	{"B13", "Image development", "No cd in RUN instead of WORKDIR"},
	{"B14", "Image development", "Beware recursive COPY"},
	{"B15", "Image development", "Verify integrity of downloaded packages"},
	{"B16", "Image development", "No remote control tools in containers"},
	{"B17", "Image development", "Image runs as a non-root USER"},
	{"B18", "Image development", "Sign images after a passing scan; verify before deployment"},
	{"B19", "Image development", "Scan all images across the lifecycle"},
	{"B20", "Image development", "Secure CI/CD as a supply chain"},
	{"C1", "Workload configuration", "Do not run as UID 0"},
	{"C2", "Workload configuration", "Set runAsUser and runAsGroup for every container"},
	{"C3", "Workload configuration", "allowPrivilegeEscalation: false"},
	{"C4", "Workload configuration", "No privileged containers"},
	{"C5", "Workload configuration", "readOnlyRootFilesystem: true"},
	{"C6", "Workload configuration", "No hostPID"},
	{"C7", "Workload configuration", "No hostIPC"},
	{"C8", "Workload configuration", "No hostNetwork"},
	{"C9", "Workload configuration", "No hostPort"},
	{"C10", "Workload configuration", "No unsafe sysctls"},
	{"C11", "Workload configuration", "No hostPath volumes"},
	{"C12", "Workload configuration", "No container-runtime socket mounts"},
	{"C13", "Workload configuration", "CPU limits and requests set"},
	{"C14", "Workload configuration", "Memory limits and requests set"},
	{"C15", "Workload configuration", "Capabilities: drop ALL"},
	{"C16", "Workload configuration", "Add back only needed capabilities; never the forbidden ones"},
	{"C17", "Workload configuration", "Do not use the default namespace"},
	{"C18", "Workload configuration", "seccomp profile RuntimeDefault or Localhost"},
	{"C19", "Workload configuration", "AppArmor profile set, not unconfined"},
	{"C20", "Workload configuration", "SELinux options restricted"},
	{"C21", "Workload configuration", "Image not :latest or untagged"},
	{"C22", "Workload configuration", "Image pinned by digest"},
	{"C23", "Workload configuration", "No secrets in env or ConfigMaps"},
	{"C24", "Workload configuration", "Audit workload configuration regularly"},
	{"D1", "Cluster", "Require security settings at admission"},
	{"D2", "Cluster", "Generate seccomp and AppArmor profiles automatically"},
	{"D3", "Cluster", "Audit against the CIS Kubernetes Benchmark"},
	{"D4", "Cluster", "Keep Kubernetes updated"},
	{"D5", "Cluster", "Encrypt secrets at rest in etcd"},
	{"D6", "Cluster", "TLS between clients, API server, kubelets and etcd"},
	{"D7", "Cluster", "TLS between etcd peers"},
	{"D8", "Cluster", "Authentication: no anonymous access, no static token files, kubelet auth"},
	{"D9", "Cluster", "Authorization: RBAC and Node, never AlwaysAllow"},
	{"D10", "Cluster", "RBAC least privilege"},
	{"D11", "Cluster", "Service-account tokens automounted only where needed"},
	{"D12", "Cluster", "Audit logging on, with a policy"},
	{"D13", "Cluster", "Untrusted images: allowed registries, pull policy"},
}

var byID = func() map[string]*Practice {
	m := make(map[string]*Practice, len(All))
	for i := range All {
		m[All[i].ID] = &All[i]
	}
	return m
}()

// Lookup returns the practice with the given ID.
func Lookup(id string) (*Practice, bool) {
	p, ok := byID[id]
	return p, ok
}
