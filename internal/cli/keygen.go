package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kharden/kharden/internal/sign"
)

// The environment variables a key's password is read from, in order.
var passwordVars = []string{"KHARDEN_PASSWORD", "COSIGN_PASSWORD"}

func newKeygen(s IO) *cobra.Command {
	var prefix string
	cmd := &cobra.Command{
		Use:   "keygen [flags]",
		Short: "Make a key pair for kharden sign and verify (cosign's format)",
		Long: `Make an ECDSA P-256 key pair: PREFIX.key, the private key encrypted with a
password (PEM "ENCRYPTED SIGSTORE PRIVATE KEY", as cosign generate-key-pair
writes), and PREFIX.pub, the public key (PEM "PUBLIC KEY"). cosign reads both, and
kharden reads cosign's.

The password is read from KHARDEN_PASSWORD, else COSIGN_PASSWORD (set and empty
means an empty password), else asked twice on the terminal; never from an
argument. Existing files are never overwritten.

Exit codes: 0 written, 2 errors (a file exists, no password).`,
		Example: `  kharden keygen                              # cosign.key and cosign.pub
  kharden keygen --output-key-prefix ci       # ci.key and ci.pub
  KHARDEN_PASSWORD=$(cat /run/secrets/pw) kharden keygen --output-key-prefix release`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			keyFile, pubFile := prefix+".key", prefix+".pub"
			for _, f := range []string{keyFile, pubFile} {
				if _, err := os.Lstat(f); err == nil {
					return &exitError{ExitError, fmt.Errorf("%s exists: not overwritten", f)}
				}
			}
			pw, err := password(s, true)
			if err != nil {
				return &exitError{ExitError, err}
			}
			priv, pub, err := sign.GenerateKeyPair(pw)
			if err != nil {
				return &exitError{ExitError, err}
			}
			if err := writeNew(keyFile, priv, 0o600); err != nil {
				return &exitError{ExitError, err}
			}
			if err := writeNew(pubFile, pub, 0o644); err != nil {
				_ = os.Remove(keyFile)
				return &exitError{ExitError, err}
			}
			fmt.Fprintf(s.Out, "Private key written to %s\nPublic key written to %s\n", keyFile, pubFile)
			return nil
		},
	}
	cmd.Flags().StringVar(&prefix, "output-key-prefix", "cosign", "write PREFIX.key and PREFIX.pub")
	return cmd
}

// writeNew writes a file that must not exist yet.
func writeNew(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s exists: not overwritten", path)
		}
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

// password is a key's password from the environment, else asked on the terminal
// (twice when confirm) that standard input is.
func password(s IO, confirm bool) ([]byte, error) {
	for _, v := range passwordVars {
		if pw, ok := os.LookupEnv(v); ok {
			return []byte(pw), nil
		}
	}
	f, ok := s.In.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, fmt.Errorf("no password: set KHARDEN_PASSWORD (or COSIGN_PASSWORD), or run on a terminal to be asked")
	}
	ask := func(prompt string) ([]byte, error) {
		fmt.Fprint(s.Err, prompt)
		pw, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(s.Err)
		return pw, err
	}
	pw, err := ask("Enter password for private key: ")
	if err != nil {
		return nil, err
	}
	if confirm {
		again, err := ask("Enter password for private key again: ")
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(pw, again) {
			return nil, errors.New("the passwords do not match")
		}
	}
	return pw, nil
}
