//go:build !linux

package stream

import (
	"io/fs"
	"os"
	"time"
)

// dirSys is what a directory of dest holds besides its os.Root: nothing
// here.
type dirSys struct{}

func (d *dir) closeSys() {}

// create creates the regular file base in d with O_EXCL, which never
// follows a symlink, and the mode perm (less the umask; on Windows, the
// read-only attribute when perm has no write bit). The error wraps
// fs.ErrExist when something is already there.
func (d *dir) create(base string, perm fs.FileMode) (newFile, error) {
	f, err := d.OpenFile(base, os.O_WRONLY|os.O_CREATE|os.O_EXCL|openFlags, perm)
	if err != nil {
		return nil, err
	}
	return &osFile{File: f, dir: d, base: base}, nil
}

// osFile is a file create made.
type osFile struct {
	*os.File
	dir  *dir
	base string
}

// finish sets the file's modification time and, when chmod is set, its
// mode, then closes it.
func (f *osFile) finish(mtime time.Time, perm fs.FileMode, chmod bool) error {
	if err := setModTime(f.File, f.dir.Root, f.base, mtime); err != nil {
		f.File.Close()
		return err
	}
	if chmod {
		if err := setFileMode(f.File, perm); err != nil {
			f.File.Close()
			return err
		}
	}
	return f.File.Close()
}

func (f *osFile) abort() { f.File.Close() }
