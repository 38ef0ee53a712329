package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"strings"

	"github.com/dualpath/dualpath/internal/msg"
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
		return "", msg.Err(msg.T("no file given", "ファイルが指定されていません"))
	}
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", msg.Err(msg.T("%s does not exist: write the secret into it (one line) and run chmod 600 %s",
				"%s がありません。秘密の値を 1 行で書き、「chmod 600 %s」を実行してください", path, path))
		}
		return "", msg.Err(msg.T("cannot use %s: %v", "%s を使えません: %v", path, unwrapPath(err)))
	}
	if !st.Mode().IsRegular() {
		return "", msg.Err(msg.T("%s is not a regular file", "%s は通常のファイルではありません", path))
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return "", msg.Err(msg.T("%s is accessible by group or others (mode %04o): it holds a secret; run chmod 600 %s",
			"%s はグループや他のユーザから読み書きできます（モード %04o）。秘密の値を入れるファイルなので「chmod 600 %s」を実行してください", path, perm, path))
	}
	if st.Size() > maxSecretSize {
		return "", msg.Err(msg.T("%s is %d bytes, too large for a secret", "%s は %d バイトあり、秘密の値としては大きすぎます", path, st.Size()))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return "", msg.Err(msg.T("%s cannot be read by user %s: the daemon runs as user %s and must read it: run chown %s %s (mode stays 600)",
				"%s をユーザ %s では読めません。デーモンはユーザ %s で動き、このファイルを読む必要があります。「chown %s %s」を実行してください（モードは 600 のまま）",
				path, currentUser(), DaemonUser, DaemonUser, path))
		}
		return "", msg.Err(msg.T("cannot read %s: %v", "%s を読めません: %v", path, unwrapPath(err)))
	}
	s := strings.TrimRight(string(data), "\r\n")
	if strings.TrimSpace(s) == "" {
		return "", msg.Err(msg.T("%s is empty: write the secret into it (one line)", "%s は空です。秘密の値を 1 行で書いてください", path))
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
