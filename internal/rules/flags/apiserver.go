package flags

import (
	"slices"
	"strings"
	"time"

	"github.com/kharden/kharden/internal/rule"

	yaml "go.yaml.in/yaml/v3"
)

// apiServerChecks are section 1.2 of the benchmark (kube-apiserver).
var apiServerChecks = []*Check{
	{CIS: "1.2.1", Component: APIServer, Title: "--anonymous-auth is false", Eval: anonymousAuth},
	{CIS: "1.2.2", Component: APIServer, Title: "--token-auth-file is not set", Eval: absent("token-auth-file")},
	// Admission plugins the API server does not enable by default; a site may get the
	// same effect another way (a policy engine), which the message says.
	{CIS: "1.2.3", Component: APIServer, Title: "the DenyServiceExternalIPs admission plugin is enabled",
		Eval: pluginEnabled("DenyServiceExternalIPs", "new Services may claim any external IP and intercept its traffic")},
	{CIS: "1.2.4", Component: APIServer, Title: "--kubelet-client-certificate and --kubelet-client-key are set",
		Eval: required("kubelet-client-certificate", "kubelet-client-key")},
	{CIS: "1.2.5", Component: APIServer, Title: "--kubelet-certificate-authority is set", Eval: required("kubelet-certificate-authority")},
	{CIS: "1.2.6", Component: APIServer, Title: "--authorization-mode is not AlwaysAllow", Eval: authorizationMode("AlwaysAllow", false)},
	{CIS: "1.2.7", Component: APIServer, Title: "--authorization-mode includes Node", Eval: authorizationMode("Node", true)},
	{CIS: "1.2.8", Component: APIServer, Title: "--authorization-mode includes RBAC", Eval: authorizationMode("RBAC", true)},
	{CIS: "1.2.9", Component: APIServer, Title: "the EventRateLimit admission plugin is enabled",
		Eval: pluginEnabled("EventRateLimit", "nothing limits how fast clients may create events")},
	{CIS: "1.2.10", Component: APIServer, Title: "the AlwaysAdmit admission plugin is not enabled",
		Eval: listLacks("enable-admission-plugins", "AlwaysAdmit")},
	{CIS: "1.2.11", Component: APIServer, Title: "the AlwaysPullImages admission plugin is enabled",
		Eval: pluginEnabled("AlwaysPullImages", "a pod may run an image already on its node without the credentials to pull it")},
	{CIS: "1.2.12", Component: APIServer, Title: "the ServiceAccount admission plugin is not disabled",
		Eval: listLacks("disable-admission-plugins", "ServiceAccount")},
	{CIS: "1.2.13", Component: APIServer, Title: "the NamespaceLifecycle admission plugin is not disabled",
		Eval: listLacks("disable-admission-plugins", "NamespaceLifecycle")},
	// NodeRestriction is not among the plugins the API server enables by default.
	{CIS: "1.2.14", Component: APIServer, Title: "the NodeRestriction admission plugin is enabled",
		Eval: listHas("enable-admission-plugins", "NodeRestriction")},
	{CIS: "1.2.15", Component: APIServer, Title: "--profiling is false", Eval: boolIs("profiling", false, true)},
	{CIS: "1.2.16", Component: APIServer, Title: "--audit-log-path is set", Eval: required("audit-log-path")},
	{CIS: "1.2.17", Component: APIServer, Title: "--audit-log-maxage is 30 or more", Eval: auditRetention("audit-log-maxage", 30)},
	{CIS: "1.2.18", Component: APIServer, Title: "--audit-log-maxbackup is 10 or more", Eval: auditRetention("audit-log-maxbackup", 10)},
	{CIS: "1.2.19", Component: APIServer, Title: "--audit-log-maxsize is 100 or more", Eval: auditRetention("audit-log-maxsize", 100)},
	{CIS: "1.2.20", Component: APIServer, Title: "--request-timeout suits the cluster", Eval: requestTimeout},
	{CIS: "1.2.21", Component: APIServer, Title: "--service-account-lookup is true", Eval: boolIs("service-account-lookup", true, true)},
	{CIS: "1.2.22", Component: APIServer, Title: "--service-account-key-file is set", Eval: required("service-account-key-file")},
	{CIS: "1.2.23", Component: APIServer, Title: "--etcd-certfile and --etcd-keyfile are set", Eval: required("etcd-certfile", "etcd-keyfile")},
	{CIS: "1.2.24", Component: APIServer, Title: "--tls-cert-file and --tls-private-key-file are set",
		Eval: required("tls-cert-file", "tls-private-key-file")},
	{CIS: "1.2.25", Component: APIServer, Title: "--client-ca-file is set", Eval: required("client-ca-file")},
	{CIS: "1.2.26", Component: APIServer, Title: "--etcd-cafile is set", Eval: required("etcd-cafile")},
	{CIS: "1.2.27", Component: APIServer, Title: "--encryption-provider-config is set", Eval: required("encryption-provider-config")},
	{CIS: "1.2.28", Component: APIServer, Title: "Secrets are encrypted by a provider other than identity", Eval: encryptionProvider},
	{CIS: "1.2.29", Component: APIServer, Title: "the API server accepts only strong TLS cipher suites", Eval: apiServerCiphers},
	{CIS: "1.2.30", Component: APIServer, Title: "--service-account-extend-token-expiration is false",
		Eval: boolIs("service-account-extend-token-expiration", false, true)},
}

