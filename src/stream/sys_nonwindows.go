//go:build !windows

package stream

import (
	"io/fs"
	"os"
	"syscall"
)

// isLink reports whether fi, from Lstat, is a symlink.
func isLink(fi fs.FileInfo) bool { return fi.Mode()&fs.ModeSymlink != 0 }

// pathKey is the key under which a path relative to the destination is
// remembered.
func pathKey(rel string) string { return rel }

// setDirMode gives the directory name in root the mode perm.
func setDirMode(root *os.Root, name string, perm fs.FileMode) error {
	return root.Chmod(name, perm)
}

// openFlags are added to every open of a regular file. O_NONBLOCK does
// nothing to reads and writes of regular files, but it keeps an open from
// blocking on a FIFO that a container process swapped in (the file is then
// refused as not regular), and it spares the os package the fcntl calls it
// makes to put a descriptor it opened blocking into non-blocking mode and
// back.
const openFlags = syscall.O_NONBLOCK
