package stream

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

// regularFile archives name, in the directory dirFile, which its listing
// says is a regular file, the fast way: openat on dirFile's descriptor
// with O_NOFOLLOW, fstat, reads, close; no lstat beforehand, and none of
// the os package's per-file work. It reports done = false, having
// written nothing, when name is not a regular file after all (a symlink,
// which O_NOFOLLOW refuses, or anything fstat shows is not regular), so
// that the caller handles it the general way.
func (a *archiver) regularFile(dirFile *os.File, name, tarName string) (done bool, err error) {
	rc, err := dirFile.SyscallConn()
	if err != nil {
		return false, fmt.Errorf("stream out: %w", err)
	}
	fd := -1
	var openErr error
	if err := rc.Control(func(dirfd uintptr) {
		for {
			fd, openErr = syscall.Openat(int(dirfd), name,
				syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
			if openErr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return false, fmt.Errorf("stream out: %w", err)
	}
	if openErr == syscall.ELOOP {
		return false, nil
	}
	if openErr != nil {
		return false, fmt.Errorf("stream out: %w", &os.PathError{Op: "openat", Path: tarName, Err: openErr})
	}
	f := &fdReader{fd: fd}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return false, fmt.Errorf("stream out: %w", &os.PathError{Op: "fstat", Path: tarName, Err: err})
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return false, nil
	}
	sec, nsec := st.Mtim.Unix()
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     tarName,
		Size:     st.Size,
		Mode:     int64(st.Mode & 0o777),
		ModTime:  time.Unix(sec, nsec),
	}
	if err := a.writeHeader(hdr); err != nil {
		return false, err
	}
	return true, a.contents(f, tarName, hdr.Size)
}

// fdReader reads a descriptor.
type fdReader struct{ fd int }

func (r *fdReader) Read(p []byte) (int, error) {
	for {
		n, err := syscall.Read(r.fd, p)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		if n == 0 && len(p) > 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}
