package flags

import (
	"fmt"
	"strings"
)

// strongCiphers are the TLS cipher suites the benchmark accepts for the API server (1.2.29)
// and the kubelet (4.2.12): ECDHE key exchange with an AEAD cipher, and the TLS 1.3
// suites. Both spellings of the ChaCha20 suites are accepted, as the components accept
// them.
var strongCiphers = map[string]bool{
	"TLS_AES_128_GCM_SHA256":                        true,
	"TLS_AES_256_GCM_SHA384":                        true,
	"TLS_CHACHA20_POLY1305_SHA256":                  true,
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256":       true,
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384":       true,
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305":        true,
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": true,
	"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256":         true,
	"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384":         true,
	"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305":          true,
	"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256":   true,
}

// strongList is the remedy: the TLS 1.2 strong suites.
const strongList = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256," +
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384," +
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305"

// cipherVerdict judges a server's cipher suites and minimum TLS version. With TLS 1.3
// as the minimum, the suites are those of TLS 1.3, all strong and not configurable.
// Without a list, Go's defaults apply, and they include ECDHE suites with AES-CBC and
// SHA-1, which are not strong.
func cipherVerdict(suites []string, minVersion string) (ok bool, why string) {
	if strings.TrimSpace(minVersion) == "VersionTLS13" {
		return true, "only TLS 1.3 is accepted, whose cipher suites are all strong"
	}
	if len(suites) == 0 {
		return false, "so Go's default suites apply, which include CBC suites with SHA-1 (TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA...)"
	}
	var weak []string
	for _, c := range suites {
		if !strongCiphers[c] {
			weak = append(weak, c)
		}
	}
	if len(weak) > 0 {
		return false, fmt.Sprintf("%s %s not strong", strings.Join(weak, ", "), map[bool]string{true: "is", false: "are"}[len(weak) == 1])
	}
	return true, "every cipher suite is strong"
}

// apiServerCiphers is 1.2.29: --tls-cipher-suites lists only strong suites, or
// --tls-min-version is VersionTLS13.
func apiServerCiphers(s *Set) Result {
	const flag = "tls-cipher-suites"
	minVersion, _ := s.Lookup("tls-min-version")
	ok, why := cipherVerdict(s.List(flag), minVersion.Value)
	if ok {
		if strings.TrimSpace(minVersion.Value) == "VersionTLS13" {
			return pass("tls-min-version", "--tls-min-version=VersionTLS13: %s", why)
		}
		return pass(flag, "--tls-cipher-suites: %s", why)
	}
	if len(s.List(flag)) == 0 {
		return fail(flag, "--tls-cipher-suites is not set, %s; set --tls-cipher-suites=%s", why, strongList)
	}
	return fail(flag, "--tls-cipher-suites: %s; set --tls-cipher-suites=%s", why, strongList)
}
