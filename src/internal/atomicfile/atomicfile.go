// Package atomicfile writes state files so that a reader, or a process that
// starts after a crash, sees either the old content or the new, never a torn
// mix; and it reads them so that a reader never stops a writer from
// replacing the file. It is the one way this project writes state files.
//
// On Windows, replacing a file that another process holds open fails unless
// that process opened it with FILE_SHARE_DELETE, which Go's os.Open does not
// ask for. Open here asks for it, and Write retries a replacement for a short
// while when the target is held by a reader that did not (an operator's
// editor, an antivirus scanner).
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// ReplaceTimeout bounds how long Write keeps retrying a replacement that
// Windows refuses because another process holds the target open.
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
		return fmt.Errorf("writing %s: replacing it: %w", path, err)
	}
	committed = true
	// Make the rename itself durable where the platform allows it.
	syncDir(dir)
	return nil
}

func replace(from, to string) error {
	deadline := time.Now().Add(ReplaceTimeout)
	delay := 5 * time.Millisecond
	for {
		err := os.Rename(from, to)
		if err == nil || !isHeldOpen(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(delay)
		if delay < 200*time.Millisecond {
			delay *= 2
		}
	}
}

// Open opens path for reading without preventing a concurrent Write from
// replacing it. The reader keeps seeing the content it opened.
func Open(path string) (*os.File, error) {
	return openShared(path)
}

// ReadFile returns the content of path, read through Open. A missing file is
// reported with an error that satisfies errors.Is(err, fs.ErrNotExist).
func ReadFile(path string) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
