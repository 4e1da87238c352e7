//go:build !linux && !windows

package stream

import (
	"io/fs"
	"os"
	"time"
)

// setModTime sets the modification time of the file base in d, which the
// caller has open as f, and leaves its access time alone.
func setModTime(_ *os.File, d *os.Root, base string, mtime time.Time) error {
	return d.Chtimes(base, time.Time{}, mtime)
}

// setFileMode gives the file f, created with perm, exactly the mode perm,
// whatever the umask took away.
func setFileMode(f *os.File, perm fs.FileMode) error { return f.Chmod(perm) }
