package hostnet

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The "sysctl" change: a value under /proc/sys, with the old one to restore.
type sysctlOp struct{}

func init() { registerOp("sysctl", sysctlOp{}) }

// SetSysctl sets a sysctl under /proc/sys and records its old value, which
// undo restores. key is dotted ("net.ipv4.conf.dp-ppp0.rp_filter") or, when
// a component contains a dot (VLAN interfaces), slashed
// ("net/ipv4/conf/eth0.100/rp_filter").
func (j *Journal) SetSysctl(key, value string) error {
	var old string
	err := j.inNS(func() error {
		b, err := os.ReadFile(sysctlPath(key))
		old = strings.TrimSpace(string(b))
		return err
	})
	if err != nil {
		return actionable("read sysctl "+key, err)
	}
	r := record{Op: "sysctl", Key: key, Old: old, Value: value}
	return j.apply(r, func() error {
		return actionable("set sysctl "+key, j.inNS(func() error { return writeSysctl(key, value) }))
	})
}

// Sysctl reads a sysctl in the journal's namespace.
func (j *Journal) Sysctl(key string) (string, error) {
	var v string
	err := j.inNS(func() error {
		b, err := os.ReadFile(sysctlPath(key))
		v = strings.TrimSpace(string(b))
		return err
	})
	return v, err
}

func sysctlPath(key string) string {
	if !strings.Contains(key, "/") {
		key = strings.ReplaceAll(key, ".", "/")
	}
	return filepath.Join("/proc/sys", filepath.Clean("/"+key))
}

func writeSysctl(key, value string) error {
	return os.WriteFile(sysctlPath(key), []byte(value+"\n"), 0o644)
}

func (sysctlOp) undo(j *Journal, r record) error {
	return j.inNS(func() error { return writeSysctl(r.Key, r.Old) })
}

func (sysctlOp) describe(r record) Change {
	return Change{"sysctl", fmt.Sprintf("sysctl %s=%s (was %s)", r.Key, r.Value, r.Old)}
}
