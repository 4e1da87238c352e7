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
