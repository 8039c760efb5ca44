package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	"github.com/sigstore/sigstore/pkg/signature"
)

// PEM block types of key files.
const (
	PrivateKeyPEMType       = "ENCRYPTED SIGSTORE PRIVATE KEY"
	legacyPrivateKeyPEMType = "ENCRYPTED COSIGN PRIVATE KEY"
	PublicKeyPEMType        = "PUBLIC KEY"
)

// maxKeyFile bounds a key file read: key files are a few hundred bytes.
const maxKeyFile = 64 << 10

// ErrWrongPassword is the error of a private key that the password does not decrypt.
var ErrWrongPassword = errors.New("wrong password, or the key file is corrupt")

// GenerateKeyPair makes an ECDSA P-256 key pair and returns its private key encrypted
// with password (scrypt and secretbox) as ENCRYPTED SIGSTORE PRIVATE KEY PEM, and its
// public key as PUBLIC KEY PEM.
func GenerateKeyPair(password []byte) (privPEM, pubPEM []byte, err error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, err
	}
	box, err := encrypted.Encrypt(der, password)
	if err != nil {
		return nil, nil, fmt.Errorf("encrypting the private key: %w", err)
	}
	pubPEM, err = marshalPublic(priv.Public())
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: PrivateKeyPEMType, Bytes: box}), pubPEM, nil
}

func marshalPublic(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: PublicKeyPEMType, Bytes: der}), nil
}

// Signer is a private key loaded for signing.
type Signer struct {
	signer signature.SignerVerifier
	// Public is the key that verifies its signatures.
	Public *PublicKey
}

// PublicKey is a key signatures are verified with.
type PublicKey struct {
	// Name is where the key came from: its file, as given.
	Name string
	// ID is the SHA-256 of the key's PKIX encoding, in hex: the same key under any name.
	ID       string
	verifier signature.Verifier
	key      crypto.PublicKey
}

// String names the key: its name and the start of its ID.
func (k *PublicKey) String() string {
	return fmt.Sprintf("%s (sha256:%s)", k.Name, k.ID[:16])
}

// ParsePrivateKey decrypts an encrypted private key PEM (ENCRYPTED SIGSTORE PRIVATE
// KEY, or ENCRYPTED COSIGN PRIVATE KEY) with password. name labels the key in results.
func ParsePrivateKey(name string, data, password []byte) (*Signer, error) {
	b, rest := pem.Decode(data)
	if b == nil {
		return nil, fmt.Errorf("%s: no PEM block: not a key file", name)
	}
	if len(trimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%s: data after the PEM block", name)
	}
	if b.Type != PrivateKeyPEMType && b.Type != legacyPrivateKeyPEMType {
		return nil, fmt.Errorf("%s: a PEM block of type %q, not %q (an encrypted private key, as kharden keygen and cosign generate-key-pair write)", name, b.Type, PrivateKeyPEMType)
	}
	der, err := encrypted.Decrypt(b.Bytes, password)
	if err != nil {
		if err.Error() == "encrypted: decryption failed" { // the package exports no error value
			return nil, fmt.Errorf("%s: %w", name, ErrWrongPassword)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("%s: the decrypted key is not PKCS#8: %w", name, err)
	}
	sv, err := signature.LoadSignerVerifier(k, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	pub, err := sv.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	pk, err := newPublicKey(name, pub)
	if err != nil {
		return nil, err
	}
	return &Signer{signer: sv, Public: pk}, nil
}

// ParsePublicKey reads a PUBLIC KEY PEM (PKIX: ECDSA, RSA or Ed25519).
func ParsePublicKey(name string, data []byte) (*PublicKey, error) {
	b, rest := pem.Decode(data)
	if b == nil {
		return nil, fmt.Errorf("%s: no PEM block: not a key file", name)
	}
	if len(trimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%s: data after the PEM block", name)
	}
	if b.Type != PublicKeyPEMType {
		return nil, fmt.Errorf("%s: a PEM block of type %q, not %q (a public key)", name, b.Type, PublicKeyPEMType)
	}
	pub, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return newPublicKey(name, pub)
}

func newPublicKey(name string, pub crypto.PublicKey) (*PublicKey, error) {
	if ek, ok := pub.(*ecdsa.PublicKey); ok && ek.Curve != elliptic.P256() && ek.Curve != elliptic.P384() && ek.Curve != elliptic.P521() {
		return nil, fmt.Errorf("%s: unsupported curve", name)
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	sum := sha256.Sum256(der)
	return &PublicKey{Name: name, ID: hex.EncodeToString(sum[:]), verifier: v, key: pub}, nil
}

// LoadPublicKey reads a public key file.
func LoadPublicKey(path string) (*PublicKey, error) {
	b, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	return ParsePublicKey(path, b)
}

// LoadPrivateKey reads and decrypts a private key file.
func LoadPrivateKey(path string, password []byte) (*Signer, error) {
	b, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	return ParsePrivateKey(path, b, password)
}

// readKeyFile reads a regular file of at most maxKeyFile bytes.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if fi.Size() > maxKeyFile {
		return nil, fmt.Errorf("%s: %d bytes: too large for a key file", path, fi.Size())
	}
	b := make([]byte, fi.Size())
	if _, err := f.ReadAt(b, 0); err != nil && fi.Size() > 0 {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\r' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// sign signs message.
func (s *Signer) sign(message []byte) ([]byte, error) {
	return s.signer.SignMessage(bytesReader(message))
}

// verify checks sig over message.
func (k *PublicKey) verify(sig, message []byte) error {
	return k.verifier.VerifySignature(bytesReader(sig), bytesReader(message))
}
