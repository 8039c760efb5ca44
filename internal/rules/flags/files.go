package flags

import (
	"fmt"
	"slices"

	yaml "go.yaml.in/yaml/v3"
)

// The configuration files some flags name, as far as the checks read them. Each parser
// is lenient about fields it does not read and strict about the ones it does.

// encryptionConfig is an EncryptionConfiguration (--encryption-provider-config).
type encryptionConfig struct {
	Resources []struct {
		Resources []string               `yaml:"resources"`
		Providers []map[string]yaml.Node `yaml:"providers"`
	} `yaml:"resources"`
}

// secretsProvider returns the provider that encrypts new Secrets: the first provider of
// the first entry whose resources cover secrets ("secrets", "*." or "*.*"); "" when no
// entry covers them (Secrets are stored as they are).
func secretsProvider(content []byte) (string, error) {
	var c encryptionConfig
	if err := yaml.Unmarshal(content, &c); err != nil {
		return "", err
	}
	for _, r := range c.Resources {
		if !slices.ContainsFunc(r.Resources, func(s string) bool { return s == "secrets" || s == "*." || s == "*.*" }) {
			continue
		}
		if len(r.Providers) == 0 {
			return "", fmt.Errorf("the entry for secrets lists no provider")
		}
		for name := range r.Providers[0] {
			return name, nil
		}
		return "", fmt.Errorf("the first provider for secrets is empty")
	}
	return "", nil
}

// authenticationConfig is an AuthenticationConfiguration (--authentication-config).
type authenticationConfig struct {
	Anonymous *struct {
		Enabled    bool `yaml:"enabled"`
		Conditions []struct {
			Path string `yaml:"path"`
		} `yaml:"conditions"`
	} `yaml:"anonymous"`
}

// authorizationConfig is an AuthorizationConfiguration (--authorization-config).
type authorizationConfig struct {
	Authorizers []struct {
		Type string `yaml:"type"`
		Name string `yaml:"name"`
	} `yaml:"authorizers"`
}

func authorizerTypes(content []byte) ([]string, error) {
	var c authorizationConfig
	if err := yaml.Unmarshal(content, &c); err != nil {
		return nil, err
	}
	var out []string
	for _, a := range c.Authorizers {
		out = append(out, a.Type)
	}
	return out, nil
}

// schedulerConfig is a KubeSchedulerConfiguration (--config).
type schedulerConfig struct {
	EnableProfiling *bool `yaml:"enableProfiling"`
}

// etcdConfig is etcd's --config-file: the keys the checks read, under their flag names.
type etcdConfig struct {
	Client etcdTLS `yaml:"client-transport-security"`
	Peer   etcdTLS `yaml:"peer-transport-security"`
}

type etcdTLS struct {
	CertFile       string `yaml:"cert-file"`
	KeyFile        string `yaml:"key-file"`
	ClientCertAuth *bool  `yaml:"client-cert-auth"`
	TrustedCAFile  string `yaml:"trusted-ca-file"`
	AutoTLS        *bool  `yaml:"auto-tls"`
}

// etcdConfigSet turns etcd's config file into the Set of flags it stands for: when etcd
// runs with --config-file, it ignores its other flags and environment.
func etcdConfigSet(s *Set, file string, content []byte) (*Set, error) {
	var c etcdConfig
	if err := yaml.Unmarshal(content, &c); err != nil {
		return nil, err
	}
	out := New(s.Component, s.Source+" ("+file+")")
	origin := Origin{Arg: -1, File: file}
	add := func(name, v string) {
		if v != "" {
			out.Add(name, Value{Value: v, Origin: origin})
		}
	}
	addBool := func(name string, b *bool) {
		if b != nil {
			add(name, fmt.Sprint(*b))
		}
	}
	for _, t := range []struct {
		prefix string
		tls    etcdTLS
	}{{"", c.Client}, {"peer-", c.Peer}} {
		add(t.prefix+"cert-file", t.tls.CertFile)
		add(t.prefix+"key-file", t.tls.KeyFile)
		add(t.prefix+"trusted-ca-file", t.tls.TrustedCAFile)
		addBool(t.prefix+"client-cert-auth", t.tls.ClientCertAuth)
		addBool(t.prefix+"auto-tls", t.tls.AutoTLS)
	}
	return out, nil
}
