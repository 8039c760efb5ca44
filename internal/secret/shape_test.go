package secret

import (
	"strings"
	"testing"
)

// Fake credentials of each shape, made up for the test (none was ever valid).
func TestFind(t *testing.T) {
	azureKey := strings.Repeat("Ab3+/x9Z", 10) + "Qw8+Yt==" // 88 characters
	for v, want := range map[string]string{
		"-----BEGIN RSA PRIVATE KEY-----\nMIIE":                                           "a private key",
		"----BEGIN RSA PRIVATE KEY----":                                                   "a private key",
		"---BEGIN OPENSSH PRIVATE KEY---":                                                 "a private key",
		"-----BEGIN ENCRYPTED PRIVATE KEY-----":                                           "a private key",
		"-----BEGIN PGP PRIVATE KEY BLOCK-----":                                           "a private key",
		`{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\nMIIE"}`: "a Google service account key",
		"AKIAZZZZZZZZZZZZZZZZ":                                                            "an AWS access key ID",
		"aws_secret_access_key = Zx8+abcdEFGH1234ijklMNOP5678qrstUVWX9/yz":                "an AWS secret access key",
		"AWS_SECRET_ACCESS_KEY: \"Zx8+abcdEFGH1234ijklMNOP5678qrstUVWX9/yz\"":             "an AWS secret access key",
		azureKey:                  "a 64-byte base64 key (an Azure storage account key)",
		"key: " + azureKey + "\n": "a 64-byte base64 key (an Azure storage account key)",
		"DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=" + azureKey + ";EndpointSuffix=core.windows.net":                  "an Azure connection string with a key",
		"Endpoint=sb://shop.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=Zx8abcdEFGH1234ijklMNOP5678qrstUVWX9yz0=": "an Azure connection string with a key",
		"abc1Q~Zx8abcdEFGH1234ijklMNOP5678qrstU":                                    "an Azure AD client secret",
		"ghp_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ":                                  "a GitHub token",
		"github_pat_11ZZZZZZZ0ZZZZZZZZZZZZ_zzzzzzzzzzzzzzzzzzzz":                    "a GitHub token",
		"xoxb-000000000000-000000000000-zzzzzzzzzzzzzzzzzzzzzzzz":                   "a Slack token",
		"xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4OTA":                                           "a Slack token",
		"sk-ant-api03-" + strings.Repeat("z", 90):                                   "an Anthropic API key",
		"sk-proj-" + strings.Repeat("z", 20) + "T3BlbkFJ" + strings.Repeat("z", 20): "an OpenAI API key",
		"dop_v1_" + strings.Repeat("0f", 32):                                        "a DigitalOcean token",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig":                                  "a JSON Web Token",
		// Not credentials.
		"-----BEGIN CERTIFICATE-----":        "",
		"-----BEGIN PUBLIC KEY-----":         "",
		"PRIVATE KEY handling is documented": "",
		strings.Repeat("A", 86) + "==x":      "",
		"sha256:" + strings.Repeat("0f", 32): "",
		"aws_secret_access_key = $(AWS_KEY)": "",
		"AccountKey=${ACCOUNT_KEY}":          "",
		"abc1Q~short":                        "",
		"sk-not-a-key":                       "",
		"ghp_short":                          "",
	} {
		if got, _, _ := Find(v); got != want {
			t.Errorf("Find(%.60q) = %q, want %q", v, got, want)
		}
	}
}

// The offsets are those of the credential, not of the characters around it.
func TestFindOffsets(t *testing.T) {
	key := strings.Repeat("Ab3+/x9Z", 10) + "Qw8+Yt=="
	s := "key: " + key + "\n"
	_, start, end := Find(s)
	if s[start:end] != key {
		t.Errorf("Find located %q, want the key", s[start:end])
	}
}

// TestShapesCompile: the expressions, compiled on first use, are all valid.
func TestShapesCompile(t *testing.T) {
	for _, sh := range shapes {
		if sh.re() == nil {
			t.Errorf("%s: no expression", sh.what)
		}
	}
}