// auditPolicyChecks are section 3.2 (logging), which reads the API server's flags.
var auditPolicyChecks = []*Check{
	{CIS: "3.2.1", Component: APIServer, Title: "--audit-policy-file is set", Eval: required("audit-policy-file")},
	{CIS: "3.2.2", Component: APIServer, Title: "the audit policy covers the key security concerns", Eval: auditPolicyCoverage},
}

// pluginEnabled checks that --enable-admission-plugins includes a plugin the API server
// does not enable by default; without names what goes unchecked without it.
func pluginEnabled(plugin, without string) func(*Set) Result {
	return func(s *Set) Result {
		r := listHas("enable-admission-plugins", plugin)(s)
		if r.Status == rule.Fail {
			r.Message += "; without it " + without + " (unless a policy engine enforces the same)"
		}
		return r
	}
}

// requestTimeout is 1.2.20: how long the API server lets a request run is the site's
// judgement; a value the API server cannot read fails.
func requestTimeout(s *Set) Result {
	const flag = "request-timeout"
	const judge = "judge whether it is as short as the cluster's slowest legitimate requests (large lists, " +
		"slow admission webhooks) allow, since long requests hold server resources"
	v, ok := s.Lookup(flag)
	if !ok {
		return manual(flag, "--request-timeout is not set and defaults to 1m0s; %s", judge)
	}
	d, err := time.ParseDuration(strings.TrimSpace(v.Value))
	switch {
	case err != nil:
		return fail(flag, "%s is not a duration such as 60s", show(flag, v))
	case d <= 0:
		return fail(flag, "%s is not a positive duration", show(flag, v))
	}
	return manual(flag, "%s; %s", show(flag, v), judge)
}

// anonymousAuth passes --anonymous-auth=false, and an --authentication-config whose
// anonymous authenticator is off or limited to some paths (the structured alternative,
// which cannot be combined with the flag).
func anonymousAuth(s *Set) Result {
	if _, ok := s.Lookup("anonymous-auth"); ok || !s.Has("authentication-config") {
		return boolIs("anonymous-auth", false, true)(s)
	}
	content, file, ok := s.File("authentication-config")
	if !ok {
		return manual("authentication-config", "anonymous requests are configured in the --authentication-config file %s, "+
			"which is not visible here; check that anonymous.enabled is false or limited by conditions to health paths", file)
	}
	var c authenticationConfig
	if err := yaml.Unmarshal(content, &c); err != nil {
		return manual("authentication-config", "the --authentication-config file %s does not parse: %v", file, err)
	}
	switch {
	case c.Anonymous == nil:
		// Without --anonymous-auth and without an anonymous section, anonymous requests
		// are allowed: the flag's default applies.
		return fail("authentication-config", "the --authentication-config file %s has no anonymous section, so anonymous requests are allowed", file)
	case !c.Anonymous.Enabled:
		return pass("authentication-config", "the --authentication-config file %s disables anonymous requests", file)
	case len(c.Anonymous.Conditions) > 0:
		var paths []string
		for _, p := range c.Anonymous.Conditions {
			paths = append(paths, p.Path)
		}
		return pass("authentication-config", "the --authentication-config file %s allows anonymous requests only to %s", file, strings.Join(paths, ", "))
	}
	return fail("authentication-config", "the --authentication-config file %s allows anonymous requests to every path", file)
}

