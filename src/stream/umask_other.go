//go:build !linux

package stream

import "io/fs"

// processUmask reports that the umask is unknown: In then sets every
// file's mode after creating it (on Windows, creating it is enough).
func processUmask() (umask fs.FileMode, ok bool) { return 0, false }
