package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// DefaultStateRoot holds one directory per lab prefix.
const DefaultStateRoot = "/run/dualpath-lab"

// State is what `lab up` leaves for status, test, exec and down: which
// scenario runs, where its files are, and which processes it started.
type State struct {
	Prefix   string    `json:"prefix"`
	Scenario string    `json:"scenario"`
	Dir      string    `json:"dir"`
	Started  time.Time `json:"started"`
	Ready    bool      `json:"ready"` // every step of up finished
	Procs    []Proc    `json:"procs"`
}

// Proc is one background process of the lab.
type Proc struct {
	Node string `json:"node"`
	Name string `json:"name"` // "nginx", "mape-br", ...
	PID  int    `json:"pid"`
	Log  string `json:"log"`
	// Prog is the program's path, checked against /proc before the lab
	// signals a recorded PID (a PID may have been reused since).
	Prog string `json:"prog"`
}

func statePath(dir string) string { return filepath.Join(dir, "state.json") }

// Save writes the state atomically.
func (s *State) Save() error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := statePath(s.Dir) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, statePath(s.Dir))
}

// ErrNoLab is returned when no lab runs under the prefix.
var ErrNoLab = errors.New("no lab is running")

// LoadState reads the state of the lab in dir.
func LoadState(dir string) (*State, error) {
	b, err := os.ReadFile(statePath(dir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoLab
	}
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("lab state %s is damaged (%v): run 'dualpath lab down'", statePath(dir), err)
	}
	return &s, nil
}
