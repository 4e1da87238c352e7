//go:build windows

package stream

import (
	"io/fs"
	"os"
	"strings"
	"syscall"
	"time"
)

// isLink reports whether fi, from Lstat, is a symlink, a junction or any
// other reparse point: none of them may be passed through.
func isLink(fi fs.FileInfo) bool {
	if fi.Mode()&(fs.ModeSymlink|fs.ModeIrregular) != 0 {
		return true
	}
	attrs, ok := fi.Sys().(*syscall.Win32FileAttributeData)
	return ok && attrs.FileAttributes&syscall.FILE_ATTRIBUTE_REPARSE_POINT != 0
}

// pathKey is the key under which a path relative to the destination is
// remembered: NTFS compares names without regard to case.
func pathKey(rel string) string { return strings.ToUpper(rel) }

// setModTime sets the modification time of the file f, open for writing,
// which is base in d, and leaves its access time alone.
func setModTime(f *os.File, _ *os.Root, _ string, mtime time.Time) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	ft := syscall.NsecToFiletime(mtime.UnixNano())
	var setErr error
	if err := rc.Control(func(fd uintptr) {
		setErr = syscall.SetFileTime(syscall.Handle(fd), nil, nil, &ft)
	}); err != nil {
		return err
	}
	if setErr != nil {
		return &os.PathError{Op: "SetFileTime", Path: f.Name(), Err: setErr}
	}
	return nil
}

// setFileMode gives the file f, created with perm, the mode perm. Windows
// keeps only the read-only attribute, which creating the file with perm
// has already set.
func setFileMode(*os.File, fs.FileMode) error { return nil }

// setDirMode gives a directory the mode perm; on Windows a directory's
// read-only attribute means something else, so nothing is done.
func setDirMode(*os.Root, string, fs.FileMode) error { return nil }

// openFlags are added to every open of a regular file: none on Windows.
const openFlags = 0
