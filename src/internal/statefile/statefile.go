// Package statefile keeps a JSON document on disk that concurrent processes
// read and change: each change runs under an exclusive cross-process lock
// (filelock) and is written atomically (atomicfile), each read under a shared
// one, so changes are never lost or torn, a process that crashed mid-change
// leaves the previous document intact, and on Windows no reader ever holds
// the file open while a writer replaces it.
package statefile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/garden-windows/garden-windows-release/internal/atomicfile"
	"github.com/garden-windows/garden-windows-release/internal/filelock"
)

// Update loads the document at path into a T (the zero T if there is no
// file yet), lets change modify it, and saves the result, all while holding
// the lock path+".lock". If change returns an error nothing is saved.
func Update[T any](path string, change func(*T) error) error {
	lock, err := filelock.Acquire(path + ".lock")
	if err != nil {
		return err
	}
	defer lock.Unlock()

	var doc T
	if err := load(path, &doc); err != nil {
		return err
	}
	if err := change(&doc); err != nil {
		return err
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding state file %s: %w", path, err)
	}
	return atomicfile.Write(path, append(data, '\n'), 0o644)
}

// Read returns the document at path (the zero T if there is none). It reads
// under a shared lock: atomic writes alone would show it one whole version,
// but on Windows a reader holding the file open makes a concurrent Update's
// replacement fail, so readers and writers take turns.
func Read[T any](path string) (T, error) {
	var doc T
	lock, err := filelock.AcquireShared(path + ".lock")
	if err != nil {
		return doc, err
	}
	defer lock.Unlock()
	err = load(path, &doc)
	return doc, err
}

func load(path string, doc any) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading state file %s: %w", path, err)
	}
	if err := json.Unmarshal(data, doc); err != nil {
		return fmt.Errorf("state file %s is corrupt (%v); move it aside to start afresh", path, err)
	}
	return nil
}
