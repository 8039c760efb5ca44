package k8s

import "testing"

func TestSecretName(t *testing.T) {
	secret := []string{
		"DB_PASSWORD", "dbPassword", "MYSQL_ROOT_PASSWORD", "POSTGRES_PASSWD", "SMTP_PASS", "DB_PWD",
		"GITHUB_TOKEN", "accessToken", "API_KEY", "apiKey", "APIKey", "APIKEY", "X_API_KEY",
		"AWS_SECRET_ACCESS_KEY", "CLIENT_SECRET", "SECRET_KEY_BASE", "PRIVATE_KEY", "ENCRYPTION_KEY",
		"GOOGLE_APPLICATION_CREDENTIALS_JSON", "ADMIN_CREDS", "BASIC_AUTH", "REDIS_AUTH", "htpasswd",
		"db.password", "oauth.client-secret", "credentials.json", "SSH_PASSPHRASE",
		"AZURE_STORAGE_KEY", "AZURE_BATCH_KEY", "PRIVATE_KEY_CONTENT", "SSL_KEY_CONTENT", "TLS_KEY", "storageKey",
	}
	notSecret := []string{
		"TOKEN_URL", "OIDC_TOKEN_ENDPOINT", "PASSWORD_FILE", "DB_PASSWORD_PATH", "SECRET_NAME",
		"AWS_ACCESS_KEY_ID", "API_KEY_HEADER", "AUTH_ENABLED", "AUTH_MODE", "OAUTH_PROVIDER", "TOKEN_TTL",
		"PASSWORD_MIN_LENGTH", "PWD", "PUBLIC_KEY", "TOKENIZER", "KEYCLOAK_URL", "DB_HOST", "LOG_LEVEL",
		"SECRETARY", "PASSWORDLESS", "TOKEN_EXPIRY_SECONDS", "SECRETS_DIR", "db.password-file",
	}
	for _, n := range secret {
		if !secretName(n) {
			t.Errorf("secretName(%q) = false, want true", n)
		}
	}
	for _, n := range notSecret {
		if secretName(n) {
			t.Errorf("secretName(%q) = true, want false", n)
		}
	}
}

func TestSecretFormat(t *testing.T) {
	for v, want := range map[string]string{
		"AKIAIOSFODNN7EXAMPLE":                       "an AWS access key ID",
		"id=ASIAIOSFODNN7EXAMPLE;":                   "an AWS access key ID",
		"-----BEGIN EC PRIVATE KEY-----\nMHc...":     "a private key",
		"-----BEGIN PGP PRIVATE KEY BLOCK-----":      "a private key",
		"ghp_FAKEfakeFAKEfakeFAKEfakeFAKEfake0000":   "a GitHub token",
		"xoxp-0000-0000-FAKE":                        "a Slack token",
		"glpat-FAKEfakeFAKEfake0000":                 "a GitLab token",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig":   "a JSON Web Token",
		"amqp://guest:guest@rabbit:5672/":            "a URL with an embedded password",
		"https://user:$(PASSWORD)@example.com/":      "",
		"https://user:${PASSWORD}@example.com/":      "",
		"https://user:****@example.com/":             "",
		"https://example.com:8443/path@v1":           "",
		"-----BEGIN CERTIFICATE-----":                "",
		"-----BEGIN PUBLIC KEY-----":                 "",
		"AKIA-not-a-key":                             "",
		"git@github.com:acme/shop.git":               "",
		"eyJhbGciOiJIUzI1NiJ9 is only a JWT header":  "",
		"postgres://db.shop.svc:5432/shop?sslmode=1": "",
	} {
		if got := secretFormat(v); got != want {
			t.Errorf("secretFormat(%q) = %q, want %q", v, got, want)
		}
	}
}

func TestPlausibleSecretValue(t *testing.T) {
	for v, want := range map[string]bool{
		"hunter2": true, "changeme": true, "1234": true, "user:pass": true,
		"": false, "  ": false, "true": false, "False": false, "none": false, "********": false,
		"$(DB_PASSWORD)": false, "${DB_PASSWORD}": false, "$DB_PASSWORD": false,
		"{{ .Values.password }}": false, "<password>": false,
		"/run/secrets/db": false, "./secret.txt": false, "https://auth.example.com/token": false,
		"https://u:p@example.com": true,
	} {
		if got := plausibleSecretValue(v); got != want {
			t.Errorf("plausibleSecretValue(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestMapKeyPath(t *testing.T) {
	for _, c := range [][3]string{
		{"data", "password", "data.password"},
		{"data", "db.password", `data["db.password"]`},
		{"metadata.annotations", "container.apparmor.security.beta.kubernetes.io/web",
			`metadata.annotations["container.apparmor.security.beta.kubernetes.io/web"]`},
	} {
		if got := mapKeyPath(c[0], c[1]); got != c[2] {
			t.Errorf("mapKeyPath(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}

func TestKeyNameAndRandomValue(t *testing.T) {
	for _, n := range []string{"ACCOUNT_KEY", "SERVICE_KEY", "KEY", "GCP_KEY_CONTENT", "appKey", "COSMOS_KEY"} {
		if !keyName(n) {
			t.Errorf("keyName(%q) = false, want true", n)
		}
	}
	for _, n := range []string{"KEY_ID", "ACCESS_KEY_ID", "CACHE_KEY", "PUBLIC_KEY", "PARTITION_KEY", "KEY_NAME",
		"SIGNING_KEY_PATH", "MONKEY", "KEYCLOAK_REALM", "DB_HOST"} {
		if keyName(n) {
			t.Errorf("keyName(%q) = true, want false", n)
		}
	}
	for _, v := range []string{
		"Zx8abcdEFGH1234ijklMNOP5678qrstUVWX9yz0",  // base64
		"0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c", // 40 hex digits
		"Ab3+/x9ZAb3+/x9ZQw8+Yt9mKp2=",
	} {
		if !randomValue(v) {
			t.Errorf("randomValue(%q) = false, want true", v)
		}
	}
	for _, v := range []string{
		"users", "uploads/2024/reports/file.csv", "a passphrase with spaces 123", "AKEY", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaA1",
		"shop-orders-production", "deadbeef", "550e8400-e29b-41d4-a716-446655440000x", "{{ .Values.key }}",
	} {
		if randomValue(v) {
			t.Errorf("randomValue(%q) = true, want false", v)
		}
	}
}