// authorizationMode checks that --authorization-mode (or the authorizers of an
// --authorization-config file) includes, or does not include, a mode. Without either,
// the API server authorizes every request (AlwaysAllow).
func authorizationMode(mode string, want bool) func(*Set) Result {
	return func(s *Set) Result {
		flag := "authorization-mode"
		var modes []string
		switch {
		case s.Has("authorization-mode"):
			modes = s.List("authorization-mode")
		case s.Has("authorization-config"):
			flag = "authorization-config"
			content, file, ok := s.File(flag)
			if !ok {
				return manual(flag, "authorizers are configured in the --authorization-config file %s, which is not visible here; "+
					"check that its authorizers %s %s", file, map[bool]string{true: "include", false: "do not include"}[want], mode)
			}
			ts, err := authorizerTypes(content)
			if err != nil {
				return manual(flag, "the --authorization-config file %s does not parse: %v", file, err)
			}
			modes = ts
		default:
			if want {
				return fail(flag, "--authorization-mode is not set, so it is AlwaysAllow and does not include %s", mode)
			}
			return fail(flag, "--authorization-mode is not set and defaults to AlwaysAllow")
		}
		has := slices.Contains(modes, mode)
		where := "--" + flag + "=" + strings.Join(modes, ",")
		switch {
		case has == want && want:
			return pass(flag, "%s includes %s", where, mode)
		case has == want:
			return pass(flag, "%s does not include %s", where, mode)
		case want:
			return fail(flag, "%s does not include %s", where, mode)
		}
		return fail(flag, "%s includes %s", where, mode)
	}
}

// auditRetention checks a rotation setting of the audit log. With the log written to
// standard output (--audit-log-path=-) there are no files to rotate: the log collector
// keeps them.
func auditRetention(name string, min int) func(*Set) Result {
	return func(s *Set) Result {
		if v, ok := s.Lookup("audit-log-path"); ok && strings.TrimSpace(v.Value) == "-" {
			return pass(name, "the audit log goes to standard output (--audit-log-path=-); its retention is the log collector's")
		}
		return intAtLeast(name, min)(s)
	}
}

// encryptionProvider reads the --encryption-provider-config file, when supplied, for the
// provider that encrypts new Secrets. From a pod spec the file is not visible: Manual.
func encryptionProvider(s *Set) Result {
	const flag = "encryption-provider-config"
	content, file, r := requiredFile(s, flag, "--encryption-provider-config is not set, so Secrets are stored in etcd unencrypted",
		"the encryption providers are in the --encryption-provider-config file %s, which is not visible here; "+
			"check that the first provider for secrets is aescbc, aesgcm, secretbox or kms, not identity")
	if r != nil {
		return *r
	}
	p, err := secretsProvider(content)
	switch {
	case err != nil:
		return manual(flag, "the --encryption-provider-config file %s does not parse: %v", file, err)
	case p == "":
		return fail(flag, "the --encryption-provider-config file %s has no entry for secrets, so Secrets are stored unencrypted", file)
	case p == "identity":
		return fail(flag, "the first provider for secrets in %s is identity: new Secrets are stored unencrypted", file)
	}
	return pass(flag, "Secrets are encrypted with the %s provider (%s)", p, file)
}
