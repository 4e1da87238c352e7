// Package atomicfile writes state files so that a reader, or a process that
// starts after a crash, sees either the old content or the new, never a torn
// mix. It is the one way this project writes state files.
//
// Windows refuses to replace a file that another process holds open
// ("Access is denied"), where Linux lets the rename through; a state file
// written the Linux way fails on a cell whenever anything reads it at the
// wrong moment. Write therefore retries a refused replacement for a while,
// and readers inside the project coordinate with writers through a lock
// (package statefile), so they never hold the file while it is replaced.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// ReplaceTimeout bounds how long Write keeps retrying a replacement that
// Windows refuses because another process holds the target open (an
// operator's editor, an antivirus scanner).
const ReplaceTimeout = 5 * time.Second

// Write replaces the file at path with data, atomically: the data goes to a
// temporary file in the same directory, is flushed to disk, and is then
// renamed over path. On failure path is unchanged and no temporary file is
// left behind.
func Write(path string, data []byte, perm os.FileMode) error {
	dir, name := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: creating temporary file: %w", path, err)
	}
	tmpName := tmp.Name()
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()

	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	// On Windows a mode without write permission makes the file read-only,
	// and a read-only file cannot be replaced later: state files use 0o644.
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("writing %s: setting mode: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("writing %s: flushing to disk: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := replace(tmpName, path); err != nil {
		if isHeldOpen(err) && isRegularFile(path) {
			return fmt.Errorf("writing %s: Windows still refused to replace it after %s, usually because another process holds it open (or it is read-only): %w", path, ReplaceTimeout, err)
		}
		return fmt.Errorf("writing %s: replacing it: %w", path, err)
	}
	committed = true
	// Make the rename itself durable where the platform allows it.
	syncDir(dir)
	return nil
}

// isRegularFile tells a file that someone may hold open from things Windows
// refuses to replace for good (a directory in the way gives the same
// "Access is denied").
func isRegularFile(path string) bool {
	info, err := os.Lstat(path)
	return err == nil && info.Mode().IsRegular()
}

func replace(from, to string) error {
	deadline := time.Now().Add(ReplaceTimeout)
	delay := 5 * time.Millisecond
	for {
		err := os.Rename(from, to)
		if err == nil || !isHeldOpen(err) || !isRegularFile(to) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(delay)
		if delay < 200*time.Millisecond {
			delay *= 2
		}
	}
}
