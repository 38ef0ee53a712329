package ddns

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// recordState is what survives a restart for one record: what was published
// and when, and the backoff in force, so that a restarted daemon neither
// re-sends an unchanged address nor hammers a provider that said no.
type recordState struct {
	IPv4       netip.Addr `json:"ipv4,omitzero"`
	IPv6       netip.Addr `json:"ipv6,omitzero"`
	LastUpdate time.Time  `json:"last_update,omitzero"` // last accepted update (or keepalive)
	Failures   int        `json:"failures,omitempty"`
	NextTry    time.Time  `json:"next_try,omitzero"`
	LastError  string     `json:"last_error,omitempty"`
	// LastErrorCode is LastError's code (msg.CodeOf), for the reader's
	// language.
	LastErrorCode string `json:"last_error_code,omitempty"`
	LastErrorJA   string `json:"last_error_ja,omitempty"` // LastError in Japanese
	// FailedIPv4 and FailedIPv6 are what the failed attempt tried to
	// publish: a different address is sent at once, whatever the backoff.
	FailedIPv4 netip.Addr `json:"failed_ipv4,omitzero"`
	FailedIPv6 netip.Addr `json:"failed_ipv6,omitzero"`
}

// recordID names a record in state files and status: provider, name and,
// for accounts without a name (MyDNS), the user; hashed to a file name.
func recordID(provider, name, user, server string) string {
	return strings.Join([]string{provider, name, user, server}, "|")
}

func stateFile(dir, id string) string {
	h := sha256.Sum256([]byte(id))
	return filepath.Join(dir, "ddns-"+hex.EncodeToString(h[:8])+".json")
}

func loadState(dir, id string) (recordState, error) {
	var st recordState
	if dir == "" {
		return st, nil
	}
	b, err := os.ReadFile(stateFile(dir, id))
	if os.IsNotExist(err) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return recordState{}, fmt.Errorf("%s: %v (ignored; the record will be re-sent)", stateFile(dir, id), err)
	}
	return st, nil
}

// saveState writes atomically (temp file + rename) with mode 0600.
func saveState(dir, id string, st recordState) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".ddns-*.tmp")
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), stateFile(dir, id))
}
