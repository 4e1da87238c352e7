package stream

import (
	"io/fs"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// dirSys is what a directory of dest holds besides its os.Root on Linux:
// the directory open as a file, whose descriptor create uses with openat.
type dirSys struct {
	file *os.File
}

func (d *dir) closeSys() {
	if d.sys.file != nil {
		d.sys.file.Close()
	}
}

// create creates the regular file base in d with O_EXCL, which never
// follows a symlink, and the mode perm (less the umask). The error wraps
// fs.ErrExist when something is already there.
//
// It calls openat on d's descriptor itself rather than os.Root.OpenFile,
// and writes through the raw descriptor: for a single name in a directory
// already opened through the os.Root the result is the same, and it spares
// the os package's per-file work (poller registration, fcntl, finalizer),
// which matters for tars of many small files.
func (d *dir) create(base string, perm fs.FileMode) (newFile, error) {
	if d.sys.file == nil {
		f, err := d.Open(".")
		if err != nil {
			return nil, err
		}
		d.sys.file = f
	}
	rc, err := d.sys.file.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd := -1
	var openErr error
	if err := rc.Control(func(dirfd uintptr) {
		for {
			fd, openErr = syscall.Openat(int(dirfd), base,
				syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, uint32(perm))
			if openErr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return nil, err
	}
	if openErr != nil {
		return nil, &os.PathError{Op: "openat", Path: base, Err: openErr}
	}
	return &rawFile{fd: fd, name: base}, nil
}

// rawFile is a file create made, by its descriptor.
type rawFile struct {
	fd   int
	name string
}

func (f *rawFile) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		n, err := syscall.Write(f.fd, p[done:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return done, &os.PathError{Op: "write", Path: f.name, Err: err}
		}
		if n == 0 {
			return done, &os.PathError{Op: "write", Path: f.name, Err: syscall.EIO}
		}
		done += n
	}
	return done, nil
}

// utimeOmit is UTIME_OMIT: utimensat leaves that time alone.
const utimeOmit = (1 << 30) - 2

// finish sets the file's modification time (futimens: utimensat with a
// NULL path acts on the descriptor) and, when chmod is set, its mode,
// then closes it.
func (f *rawFile) finish(mtime time.Time, perm fs.FileMode, chmod bool) error {
	times := [2]syscall.Timespec{{Nsec: utimeOmit}, syscall.NsecToTimespec(mtime.UnixNano())}
	_, _, errno := syscall.Syscall6(syscall.SYS_UTIMENSAT, uintptr(f.fd), 0, uintptr(unsafe.Pointer(&times)), 0, 0, 0)
	if errno != 0 {
		f.abort()
		return &os.PathError{Op: "futimens", Path: f.name, Err: errno}
	}
	if chmod {
		if err := syscall.Fchmod(f.fd, uint32(perm)); err != nil {
			f.abort()
			return &os.PathError{Op: "fchmod", Path: f.name, Err: err}
		}
	}
	if err := syscall.Close(f.fd); err != nil {
		return &os.PathError{Op: "close", Path: f.name, Err: err}
	}
	return nil
}

func (f *rawFile) abort() { syscall.Close(f.fd) }
