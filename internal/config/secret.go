package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"strings"
)

// EnvPPPoEPassword is the environment variable that, when set and not empty,
// overrides pppoe.password_file (e.g. from a systemd credential or a test).
const EnvPPPoEPassword = "DUALPATH_PPPOE_PASSWORD"

// maxSecretSize bounds what ReadSecret accepts: a password or token, or a BIND
// TSIG key file, is a few hundred bytes.
const maxSecretSize = 64 << 10

// CheckSecretFile proves that the invoking user can use a secret file the
// way the daemon will: it refuses one that is missing, not a regular file,
// readable or writable by group or others, unreadable by this user, or
// empty. Run as the daemon's user (sudo -u dualpath dualpath check-config),
// it proves the daemon can read it. Its messages say how to fix the problem
// and never contain the file's content.
func CheckSecretFile(path string) error {
	_, err := ReadSecret(path)
	return err
}

// ReadSecret reads a secret (password, token, key) from a file, with the
// checks CheckSecretFile describes, and trims the trailing newline. Errors
// never contain the secret.
func ReadSecret(path string) (string, error) {
	if path == "" {
		return "", errors.New("no file given")
	}
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s does not exist: write the secret into it (one line) and run chmod 600 %s", path, path)
		}
		return "", fmt.Errorf("cannot use %s: %v", path, unwrapPath(err))
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return "", fmt.Errorf("%s is accessible by group or others (mode %04o): it holds a secret; run chmod 600 %s", path, perm, path)
	}
	if st.Size() > maxSecretSize {
		return "", fmt.Errorf("%s is %d bytes, too large for a secret", path, st.Size())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return "", fmt.Errorf("%s cannot be read by user %s: the daemon runs as user %s and must read it: run chown %s %s (mode stays 600)",
				path, currentUser(), DaemonUser, DaemonUser, path)
		}
		return "", fmt.Errorf("cannot read %s: %v", path, unwrapPath(err))
	}
	s := strings.TrimRight(string(data), "\r\n")
	if strings.TrimSpace(s) == "" {
		return "", fmt.Errorf("%s is empty: write the secret into it (one line)", path)
	}
	return s, nil
}

// DaemonUser is the user the packaged service runs as (packaging/dualpath.service).
const DaemonUser = "dualpath"

// currentUser names the invoking user for messages: its name, or its uid.
func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return strconv.Itoa(os.Geteuid())
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
