package plan

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrExists reports a file that exists with other content; pass force to
// replace it.
var ErrExists = errors.New("exists with different content")

// WriteResult says what happened to one file.
type WriteResult struct {
	Path      string
	Unchanged bool // same content was already there
}

// WriteFiles writes files into dir (created if missing). It first checks
// every file: an existing file with different content stops the whole write
// (nothing is written) unless force is set. Each file is written to a
// temporary name in dir, synced and renamed over the target, so a reader never
// sees half a file.
func WriteFiles(dir string, files []File, force bool) ([]WriteResult, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var clash []string
	for _, f := range files {
		old, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err == nil && !bytes.Equal(old, f.Content) && !force {
			clash = append(clash, filepath.Join(dir, f.Name))
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	if len(clash) > 0 {
		return nil, fmt.Errorf("%v %w: move it away or pass --force", clash, ErrExists)
	}
	var res []WriteResult
	for _, f := range files {
		path := filepath.Join(dir, f.Name)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, f.Content) {
			res = append(res, WriteResult{Path: path, Unchanged: true})
			continue
		}
		if err := writeAtomic(path, f.Content, fs.FileMode(f.Mode)); err != nil {
			return res, err
		}
		res = append(res, WriteResult{Path: path})
	}
	return res, nil
}

func writeAtomic(path string, data []byte, mode fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(name, path)
}
