package image

import (
	"slices"
	"strings"

	"github.com/kharden/kharden/internal/rule"
)

// All returns every image rule, sorted by ID. Adding a rule means adding it here.
func All() []*Rule { return slices.Clone(all) }

var all = []*Rule{
	RunsAsRoot,
	NetworkTools,
	SecretsInEnv,
	SSHPort,
	ManyExposedPorts,
	RemoteControlServers,
	BuildTools,
	PackageManagers,
	SecretsInHistory,
	SecretFiles,
	LayerCount,
	MutableTag,
	EndOfLife,
	SignatureVerified,
}

// Metas returns the metadata of rules.
func Metas(rules []*Rule) []*rule.Meta {
	out := make([]*rule.Meta, len(rules))
	for i, r := range rules {
		out[i] = &r.Meta
	}
	return out
}

// Lookup finds an image rule by slug or ID (case-insensitive ID), or returns nil.
func Lookup(name string) *Rule {
	for _, r := range all {
		if r.Slug == name || strings.EqualFold(r.ID, name) {
			return r
		}
	}
	return nil
}
