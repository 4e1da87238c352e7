//go:build !windows

package atomicfile

import "os"

// isHeldOpen is false: POSIX lets a rename replace a file that others hold open.
func isHeldOpen(error) bool { return false }

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // best effort: the data itself is already durable
		d.Close()
	}
}
