//go:build !windows

package filelock

import (
	"os"
	"syscall"
)

// flock locks belong to the open file description, so two Acquire calls in
// one process (two descriptions) exclude each other like two processes do.
func lock(f *os.File, exclusive bool) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}

func unlock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}

// tryLock takes the exclusive lock unless it is held (held true).
func tryLock(f *os.File) (held bool, err error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch err {
		case nil:
			return false, nil
		case syscall.EWOULDBLOCK:
			return true, nil
		case syscall.EINTR:
			continue
		}
		return false, err
	}
}
