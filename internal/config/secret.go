package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// EnvPPPoEPassword is the environment variable that, when set and not empty,
// overrides pppoe.password_file (e.g. from a systemd credential or a test).
const EnvPPPoEPassword = "DUALPATH_PPPOE_PASSWORD"

// maxSecretSize bounds what ReadSecret accepts: a password or token, or a BIND
// TSIG key file, is a few hundred bytes.
const maxSecretSize = 64 << 10

// CheckSecretFile refuses a secret file that is missing, not a regular file,
// or readable or writable by group or others. Its messages say how to fix
// the problem and never contain the file's content.
func CheckSecretFile(path string) error {
	if path == "" {
		return errors.New("no file given")
	}
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s does not exist: write the secret into it (one line) and run chmod 600 %s", path, path)
		}
		return fmt.Errorf("cannot use %s: %v", path, unwrapPath(err))
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%s is accessible by group or others (mode %04o): it holds a secret; run chmod 600 %s", path, perm, path)
	}
	if st.Size() > maxSecretSize {
		return fmt.Errorf("%s is %d bytes, too large for a secret", path, st.Size())
	}
	return nil
}

// ReadSecret reads a secret (password, token, key) from a file after
// CheckSecretFile, and trims the trailing newline. An empty secret is an
// error. Errors never contain the secret.
func ReadSecret(path string) (string, error) {
	if err := CheckSecretFile(path); err != nil {
		return "", err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return "", fmt.Errorf("cannot read %s: permission denied (the daemon runs as user dualpath: chown dualpath %s)", path, path)
		}
		return "", fmt.Errorf("cannot read %s: %v", path, unwrapPath(err))
	}
	s := strings.TrimRight(string(data), "\r\n")
	if s == "" {
		return "", fmt.Errorf("%s is empty: write the secret into it", path)
	}
	return s, nil
}

// Password returns the PPPoE password: DUALPATH_PPPOE_PASSWORD when set
// (getenv is os.Getenv outside tests), else the content of password_file.
func (p *PPPoE) Password(getenv func(string) string) (string, error) {
	if getenv != nil {
		if pw := getenv(EnvPPPoEPassword); pw != "" {
			return pw, nil
		}
	}
	if p.PasswordFile == "" {
		return "", fmt.Errorf("no PPPoE password: set pppoe.password_file or %s", EnvPPPoEPassword)
	}
	return ReadSecret(p.PasswordFile)
}
