package sign

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyPair(t *testing.T) {
	priv, pub, err := GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := pem.Decode(priv); b == nil || b.Type != "ENCRYPTED SIGSTORE PRIVATE KEY" {
		t.Fatalf("private key PEM:\n%s", priv)
	}
	if b, _ := pem.Decode(pub); b == nil || b.Type != "PUBLIC KEY" {
		t.Fatalf("public key PEM:\n%s", pub)
	}
	s, err := ParsePrivateKey("k", priv, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePublicKey("k.pub", pub)
	if err != nil {
		t.Fatal(err)
	}
	if s.Public.ID != p.ID || len(p.ID) != 64 {
		t.Errorf("IDs %s and %s", s.Public.ID, p.ID)
	}
	sig, err := s.sign([]byte("message"))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.verify(sig, []byte("message")); err != nil {
		t.Errorf("own signature: %v", err)
	}
	if err := p.verify(sig, []byte("messagE")); err == nil {
		t.Error("signature verifies another message")
	}

	// The older PEM type reads the same.
	b, _ := pem.Decode(priv)
	b.Type = "ENCRYPTED COSIGN PRIVATE KEY"
	if _, err := ParsePrivateKey("legacy", pem.EncodeToMemory(b), []byte("pw")); err != nil {
		t.Errorf("ENCRYPTED COSIGN PRIVATE KEY: %v", err)
	}
	// An empty password is a password (COSIGN_PASSWORD="").
	priv0, _, err := GenerateKeyPair(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePrivateKey("empty", priv0, []byte{}); err != nil {
		t.Errorf("empty password: %v", err)
	}
}

func TestBadKeyFiles(t *testing.T) {
	priv, pub, err := GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePrivateKey("k", priv, []byte("wrong")); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("wrong password: %v", err)
	}
	b, _ := pem.Decode(priv)
	var box map[string]any
	if err := json.Unmarshal(b.Bytes, &box); err != nil {
		t.Fatal(err)
	}
	ct, _ := base64.StdEncoding.DecodeString(box["ciphertext"].(string))
	ct[len(ct)/2] ^= 1
	box["ciphertext"] = base64.StdEncoding.EncodeToString(ct)
	flipped, _ := json.Marshal(box)
	tampered := pem.EncodeToMemory(&pem.Block{Type: b.Type, Bytes: flipped})
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"not PEM":           {[]byte("hello"), "no PEM block"},
		"empty":             {nil, "no PEM block"},
		"truncated":         {priv[:len(priv)/2], "no PEM block"},
		"public as private": {pub, `type "PUBLIC KEY", not "ENCRYPTED SIGSTORE PRIVATE KEY"`},
		"unencrypted":       {pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2}}), `type "PRIVATE KEY"`},
		"not JSON inside":   {pem.EncodeToMemory(&pem.Block{Type: b.Type, Bytes: []byte("{{")}), "invalid character"},
		"tampered box":      {tampered, "wrong password, or the key file is corrupt"},
		"two blocks":        {append(bytes.Clone(priv), priv...), "data after the PEM block"},
	} {
		_, err := ParsePrivateKey("k", c.data, []byte("pw"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"private as public": {priv, `not "PUBLIC KEY"`},
		"garbage DER":       {pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte("xx")}), "asn1"},
		"not PEM":           {[]byte("-----BEGIN PUBLIC KEY-----\n!!!\n"), "no PEM block"},
	} {
		_, err := ParsePublicKey("k.pub", c.data)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
	dir := t.TempDir()
	if _, err := LoadPublicKey(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
	big := filepath.Join(dir, "big.pub")
	if err := os.WriteFile(big, bytes.Repeat([]byte("A"), maxKeyFile+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPublicKey(big); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("big: %v", err)
	}
	if _, err := LoadPrivateKey(filepath.Join(dir, "missing.key"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
}
